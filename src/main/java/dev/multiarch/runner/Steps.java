package dev.multiarch.runner;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a job's time went: the wall time of each step (fetch, checkout, build, export, audit, push…), in the order
 * the steps ran, sent with the result ({@link dev.multiarch.dispatch.Protocol.Complete#timings()}). A step that fails
 * is counted too: a failed job says where its time went as well.
 */
final class Steps {
    /** A step of a job. */
    @FunctionalInterface
    interface Step<T> {
        T run() throws Exec.StepFailed;
    }

    private final Map<String, Long> millis = new LinkedHashMap<>();

    <T> T time(String step, Step<T> s) throws Exec.StepFailed {
        long t0 = System.nanoTime();
        try {
            return s.run();
        } finally {
            add(step, Duration.ofNanos(System.nanoTime() - t0));
        }
    }

    /** Adds to a step's time (a step run twice counts twice). */
    synchronized void add(String step, Duration d) {
        millis.merge(step, d.toMillis(), Long::sum);
    }

    /** Step → milliseconds, in the order the steps first ran. */
    synchronized Map<String, Long> millis() {
        return new LinkedHashMap<>(millis);
    }
}
