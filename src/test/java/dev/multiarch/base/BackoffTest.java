package dev.multiarch.base;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BackoffTest {
    private static final Backoff B = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(10));
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-27T12:00:00Z"), ZoneOffset.UTC);

    @Test
    void delay_doublesFromFirst_withUpToAQuarterOfJitter_neverAboveMax() {
        for (int retry = 0; retry < 12; retry++) {
            long base = Math.min(100L << retry, 10_000);
            long top = Math.min(10_000, base + base / 4);
            for (int i = 0; i < 200; i++) {
                long d = B.delay(retry).toMillis();
                assertTrue(d >= base && d <= top, "retry " + retry + ": " + d + " not in [" + base + ", " + top + "]");
            }
        }
    }

    @Test
    void delay_jitters() {
        Set<Duration> seen = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            seen.add(B.delay(2));
        }
        assertTrue(seen.size() > 1, "400 ms plus up to 100 ms of jitter: " + seen);
    }

    @Test
    void delay_isMaxForLargeRetries() {
        for (int retry : new int[] {7, 20, 21, 63, 64, 1000, Integer.MAX_VALUE}) {
            assertEquals(Duration.ofSeconds(10), B.delay(retry), "retry " + retry);
        }
        // A first delay so long that doubling it 20 times passes Long.MAX_VALUE milliseconds.
        Backoff huge = new Backoff(Duration.ofMillis(1L << 44), Duration.ofMillis(Long.MAX_VALUE));
        assertTrue(huge.delay(30).compareTo(Duration.ofMillis(1L << 44)) >= 0, "no overflow to 0");
    }

    @Test
    void delay_ofANegativeRetryIsTheFirst() {
        long d = B.delay(-3).toMillis();
        assertTrue(d >= 100 && d <= 125, String.valueOf(d));
    }

    @Test
    void delay_withoutJitterRoom() {
        assertEquals(Duration.ZERO, new Backoff(Duration.ZERO, Duration.ZERO).delay(5));
        assertEquals(Duration.ofMillis(1), new Backoff(Duration.ofMillis(1), Duration.ofMillis(1)).delay(5));
    }

    @Test
    void constructor_refusesNegativeOrInvertedBounds() {
        assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ofMillis(-1), Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)));
    }

    @Test
    void delay_prefersRetryAfter_cappedAtMax() {
        assertEquals(Duration.ofSeconds(3), B.delay(0, Optional.of(Duration.ofSeconds(3))));
        assertEquals(Duration.ofSeconds(10), B.delay(0, Optional.of(Duration.ofHours(1))));
        long d = B.delay(0, Optional.empty()).toMillis();
        assertTrue(d >= 100 && d <= 125, String.valueOf(d));
    }

    @Test
    void retryAfter_seconds() {
        assertEquals(Optional.of(Duration.ofSeconds(120)), Backoff.retryAfter("120", CLOCK));
        assertEquals(Optional.of(Duration.ofSeconds(7)), Backoff.retryAfter(" 7 ", CLOCK));
        assertEquals(Optional.of(Duration.ZERO), Backoff.retryAfter("0", CLOCK));
    }

    @Test
    void retryAfter_negativeSecondsAreZero() {
        assertEquals(Optional.of(Duration.ZERO), Backoff.retryAfter("-5", CLOCK));
    }

    @Test
    void retryAfter_httpDate_isTheTimeUntilThen() {
        assertEquals(Optional.of(Duration.ofSeconds(90)), Backoff.retryAfter("Fri, 27 Nov 2026 12:01:30 GMT", CLOCK));
        assertEquals(
                Optional.of(Duration.ZERO), Backoff.retryAfter("Wed, 21 Oct 2015 07:28:00 GMT", CLOCK), "past: now");
    }

    @Test
    void retryAfter_absentOrGarbage_isEmpty() {
        for (String v : new String[] {null, "", "  ", "soon", "1.5", "12s", "Friday noon"}) {
            assertEquals(Optional.empty(), Backoff.retryAfter(v, CLOCK), String.valueOf(v));
        }
    }
}
