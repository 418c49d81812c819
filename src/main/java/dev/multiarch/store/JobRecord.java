package dev.multiarch.store;

import dev.multiarch.platform.Platform;
import dev.multiarch.registry.Digest;
import java.time.Instant;

/**
 * One platform's job as stored; {@code untrusted} is its build's (see {@link BuildRecord#untrusted()}). The platform
 * and digest are parsed once, when the row is read.
 *
 * @param digest the image's digest once the job succeeded; null before
 */
public record JobRecord(
        long id,
        long buildId,
        Platform platform,
        JobState state,
        String runnerId,
        int attempt,
        Instant leaseExpires,
        long timeoutSeconds,
        Digest digest,
        String mediaType,
        Long size,
        Integer addedLayers,
        String error,
        Instant startedAt,
        Instant finishedAt,
        boolean untrusted) {}
