package dev.multiarch.github;

import java.time.Duration;
import java.time.Instant;

/**
 * When GitHub wants us back ("Rate limits for the REST API", "Troubleshooting"): {@code Retry-After} seconds; or
 * {@code X-RateLimit-Reset} (epoch seconds) when {@code X-RateLimit-Remaining} is 0; or a short pause for 5xx.
 */
final class RetryTimes {
    private RetryTimes() {}

    static Instant from(int status, String retryAfter, String remaining, String reset, Instant now) {
        if (retryAfter != null) {
            try {
                return now.plusSeconds(Math.max(1, Long.parseLong(retryAfter.trim())));
            } catch (NumberFormatException ignored) {
                // an HTTP date: fall through to the defaults
            }
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
