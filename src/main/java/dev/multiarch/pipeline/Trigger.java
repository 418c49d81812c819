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
 */
public record Trigger(
        String repo,
        String cloneUrl,
        String commit,
        String ref,
        boolean push,
        List<String> explicitTags,
        String info) {}
