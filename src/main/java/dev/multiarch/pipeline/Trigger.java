package dev.multiarch.pipeline;

import java.util.List;
import java.util.Objects;

/**
 * Something that asks for builds: a tag push, a pull request, a local {@code multiarch build}.
 *
 * @param repo         display name ({@code owner/name} or a path)
 * @param cloneUrl     where runners fetch the source
 * @param ref          {@code refs/tags/v1.2.3}, {@code refs/heads/main}, {@code refs/pull/7/head}
 * @param push         false: build and verify only; runners get no push credentials and nothing is published
 * @param explicitTags tags chosen by a workflow instead of the tag rules (a branch's {@code edge}); empty otherwise
 * @param info         JSON the trigger wants back in events (GitHub ids); may be null
 * @param untrusted    the source is a stranger's (a pull request from a fork): its jobs run only on runners with
 *                     {@code untrusted-jobs: true}, with no credentials of any kind, and it never publishes
 * @param privateRepo  the repository is private (a webhook payload's {@code repository.private}, or an API trigger's
 *                     {@code "private": true}): its builds are shown only to people GitHub says can read it
 */
public record Trigger(
        String repo,
        String cloneUrl,
        String commit,
        String ref,
        boolean push,
        List<String> explicitTags,
        String info,
        boolean untrusted,
        boolean privateRepo) {
    public static Builder builder() {
        return new Builder();
    }

    /** Named fields: {@code repo}, {@code cloneUrl}, {@code commit} and {@code ref} are required. Unset, it is trusted, of a public repository (the honest default only where nothing says otherwise, a person's own {@code multiarch build}; GitHub triggers always say) and has no explicit tags. */
    public static final class Builder {
        private String repo;
        private String cloneUrl;
        private String commit;
        private String ref;
        private boolean push;
        private List<String> explicitTags = List.of();
        private String info;
        private boolean untrusted;
        private boolean privateRepo;

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

        public Builder push(boolean v) {
            push = v;
            return this;
        }

        public Builder explicitTags(List<String> v) {
            explicitTags = v;
            return this;
        }

        public Builder info(String v) {
            info = v;
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

        public Trigger build() {
            Objects.requireNonNull(repo, "Trigger: repo is required");
            Objects.requireNonNull(cloneUrl, "Trigger: cloneUrl is required");
            Objects.requireNonNull(commit, "Trigger: commit is required");
            Objects.requireNonNull(ref, "Trigger: ref is required");
            Objects.requireNonNull(explicitTags, "Trigger: explicitTags is required");
            return new Trigger(repo, cloneUrl, commit, ref, push, explicitTags, info, untrusted, privateRepo);
        }
    }

    /** The same trigger, of a private repository or not. */
    public Trigger withPrivateRepo(boolean isPrivate) {
        return new Trigger(repo, cloneUrl, commit, ref, push, explicitTags, info, untrusted, isPrivate);
    }
}
