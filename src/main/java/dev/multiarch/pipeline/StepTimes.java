package dev.multiarch.pipeline;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Step times of a job, as the coordinator stores them: a runner's report screened (it is another program's input), and
 * the coordinator's own steps timed.
 */
final class StepTimes {
    private StepTimes() {}

    /** More than any real job has: a runner sending more is not listened to beyond this. */
    static final int MAX_STEPS = 32;

    private static final Pattern STEP = Pattern.compile("[a-z][a-z0-9-]{0,31}");
    private static final long MAX_MILLIS = Duration.ofDays(7).toMillis();

    /** The entries with a plausible step name and time, in their order, at most {@link #MAX_STEPS}. */
    static Map<String, Long> screen(Map<String, Long> reported) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (Map.Entry<String, Long> e : reported.entrySet()) {
            if (out.size() == MAX_STEPS) {
                break;
            }
            Long v = e.getValue();
            if (e.getKey() != null && STEP.matcher(e.getKey()).matches() && v != null && v >= 0 && v <= MAX_MILLIS) {
                out.put(e.getKey(), v);
            }
        }
        return out;
    }

    /** One step that started at {@code startNanos} ({@link System#nanoTime()}) and ends now. */
    static Map<String, Long> since(String step, long startNanos) {
        return Map.of(step, Duration.ofNanos(System.nanoTime() - startNanos).toMillis());
    }
}
