package dev.multiarch.web;

import dev.multiarch.store.RunnerRecord;
import java.time.Instant;
import java.util.Arrays;
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
                split(r.nativePlatforms()),
                split(r.qemuPlatforms()),
                text(r.registeredAt()),
                text(r.lastSeen()));
    }

    static List<String> split(String csv) {
        return csv == null
                ? List.of()
                : Arrays.stream(csv.split(",")).filter(s -> !s.isBlank()).toList();
    }

    private static String text(Instant i) {
        return i == null ? null : i.toString();
    }
}
