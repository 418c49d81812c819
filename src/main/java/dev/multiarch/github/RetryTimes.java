package dev.multiarch.github;

import dev.multiarch.base.Backoff;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * When GitHub wants us back ("Rate limits for the REST API", "Troubleshooting"): {@code Retry-After} (seconds or an
 * HTTP date, read by {@link Backoff#retryAfter}; at least a second); or {@code X-RateLimit-Reset} (epoch seconds)
 * when {@code X-RateLimit-Remaining} is 0; or a short pause for 5xx.
 */
final class RetryTimes {
    private RetryTimes() {}

    static Instant from(int status, String retryAfter, String remaining, String reset, Clock clock) {
        Instant now = clock.instant();
        Optional<Duration> asked = Backoff.retryAfter(retryAfter, clock);
        if (asked.isPresent()) {
            Duration d = asked.get();
            return now.plus(d.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : d);
        }
        if ("0".equals(remaining) && reset != null) {
            try {
                Instant at = Instant.ofEpochSecond(Long.parseLong(reset.trim()));
                return at.isAfter(now) ? at.plusSeconds(1) : now.plusSeconds(1);
            } catch (NumberFormatException ignored) {
                // fall through
            }
        }
        if (status == 403 || status == 429) {
            return now.plus(Duration.ofSeconds(60));
        }
        return null;
    }
}
