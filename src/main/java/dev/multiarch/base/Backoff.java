package dev.multiarch.base;

import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The one retry delay: doubles from {@code first} with each retry, never above {@code max}, with up to a quarter of
 * jitter so that many clients retrying after one outage do not come back in step. A server's {@code Retry-After}
 * (seconds or an HTTP date, RFC 9110 §10.2.3) replaces the computed delay where the caller honours it.
 *
 * @param first the delay before the first retry
 * @param max   the cap on any computed delay
 */
public record Backoff(Duration first, Duration max) {
    public Backoff {
        if (first.isNegative() || max.compareTo(first) < 0) {
            throw new IllegalArgumentException("backoff needs 0 <= first <= max, got " + first + " and " + max);
        }
    }

    /** The delay before retry number {@code retry} (0 for the first retry). */
    public Duration delay(int retry) {
        int doublings = Math.min(Math.max(retry, 0), 20);
        long firstMillis = first.toMillis();
        // Shifting past Long.MAX_VALUE can wrap to any value, 0 included: saturate instead.
        long base = firstMillis > (Long.MAX_VALUE >> doublings) ? Long.MAX_VALUE : firstMillis << doublings;
        long capped = Math.min(base, max.toMillis());
        long jitter = capped <= 1 ? 0 : ThreadLocalRandom.current().nextLong(capped / 4 + 1);
        return Duration.ofMillis(capped + Math.min(jitter, max.toMillis() - capped));
    }

    /** The server's {@code Retry-After} if it sent one (capped at {@code max}), else {@link #delay(int)}. */
    public Duration delay(int retry, Optional<Duration> retryAfter) {
        return retryAfter.map(d -> d.compareTo(max) > 0 ? max : d).orElseGet(() -> delay(retry));
    }

    /** A {@code Retry-After} value: delay-seconds or an HTTP date; empty when absent or unreadable. */
    public static Optional<Duration> retryAfter(String value, Clock clock) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        String v = value.trim();
        try {
            return Optional.of(Duration.ofSeconds(Math.max(0, Long.parseLong(v))));
        } catch (NumberFormatException e) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
                Duration d = Duration.between(clock.instant(), at.toInstant());
                return Optional.of(d.isNegative() ? Duration.ZERO : d);
            } catch (DateTimeParseException e2) {
                return Optional.empty();
            }
        }
    }
}
