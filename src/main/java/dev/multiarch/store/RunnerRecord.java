package dev.multiarch.store;

import dev.multiarch.platform.Platform;
import java.time.Instant;
import java.util.List;

/**
 * A registered runner; its platforms are stored as comma-separated short forms and read back as platforms.
 *
 * @param untrustedJobs it runs untrusted jobs (forks' pull requests) and nothing else
 */
public record RunnerRecord(
        String id,
        String name,
        String tokenHash,
        List<Platform> nativePlatforms,
        List<Platform> qemuPlatforms,
        Instant registeredAt,
        Instant lastSeen,
        boolean untrustedJobs) {}
