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
 */
public record Trigger(
        String repo,
        String cloneUrl,
        String commit,
        String ref,
        boolean push,
        List<String> explicitTags,
        String info,
        boolean untrusted) {
    /** A trusted trigger (a tag push, a branch, a same-repository pull request, an API call). */
    public Trigger(
            String repo,
            String cloneUrl,
            String commit,
            String ref,
            boolean push,
            List<String> explicitTags,
            String info) {
        this(repo, cloneUrl, commit, ref, push, explicitTags, info, false);
    }
}
