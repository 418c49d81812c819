package dev.multiarch.store;

import dev.multiarch.platform.Platform;
import dev.multiarch.registry.ImageReference;
import java.util.List;
import java.util.Objects;

/**
 * A build to create, with its jobs (platform and timeout), made by {@link #builder()}. A build whose configuration is invalid is created with no
 * jobs and {@code failedWith} set, so that the failure is recorded and shown like any other.
 *
 * @param untrusted   its source is a stranger's (a fork's pull request): its jobs go to untrusted runners only
 * @param privateRepo its repository is private: pages and the API show it only to people who can read it
 * @param trigger     JSON the trigger wants back (null for none); when it is a GitHub origin (its {@code repo},
 *                    {@code sha}, {@code pr}, {@code delivery}), those are also stored as indexed columns, see
 *                    {@link Store#buildsOfDelivery}
 */
public record NewBuild(
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
        String trigger,
        List<NewJob> jobs,
        String failedWith) {
    public static Builder builder() {
        return new Builder();
    }

    /** Named fields instead of fourteen positional ones: {@code repo}, {@code cloneUrl}, {@code commit} and {@code ref} are required; no jobs unless given. */
    public static final class Builder {
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
        private String trigger;
        private List<NewJob> jobs = List.of();
        private String failedWith;

        private Builder() {}

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

        public Builder trigger(String v) {
            trigger = v;
            return this;
        }

        public Builder jobs(List<NewJob> v) {
            jobs = v;
            return this;
        }

        public Builder failedWith(String v) {
            failedWith = v;
            return this;
        }

        public NewBuild build() {
            Objects.requireNonNull(repo, "NewBuild: repo is required");
            Objects.requireNonNull(cloneUrl, "NewBuild: cloneUrl is required");
            Objects.requireNonNull(commit, "NewBuild: commit is required");
            Objects.requireNonNull(ref, "NewBuild: ref is required");
            Objects.requireNonNull(jobs, "NewBuild: jobs is required");
            return new NewBuild(
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
                    trigger,
                    jobs,
                    failedWith);
        }
    }

    public record NewJob(Platform platform, long timeoutSeconds) {}
}
