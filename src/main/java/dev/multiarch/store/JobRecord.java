package dev.multiarch.store;

import java.time.Instant;

/** One platform's job as stored. */
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
        Instant finishedAt) {}
