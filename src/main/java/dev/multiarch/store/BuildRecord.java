package dev.multiarch.store;

import dev.multiarch.registry.Digest;
import dev.multiarch.registry.ImageReference;
import java.time.Instant;
import java.util.Objects;

/**
 * A build as stored. {@code spec}, {@code tags}, {@code publishedTags} and {@code trigger} are JSON owned by the
 * stages that write them. Made by {@link #builder()}; the canonical constructor is the mapper's.
 *
 * @param untrusted   its source is a stranger's (a fork's pull request): untrusted runners only, no credentials
 * @param privateRepo its repository is private: pages and the API show it only to people who can read it
 */
public record BuildRecord(
        long id,
        String repo,
        String cloneUrl,
        String commit,
        String ref,
        ImageReference image,
        String spec,
        String tags,
        String version,
        boolean push,
        boolean untrusted,
        boolean privateRepo,
        BuildState state,
        String error,
        Digest indexDigest,
        String publishedTags,
        String trigger,
        Instant createdAt,
        Instant updatedAt) {

    public static Builder builder() {
        return new Builder();
    }

    /** Named fields instead of nineteen positional ones; {@code repo}, {@code cloneUrl}, {@code commit}, {@code ref}
     * and {@code state} are required. */
    public static final class Builder {
        private long id;
        private String repo;
        private String cloneUrl;
        private String commit;
        private String ref;
        private ImageReference image;
        private String spec;
        private String tags;
        private String version;
        private boolean push;
        private boolean untrusted;
        private boolean privateRepo;
        private BuildState state;
        private String error;
        private Digest indexDigest;
        private String publishedTags;
        private String trigger;
        private Instant createdAt;
        private Instant updatedAt;

        private Builder() {}

        public Builder id(long v) {
            id = v;
            return this;
        }

        public Builder repo(String v) {
            repo = v;
            return this;
        }

        public Builder cloneUrl(String v) {
            cloneUrl = v;
            return this;
        }

        public Builder commit(String v) {
            commit = v;
            return this;
        }

        public Builder ref(String v) {
            ref = v;
            return this;
        }

        public Builder image(ImageReference v) {
            image = v;
            return this;
        }

        public Builder spec(String v) {
            spec = v;
            return this;
        }

        public Builder tags(String v) {
            tags = v;
            return this;
        }

        public Builder version(String v) {
            version = v;
            return this;
        }

        public Builder push(boolean v) {
            push = v;
            return this;
        }

        public Builder untrusted(boolean v) {
            untrusted = v;
            return this;
        }

        public Builder privateRepo(boolean v) {
            privateRepo = v;
            return this;
        }

        public Builder state(BuildState v) {
            state = v;
            return this;
        }

        public Builder error(String v) {
            error = v;
            return this;
        }

        public Builder indexDigest(Digest v) {
            indexDigest = v;
            return this;
        }

        public Builder publishedTags(String v) {
            publishedTags = v;
            return this;
        }

        public Builder trigger(String v) {
            trigger = v;
            return this;
        }

        public Builder createdAt(Instant v) {
            createdAt = v;
            return this;
        }

        public Builder updatedAt(Instant v) {
            updatedAt = v;
            return this;
        }

        public BuildRecord build() {
            Objects.requireNonNull(repo, "BuildRecord: repo is required");
            Objects.requireNonNull(cloneUrl, "BuildRecord: cloneUrl is required");
            Objects.requireNonNull(commit, "BuildRecord: commit is required");
            Objects.requireNonNull(ref, "BuildRecord: ref is required");
            Objects.requireNonNull(state, "BuildRecord: state is required");
            return new BuildRecord(
                    id,
                    repo,
                    cloneUrl,
                    commit,
                    ref,
                    image,
                    spec,
                    tags,
                    version,
                    push,
                    untrusted,
                    privateRepo,
                    state,
                    error,
                    indexDigest,
                    publishedTags,
                    trigger,
                    createdAt,
                    updatedAt);
        }
    }
}
