package dev.multiarch.web;

import dev.multiarch.platform.Platform;
import dev.multiarch.store.RunnerRecord;
import java.time.Instant;
import java.util.List;

/** A runner as {@code GET /api/runners} shows it: what it builds and when it was last heard from; no token. */
public record RunnerView(
        String id,
        String name,
        List<String> nativePlatforms,
        List<String> qemuPlatforms,
        String registeredAt,
        String lastSeen) {

    static RunnerView of(RunnerRecord r) {
        return new RunnerView(
                r.id(),
                r.name(),
                shortForms(r.nativePlatforms()),
                shortForms(r.qemuPlatforms()),
                text(r.registeredAt()),
                text(r.lastSeen()));
    }

    /** Platforms as registered: short forms ({@code linux/arm/v7}), as they were stored. */
    static List<String> shortForms(List<Platform> platforms) {
        return platforms.stream().map(Platform::shortForm).toList();
    }

    private static String text(Instant i) {
        return i == null ? null : i.toString();
    }
}
