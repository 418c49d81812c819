package dev.multiarch.pipeline;

import dev.multiarch.store.BuildRecord;
import dev.multiarch.store.JobRecord;
import dev.multiarch.store.LogChunk;
import dev.multiarch.store.RunnerRecord;
import dev.multiarch.store.Store;
import java.util.ArrayList;
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
    /** A build and its jobs, in the order they were planned. */
    public record BuildWithJobs(BuildRecord build, List<JobRecord> jobs) {}

    private final Store store;

    BuildQueries(Store store) {
        this.store = store;
    }

    public Optional<BuildWithJobs> build(long id) {
        return store.build(id).map(b -> new BuildWithJobs(b, store.jobs(id)));
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
        for (JobRecord j : store.jobsOfBuilds(List.copyOf(byBuild.keySet()))) {
            byBuild.get(j.buildId()).add(j);
        }
        return builds.stream()
                .map(b -> new BuildWithJobs(b, List.copyOf(byBuild.get(b.id()))))
                .toList();
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
