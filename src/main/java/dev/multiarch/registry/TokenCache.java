package dev.multiarch.registry;

import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Bearer tokens by (registry, scopes), kept until shortly before they expire. distribution's token spec: a token
 * without {@code expires_in} lasts 60 seconds; we stop using one 10 seconds early so it does not expire in flight.
 */
final class TokenCache {
    static final long DEFAULT_LIFETIME_SECONDS = 60;
    static final long MARGIN_SECONDS = 10;

    private record Entry(String token, Instant expires) {}

    private final ConcurrentHashMap<String, Entry> tokens = new ConcurrentHashMap<>();
    private final Clock clock;

    TokenCache(Clock clock) {
        this.clock = clock;
    }

    Optional<String> get(String key) {
        Entry e = tokens.get(key);
        if (e == null) {
            return Optional.empty();
        }
        if (!clock.instant().isBefore(e.expires)) {
            tokens.remove(key, e);
            return Optional.empty();
        }
        return Optional.of(e.token);
    }

    void put(String key, String token, long expiresInSeconds) {
        long life = expiresInSeconds > 0 ? expiresInSeconds : DEFAULT_LIFETIME_SECONDS;
        long usable = Math.max(1, life - Math.min(MARGIN_SECONDS, life / 2));
        tokens.put(key, new Entry(token, clock.instant().plusSeconds(usable)));
    }

    void invalidate(String key) {
        tokens.remove(key);
    }
}
