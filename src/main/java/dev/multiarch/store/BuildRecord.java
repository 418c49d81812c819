package dev.multiarch.store;

import java.time.Instant;

/**
 * A build as stored. {@code spec}, {@code tags}, {@code publishedTags} and {@code trigger} are JSON owned by the
 * stages that write them.
 *
 * @param untrusted its source is a stranger's (a fork's pull request): untrusted runners only, no credentials
 */
public record BuildRecord(
        long id,
        String repo,
        String cloneUrl,
        String commit,
        String ref,
        String image,
        String spec,
        String tags,
        String version,
        boolean push,
        boolean untrusted,
        BuildState state,
        String error,
        String indexDigest,
        String publishedTags,
        String trigger,
        Instant createdAt,
        Instant updatedAt) {}
