package dev.multiarch.store;

import java.time.Instant;

/** One platform's job as stored; {@code untrusted} is its build's (see {@link BuildRecord#untrusted()}). */
public record JobRecord(
        long id,
        long buildId,
        String platform,
        JobState state,
        String runnerId,
        int attempt,
        Instant leaseExpires,
        long timeoutSeconds,
        String digest,
        String mediaType,
        Long size,
        Integer addedLayers,
        String error,
        Instant startedAt,
        Instant finishedAt,
        boolean untrusted) {}
