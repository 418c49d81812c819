package dev.multiarch.store;

import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.base.Json;
import dev.multiarch.registry.Digest;
import dev.multiarch.registry.ImageReference;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A build as stored, typed: its image an {@link ImageReference}, its index a {@link Digest}, its state an enum, each
 * parsed once when the row is read. Made by {@link #builder()}; the canonical constructor is the mapper's.
 *
 * <p>Three columns stay JSON owned by the stages that write them, because typing them here would bring those stages'
 * types into the store, which talks to {@code base}, {@code platform} and {@code registry} only: {@code spec} (the
 * pipeline's {@code BuildSpec}), {@code tags} (the planned tags, {@code config}'s {@code TagRule.PlannedTag}: a tag
 * and whether it floats, so not a plain list of names) and {@code trigger} (GitHub's {@code Origin}, whose indexed
 * keys are {@link OriginKeys}).
 *
 * @param publication   what publishing recorded, as written ({@link Store#markPublished}): the publisher's outcome,
 *                      or {@code []} for a build that publishes nothing; null before. The API shows it as it is
 * @param publishedTags the tags it took, read once from {@code publication}; empty when none
 * @param keptBack      the planned tags it did not take, each with why, read once from {@code publication}
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
        String publication,
        List<String> publishedTags,
        List<String> keptBack,
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
        private String publication;
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

        /** The publication record as written; {@link BuildRecord#publishedTags} and {@link BuildRecord#keptBack} are
         * read from it. */
        public Builder publication(String v) {
            publication = v;
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
            Published p = Published.read(publication);
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
                    publication,
                    p.tags(),
                    p.keptBack(),
                    trigger,
                    createdAt,
                    updatedAt);
        }
    }

    /**
     * The tags a publication record took and kept back. Its two shapes: the publisher's outcome (an object with
     * {@code tags} and {@code skipped}) and {@code []} (nothing to publish); read here, once, for every stage.
     */
    private record Published(List<String> tags, List<String> keptBack) {
        static Published read(String json) {
            if (json == null) {
                return new Published(List.of(), List.of());
            }
            try {
                JsonNode n = Json.MAPPER.readTree(json);
                List<String> tags = new ArrayList<>();
                List<String> kept = new ArrayList<>();
                n.path("tags").forEach(t -> tags.add(t.asText()));
                n.path("skipped").forEach(t -> kept.add(t.asText()));
                return new Published(List.copyOf(tags), List.copyOf(kept));
            } catch (IOException e) {
                return new Published(List.of(), List.of("(unreadable publication record)"));
            }
        }
    }
}
