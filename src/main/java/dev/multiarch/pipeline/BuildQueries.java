package dev.multiarch.pipeline;

import dev.multiarch.store.BuildRecord;
import dev.multiarch.store.JobRecord;
import dev.multiarch.store.LogChunk;
import dev.multiarch.store.RunnerRecord;
import dev.multiarch.store.Store;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * What the coordinator knows, read-only: builds with their jobs, a job's log, the runners. The pages and the API read
 * through here, never the store itself. Blocking (JDBC): call it from worker threads.
 */
public final class BuildQueries {
    /**
     * A build and its jobs, in the order they were planned, with where each job's current attempt spent its time.
     *
     * @param timings job id → step → milliseconds, in the order the steps ran (queue, fetch, build, …, verify); a job
     *                not started yet has none
     * @param publications each registry the build publishes to and how that went (read for one build by id; lists
     *                leave it empty)
     */
    public record BuildWithJobs(
            BuildRecord build,
            List<JobRecord> jobs,
            Map<Long, Map<String, Long>> timings,
            List<Store.Publication> publications) {
        public BuildWithJobs(BuildRecord build, List<JobRecord> jobs) {
            this(build, jobs, Map.of());
        }

        public BuildWithJobs(BuildRecord build, List<JobRecord> jobs, Map<Long, Map<String, Long>> timings) {
            this(build, jobs, timings, List.of());
        }
    }

    private final Store store;

    BuildQueries(Store store) {
        this.store = store;
    }

    public Optional<BuildWithJobs> build(long id) {
        return store.build(id).map(b -> {
            List<JobRecord> jobs = store.jobs(id);
            return new BuildWithJobs(b, jobs, timings(jobs, store.timings(List.of(id))), store.publications(id));
        });
    }

    /**
     * The newest {@code limit} builds that {@code keep} accepts, newest first, with their jobs: two queries however
     * many builds there are.
     */
    public List<BuildWithJobs> recent(int limit, Predicate<BuildRecord> keep) {
        return withJobs(store.recentBuilds(limit).stream().filter(keep).toList());
    }

    /** Builds the caller already has (just created), with their jobs, in one query. */
    public List<BuildWithJobs> withJobs(List<BuildRecord> builds) {
        Map<Long, List<JobRecord>> byBuild = new LinkedHashMap<>();
        builds.forEach(b -> byBuild.put(b.id(), new ArrayList<>()));
        List<Long> ids = List.copyOf(byBuild.keySet());
        List<JobRecord> all = store.jobsOfBuilds(ids);
        for (JobRecord j : all) {
            byBuild.get(j.buildId()).add(j);
        }
        Map<Long, Map<String, Long>> times = timings(all, store.timings(ids));
        return builds.stream()
                .map(b -> new BuildWithJobs(b, List.copyOf(byBuild.get(b.id())), times))
                .toList();
    }

    /** The step times of each job's current attempt (earlier attempts ran on a runner that lost the job). */
    private static Map<Long, Map<String, Long>> timings(List<JobRecord> jobs, List<Store.StepTime> rows) {
        Map<Long, Integer> attempt = new HashMap<>();
        jobs.forEach(j -> attempt.put(j.id(), j.attempt()));
        Map<Long, Map<String, Long>> out = new HashMap<>();
        for (Store.StepTime t : rows) {
            if (Integer.valueOf(t.attempt()).equals(attempt.get(t.jobId()))) {
                out.computeIfAbsent(t.jobId(), k -> new LinkedHashMap<>()).put(t.step(), t.millis());
            }
        }
        return out;
    }

    public Optional<JobRecord> job(long id) {
        return store.job(id);
    }

    /**
     * The end of a job's log (every attempt, in the order it arrived), at most {@code maxBytes}: pages show where
     * builds fail without loading a log of many megabytes; a marker says what is left out.
     */
    public String logTail(long jobId, long maxBytes) {
        StringBuilder b = new StringBuilder();
        store.logTail(jobId, maxBytes).stream().map(LogChunk::text).forEach(b::append);
        return b.toString();
    }

    /** Every registered runner, oldest registration first. */
    public List<RunnerRecord> runners() {
        return store.runners();
    }
}
