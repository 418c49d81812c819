package dev.multiarch.metrics;

import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The lowest remaining rate limit among the identities of one kind (each installation has its own limit), counting
 * only limits that have not reset yet: an installation that went quiet an hour ago no longer drags the gauge down.
 */
final class RateLimitGauge {
    /** Installations of a public App are anyone's to make: remember at most this many at once. */
    static final int MAX_IDENTITIES = 10_000;

    private record Seen(long remaining, Instant reset) {}

    private final Clock clock;
    private final Map<String, Seen> seen = new ConcurrentHashMap<>();

    RateLimitGauge(Clock clock) {
        this.clock = clock;
    }

    void seen(String identity, long remaining, Instant reset) {
        Instant now = clock.instant();
        if (seen.size() >= MAX_IDENTITIES) {
            seen.values().removeIf(s -> !s.reset().isAfter(now));
            if (seen.size() >= MAX_IDENTITIES && !seen.containsKey(identity)) {
                return;
            }
        }
        seen.put(identity, new Seen(remaining, reset));
    }

    /** NaN when no limit is current (nothing called GitHub within the last window). */
    double lowest() {
        Instant now = clock.instant();
        seen.values().removeIf(s -> !s.reset().isAfter(now));
        return seen.values().stream().mapToLong(Seen::remaining).min().stream()
                .mapToDouble(l -> l)
                .findFirst()
                .orElse(Double.NaN);
    }
}
