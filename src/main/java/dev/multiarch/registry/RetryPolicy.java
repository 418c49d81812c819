package dev.multiarch.registry;

import dev.multiarch.base.Backoff;
import java.time.Duration;

/**
 * How often and how patiently to retry a registry request that failed transiently: a connection error, 429, or
 * 500/502/503/504. Delays double from {@code firstDelay} up to {@code maxDelay}, with jitter; a {@code Retry-After}
 * header replaces the computed delay (still capped at {@code maxDelay}).
 *
 * @param attempts total attempts, first included (1 = no retry)
 */
public record RetryPolicy(int attempts, Duration firstDelay, Duration maxDelay) {
    public static final RetryPolicy DEFAULT = new RetryPolicy(5, Duration.ofMillis(250), Duration.ofSeconds(30));
    public static final RetryPolicy NONE = new RetryPolicy(1, Duration.ZERO, Duration.ZERO);

    public RetryPolicy {
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be at least 1");
        }
    }

    /** The delays between attempts: {@link Backoff}, doubling from {@code firstDelay} up to {@code maxDelay}. */
    public Backoff backoff() {
        return new Backoff(firstDelay, maxDelay);
    }
}
