package dev.multiarch.dispatch;

import dev.multiarch.store.BuildRecord;
import dev.multiarch.store.BuildState;
import dev.multiarch.store.JobRecord;
import dev.multiarch.store.JobState;
import dev.multiarch.store.Store;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The order in which queued jobs are offered to waiting runners. Older builds first (a build is not overtaken by a
 * newer one). Within a build, the platforms expected to take longest first: a build ends with its slowest platform,
 * so that one must not start last behind quick ones (longest-processing-time-first: with two job slots and platforms
 * taking 3, 2.5, 1.5, 1.5 and 0.5 s, planned order ends after 5 s, longest first after 4.5 s).
 *
 * <p>Expected time: how long the same platform took in the newest earlier build of the same image and repository
 * where it succeeded (learned from this very fleet, QEMU included). Without one, a platform that no waiting runner builds natively
 * (QEMU: several times slower) comes before one that some runner builds natively. Runs on the dispatch thread only.
 */
final class CriticalPath {
    /** Earlier builds looked through for a build of the same image. */
    static final int HISTORY = 200;

    /** Earlier builds of the image asked for their jobs before giving up (they failed before any platform ended). */
    private static final int TRIES = 3;

    private static final int REMEMBERED = 64;

    /**
     * How long one read of the newest builds serves, and how long "no history" is believed before it is looked for
     * again. Reading {@link #HISTORY} whole builds for each round with a new build in it was half the dispatch thread's
     * time under bench/claim-load (JFR: most of it making each row's image reference), in every coordinator; a second's
     * staleness only delays a just-finished build's times reaching the order of the builds queued in that second.
     */
    static final long RECENT_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(1);

    /** A build's expected times, and when the builds they came from were read. */
    private record Expected(Map<String, Long> millis, long readAt) {}

    private final Store store;
    /** Queued build id → platform key → expected milliseconds (empty: no history); the newest builds only. */
    private final Map<Long, Expected> expected = new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Expected> eldest) {
            return size() > REMEMBERED;
        }
    };

    /** The newest builds, read at most once per {@link #RECENT_NANOS}; null: not yet. */
    private List<BuildRecord> recent;

    private long recentAt;

    /** Monotonic nanoseconds ({@link System#nanoTime}; a test's own). */
    private final java.util.function.LongSupplier ticker;

    CriticalPath(Store store) {
        this(store, System::nanoTime);
    }

    CriticalPath(Store store, java.util.function.LongSupplier ticker) {
        this.store = store;
        this.ticker = ticker;
    }

    /**
     * {@code queued} in the order to offer them.
     *
     * @param nativeKeys platforms some waiting runner builds natively
     */
    List<JobRecord> order(List<JobRecord> queued, Map<Long, BuildRecord> builds, Set<String> nativeKeys) {
        Map<Long, Long> rank = new HashMap<>();
        for (JobRecord j : queued) {
            String key = j.platform().key();
            Long ms = expectedFor(builds.get(j.buildId())).get(key);
            // Known times first by length; then unknown QEMU platforms above unknown native ones.
            rank.put(j.id(), ms != null ? ms : nativeKeys.contains(key) ? -2L : -1L);
        }
        List<JobRecord> out = new ArrayList<>(queued);
        out.sort(Comparator.comparingLong(JobRecord::buildId)
                .thenComparing(Comparator.comparingLong((JobRecord j) -> rank.get(j.id()))
                        .reversed())
                .thenComparingLong(JobRecord::id));
        return out;
    }

    private Map<String, Long> expectedFor(BuildRecord b) {
        if (b == null) {
            return Map.of();
        }
        Expected e = expected.get(b.id());
        if (e == null || e.millis().isEmpty() && ticker.getAsLong() - e.readAt() >= RECENT_NANOS) {
            // Times found stay (that earlier build's jobs do not change); none found is asked again with newer reads.
            Map<String, Long> found = history(b);
            e = new Expected(found, recentAt);
            expected.put(b.id(), e);
        }
        return e.millis();
    }

    /** The newest builds, read again when the last read is {@link #RECENT_NANOS} old. */
    private List<BuildRecord> recent() {
        long now = ticker.getAsLong();
        if (recent == null || now - recentAt >= RECENT_NANOS) {
            recent = store.recentBuilds(HISTORY);
            recentAt = now;
        }
        return recent;
    }

    /** Each platform's duration in the newest earlier build of the same image and repository with finished jobs. */
    private Map<String, Long> history(BuildRecord b) {
        if (b.image() == null) {
            return Map.of();
        }
        List<BuildRecord> earlier = recent().stream()
                .filter(x -> x.id() < b.id()
                        && b.image().equals(x.image())
                        && b.repo().equals(x.repo())
                        && x.state() != BuildState.QUEUED
                        && x.state() != BuildState.RUNNING)
                .sorted(Comparator.comparingLong(BuildRecord::id).reversed())
                .limit(TRIES)
                .toList();
        Map<String, Long> out = new HashMap<>();
        for (BuildRecord e : earlier) {
            for (JobRecord j : store.jobs(e.id())) {
                if (j.state() == JobState.SUCCEEDED && j.startedAt() != null && j.finishedAt() != null) {
                    out.putIfAbsent(
                            j.platform().key(),
                            Duration.between(j.startedAt(), j.finishedAt()).toMillis());
                }
            }
            if (!out.isEmpty()) {
                break;
            }
        }
        return out;
    }
}
