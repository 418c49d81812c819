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

    // ---- the dashboard's reads (pages, live progress, badges)

    /**
     * A page of builds, newest first, and where the next (older) page starts: null when there is none.
     *
     * @param nextBefore the {@code before} of the next page's request
     */
    public record Page(List<BuildWithJobs> builds, Long nextBefore) {}

    /** Rounds of reading more builds when {@code keep} leaves a page short (a viewer who may not see many). */
    private static final int PAGE_ROUNDS = 5;

    /**
     * Up to {@code limit} builds older than {@code before} (null: the newest) that the filter and {@code keep} accept,
     * with their jobs. Reads in keyset pages of the store, so the thousandth page costs what the first does; when
     * {@code keep} turns many away, it reads a few more store pages, then stops and offers the next page from there.
     */
    public Page page(Store.BuildFilter filter, Long before, int limit, Predicate<BuildRecord> keep) {
        List<BuildRecord> kept = new ArrayList<>();
        Long cursor = before;
        boolean exhausted = false;
        boolean leftSome = false;
        for (int round = 0; round < PAGE_ROUNDS && kept.size() < limit && !exhausted; round++) {
            List<BuildRecord> batch = store.buildsPage(filter, cursor, limit);
            exhausted = batch.size() < limit;
            for (int i = 0; i < batch.size(); i++) {
                BuildRecord b = batch.get(i);
                cursor = b.id();
                if (keep.test(b)) {
                    kept.add(b);
                    if (kept.size() == limit) {
                        leftSome = i < batch.size() - 1;
                        break;
                    }
                }
            }
        }
        Long next = cursor == null || (exhausted && !leftSome) ? null : cursor;
        return new Page(withJobs(kept), next);
    }

    /**
     * How each job ran or runs: {@code native} or {@code qemu}, by the platforms its runner registered; jobs not on a
     * runner are left out.
     */
    public Map<Long, String> emulation(List<JobRecord> jobs) {
        if (jobs.stream().allMatch(j -> j.runnerId() == null)) {
            return Map.of();
        }
        Map<String, RunnerRecord> byId = new HashMap<>();
        store.runners().forEach(r -> byId.put(r.id(), r));
        Map<Long, String> out = new HashMap<>();
        for (JobRecord j : jobs) {
            RunnerRecord r = j.runnerId() == null ? null : byId.get(j.runnerId());
            if (r != null) {
                out.put(j.id(), BuildPublisher.emulation(r, j.platform()));
            }
        }
        return out;
    }

    /** A job's log after {@code afterSeq}: at most {@code maxChunks} chunks, oldest first (cut markers have seq 0). */
    public List<LogChunk> logs(long jobId, long afterSeq, int maxChunks) {
        return store.logs(jobId, afterSeq, maxChunks);
    }

    /** The end of a job's log as chunks (with their seq, where a live stream goes on from). */
    public List<LogChunk> logTailChunks(long jobId, long maxBytes) {
        return store.logTail(jobId, maxBytes);
    }

    /** The newest build of a repository, and its newest build that publishes (its badge's "release"). */
    public Optional<BuildRecord> latestBuildOfRepo(String repo, boolean publishingOnly) {
        return store.latestBuildOfRepo(repo, publishingOnly, "");
    }

    /** The build of {@code repo} holding {@code tag} with its jobs: what {@code repo:latest} offers. */
    public Optional<BuildWithJobs> tagHolder(String repo, String tag) {
        return store.tagHolder(repo, tag).map(b -> new BuildWithJobs(b, store.jobs(b.id())));
    }

    /** Tags as they stand, of one image or (null) of all, by image then tag. */
    public List<Store.ImageTag> imageTags(String image, int limit) {
        return store.imageTags(image, limit);
    }

    /** When {@code image}'s tags moved, newest first. */
    public List<Store.TagMove> tagMoves(String image, int limit) {
        return store.tagMoves(image, limit);
    }

    /** The builds with these ids that exist, with their jobs (the image page's tag owners): three queries. */
    public Map<Long, BuildWithJobs> builds(java.util.Collection<Long> ids) {
        Map<Long, BuildWithJobs> out = new LinkedHashMap<>();
        withJobs(store.buildsById(ids)).forEach(b -> out.put(b.build().id(), b));
        return out;
    }

    /** The builds with these ids that exist, without their jobs: one query. */
    public List<BuildRecord> buildRecords(java.util.Collection<Long> ids) {
        return store.buildsById(ids);
    }

    /** The jobs running now. */
    public List<JobRecord> runningJobs() {
        return store.runningJobs();
    }

    /** Per runner and platform: jobs done and the median time of those that succeeded. */
    public List<Store.RunnerPlatformStats> runnerStats() {
        return store.runnerStats();
    }
}
