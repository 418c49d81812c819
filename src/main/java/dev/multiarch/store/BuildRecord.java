package dev.multiarch.store;

import java.time.Instant;

/**
 * A build as stored. {@code spec}, {@code tags}, {@code publishedTags} and {@code trigger} are JSON owned by the
 * stages that write them.
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
        String image,
        String spec,
        String tags,
        String version,
        boolean push,
        boolean untrusted,
        boolean privateRepo,
        BuildState state,
        String error,
        String indexDigest,
        String publishedTags,
        String trigger,
        Instant createdAt,
        Instant updatedAt) {}
