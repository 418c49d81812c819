package dev.multiarch.pipeline;

import java.util.List;

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
    /**
     * A trigger of a public repository, trusted or not. Public is the honest default only where nothing says
     * otherwise (a person's own {@code multiarch build}); GitHub triggers always say, through {@link #privateRepo}.
     */
    public Trigger(
            String repo,
            String cloneUrl,
            String commit,
            String ref,
            boolean push,
            List<String> explicitTags,
            String info,
            boolean untrusted) {
        this(repo, cloneUrl, commit, ref, push, explicitTags, info, untrusted, false);
    }

    /** A trusted trigger of a public repository (a tag push, a branch, a same-repository pull request, an API call). */
    public Trigger(
            String repo,
            String cloneUrl,
            String commit,
            String ref,
            boolean push,
            List<String> explicitTags,
            String info) {
        this(repo, cloneUrl, commit, ref, push, explicitTags, info, false, false);
    }

    /** The same trigger, of a private repository or not. */
    public Trigger withPrivateRepo(boolean isPrivate) {
        return new Trigger(repo, cloneUrl, commit, ref, push, explicitTags, info, untrusted, isPrivate);
    }
}
