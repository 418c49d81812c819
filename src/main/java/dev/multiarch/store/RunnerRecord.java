package dev.multiarch.store;

import java.time.Instant;

/**
 * A registered runner; platforms are comma-separated short forms.
 *
 * @param untrustedJobs it runs untrusted jobs (forks' pull requests) and nothing else
 */
public record RunnerRecord(
        String id,
        String name,
        String tokenHash,
        String nativePlatforms,
        String qemuPlatforms,
        Instant registeredAt,
        Instant lastSeen,
        boolean untrustedJobs) {}
