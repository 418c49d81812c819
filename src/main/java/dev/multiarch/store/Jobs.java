package dev.multiarch.store;

import static dev.multiarch.store.Rows.JOB_COLS;
import static dev.multiarch.store.Sql.inst;
import static dev.multiarch.store.Sql.list;
import static dev.multiarch.store.Sql.one;
import static dev.multiarch.store.Sql.read;
import static dev.multiarch.store.Sql.tx;
import static dev.multiarch.store.Sql.txKeyed;
import static dev.multiarch.store.Sql.update;

import dev.multiarch.store.Store.Completion;
import dev.multiarch.store.Store.StepTime;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Jobs, one per platform of a build: claimed by a runner under a lease (attempt + 1), kept alive by heartbeats,
 * completed (the last success moves its build to {@code verifying}, exactly once), or queued again when the lease
 * expires, up to a bound; and each attempt's step times. A change to a build's jobs locks the build's row first
 * ({@link #lockBuildOfJob}), so that concurrent completions see each other.
 */
final class Jobs {
    private final DataSource ds;
    private final Clock clock;
    private final Wakeups wakeups;
    private final Builds builds;

    Jobs(DataSource ds, Clock clock, Wakeups wakeups, Builds builds) {
        this.ds = ds;
        this.clock = clock;
        this.wakeups = wakeups;
        this.builds = builds;
    }

    List<JobRecord> ofBuild(long buildId) {
        return read(ds, c -> jobsIn(c, buildId));
    }

    List<JobRecord> ofBuilds(List<Long> buildIds) {
        if (buildIds.isEmpty()) {
            return List.of();
        }
        String marks = String.join(", ", java.util.Collections.nCopies(buildIds.size(), "?"));
        return read(
                ds,
                c -> list(
                        c,
                        "SELECT " + JOB_COLS + " FROM jobs WHERE build_id IN (" + marks + ") ORDER BY build_id, id",
                        Rows::job,
                        buildIds.toArray()));
    }

    Optional<JobRecord> byId(long jobId) {
        return read(ds, c -> jobIn(c, jobId));
    }

    List<JobRecord> queued() {
        return read(
                ds, c -> list(c, "SELECT " + JOB_COLS + " FROM jobs WHERE state = 'QUEUED' ORDER BY id", Rows::job));
    }

    List<JobRecord> queuedOfBuilds(long afterBuildId, int builds) {
        return read(
                ds,
                c -> list(
                        c,
                        "SELECT " + JOB_COLS
                                + " FROM jobs WHERE state = 'QUEUED' AND build_id IN (SELECT DISTINCT build_id "
                                + "FROM jobs WHERE state = 'QUEUED' AND build_id > ? ORDER BY build_id LIMIT ?) "
                                + "ORDER BY build_id, id",
                        Rows::job,
                        afterBuildId,
                        builds));
    }

    List<JobRecord> running() {
        return read(
                ds, c -> list(c, "SELECT " + JOB_COLS + " FROM jobs WHERE state = 'RUNNING' ORDER BY id", Rows::job));
    }

    Optional<JobRecord> claim(long jobId, String runnerId, Instant expires) {
        return tx(ds, c -> {
            // Another coordinator claiming this job holds its row: skip it rather than wait for that claim to
            // commit only to find the job taken.
            if (list(
                            c,
                            "SELECT id FROM jobs WHERE id = ? AND state = 'QUEUED' FOR UPDATE SKIP LOCKED",
                            r -> r.getLong(1),
                            jobId)
                    .isEmpty()) {
                return Optional.<JobRecord>empty();
            }
            if (update(
                            c,
                            "UPDATE jobs SET state = 'RUNNING', runner_id = ?, attempt = attempt + 1, lease_expires = ?, "
                                    + "started_at = ?, error = NULL WHERE id = ? AND state = 'QUEUED'",
                            runnerId,
                            expires,
                            clock.instant(),
                            jobId)
                    != 1) {
                return Optional.<JobRecord>empty();
            }
            // The job and how long it queued in one read, and its first step time inserted as is: the attempt was
            // numbered just now, so nothing has timings under it yet. A claim is made on the dispatch thread, one at a
            // time: each round trip here is on every waiting runner's path (bench/claim-load).
            Instant[] since = new Instant[1];
            JobRecord j = one(
                            c,
                            "SELECT " + JOB_COLS + ", COALESCE(queued_at, (SELECT b.created_at FROM builds b WHERE "
                                    + "b.id = jobs.build_id)) AS queued_since FROM jobs WHERE id = ?",
                            r -> {
                                since[0] = inst(r, "queued_since");
                                return Rows.job(r);
                            },
                            jobId)
                    .orElseThrow();
            builds.moveBuildIn(c, j.buildId(), BuildState.QUEUED, BuildState.RUNNING, null);
            update(
                    c,
                    "INSERT INTO job_timings (job_id, attempt, seq, step, millis) VALUES (?, ?, 1, 'queue', ?)",
                    jobId,
                    j.attempt(),
                    since[0] == null
                            ? 0L
                            : Math.max(
                                    0,
                                    java.time.Duration.between(since[0], j.startedAt())
                                            .toMillis()));
            return Optional.of(j);
        });
    }

    boolean heartbeat(long jobId, String runnerId, int attempt, Instant expires) {
        return tx(
                ds,
                c -> update(
                                c,
                                "UPDATE jobs SET lease_expires = ? WHERE id = ? AND runner_id = ? AND attempt = ? "
                                        + "AND state = 'RUNNING'",
                                expires,
                                jobId,
                                runnerId,
                                attempt)
                        == 1);
    }

    Completion complete(long jobId, String runnerId, int attempt, JobResult result) {
        return tx(ds, c -> {
            lockBuildOfJob(c, jobId);
            boolean ok = result.succeeded();
            if (update(
                            c,
                            "UPDATE jobs SET state = ?, digest = ?, media_type = ?, size = ?, added_layers = ?, error = ?, "
                                    + "finished_at = ?, lease_expires = NULL WHERE id = ? AND runner_id = ? AND attempt = ? "
                                    + "AND state = 'RUNNING'",
                            ok ? "SUCCEEDED" : "FAILED",
                            result.digest(),
                            result.mediaType(),
                            ok ? result.size() : null,
                            ok ? result.addedLayers() : null,
                            result.error(),
                            clock.instant(),
                            jobId,
                            runnerId,
                            attempt)
                    != 1) {
                return Completion.STALE;
            }
            JobRecord j = jobIn(c, jobId).orElseThrow();
            if (!ok) {
                failBuildIn(c, j.buildId(), j.platform() + ": " + result.error());
                return Completion.BUILD_FAILED;
            }
            boolean all = jobsIn(c, j.buildId()).stream().allMatch(x -> x.state() == JobState.SUCCEEDED);
            if (all && builds.moveBuildIn(c, j.buildId(), BuildState.RUNNING, BuildState.VERIFYING, null)) {
                return Completion.BUILD_READY;
            }
            return Completion.RECORDED;
        });
    }

    void recordTimings(long jobId, int attempt, java.util.Map<String, Long> millis) {
        txKeyed(ds, c -> {
            recordTimingsIn(c, jobId, attempt, millis);
            return null;
        });
    }

    List<StepTime> timings(List<Long> buildIds) {
        if (buildIds.isEmpty()) {
            return List.of();
        }
        String marks = String.join(", ", java.util.Collections.nCopies(buildIds.size(), "?"));
        return read(
                ds,
                c -> list(
                        c,
                        "SELECT t.job_id, t.attempt, t.step, t.millis FROM job_timings t JOIN jobs j ON j.id = t.job_id "
                                + "WHERE j.build_id IN (" + marks + ") ORDER BY t.job_id, t.attempt, t.seq",
                        r -> new StepTime(r.getLong(1), r.getInt(2), r.getString(3), r.getLong(4)),
                        buildIds.toArray()));
    }

    List<JobRecord> expireLeases(Instant now, int maxAttempts) {
        List<JobRecord> touched = tx(ds, c -> {
            List<JobRecord> out = new ArrayList<>();
            for (JobRecord j : list(
                    c,
                    "SELECT " + JOB_COLS + " FROM jobs WHERE state = 'RUNNING' AND lease_expires < ?",
                    Rows::job,
                    now)) {
                lockBuildOfJob(c, j.id());
                String why = "runner " + j.runnerId() + " stopped reporting (lease expired) on attempt " + j.attempt();
                // Guarded by the attempt and lease read above: another coordinator's sweep may have queued this job
                // again since, and a runner claimed it (a new attempt, a live lease), which must be left alone.
                String same = " WHERE id = ? AND state = 'RUNNING' AND attempt = ? AND lease_expires < ?";
                if (j.attempt() >= maxAttempts) {
                    String gaveUp = why + "; gave up after " + maxAttempts + " attempts";
                    if (update(
                                    c,
                                    "UPDATE jobs SET state = 'FAILED', error = ?, lease_expires = NULL, finished_at = ?"
                                            + same,
                                    gaveUp,
                                    now,
                                    j.id(),
                                    j.attempt(),
                                    now)
                            == 0) {
                        continue;
                    }
                    failBuildIn(c, j.buildId(), j.platform() + ": " + gaveUp);
                } else if (update(
                                c,
                                "UPDATE jobs SET state = 'QUEUED', runner_id = NULL, lease_expires = NULL, error = ?, "
                                        + "queued_at = ?" + same,
                                why + "; queued again",
                                now,
                                j.id(),
                                j.attempt(),
                                now)
                        == 1) {
                    wakeups.announce(c);
                } else {
                    continue;
                }
                out.add(jobIn(c, j.id()).orElseThrow());
            }
            return out;
        });
        if (touched.stream().anyMatch(j -> j.state() == JobState.QUEUED)) {
            wakeups.committed();
        }
        return touched;
    }

    void failVerification(long buildId, long jobId, String error) {
        tx(ds, c -> {
            update(c, "UPDATE jobs SET state = 'FAILED', error = ? WHERE id = ?", error, jobId);
            failBuildIn(c, buildId, error);
            return null;
        });
    }

    boolean cancelBuild(long buildId, String reason) {
        return tx(ds, c -> {
            boolean moved = false;
            for (BuildState from : new BuildState[] {BuildState.QUEUED, BuildState.RUNNING}) {
                moved |= builds.moveBuildIn(c, buildId, from, BuildState.CANCELLED, reason);
            }
            if (moved) {
                cancelJobsIn(c, buildId);
            }
            return moved;
        });
    }

    private static List<JobRecord> jobsIn(Connection c, long buildId) throws SQLException {
        return list(c, "SELECT " + JOB_COLS + " FROM jobs WHERE build_id = ? ORDER BY id", Rows::job, buildId);
    }

    private static Optional<JobRecord> jobIn(Connection c, long jobId) throws SQLException {
        return one(c, "SELECT " + JOB_COLS + " FROM jobs WHERE id = ?", Rows::job, jobId);
    }

    /**
     * Serialises changes to one build's jobs: two runners finishing the last two platforms at once must not both
     * miss (or both see) "every job succeeded".
     */
    private static void lockBuildOfJob(Connection c, long jobId) throws SQLException {
        Optional<Long> buildId = one(c, "SELECT build_id FROM jobs WHERE id = ?", r -> r.getLong(1), jobId);
        if (buildId.isPresent()) {
            list(c, "SELECT id FROM builds WHERE id = ? FOR UPDATE", r -> r.getLong(1), buildId.get());
        }
    }

    private static void recordTimingsIn(Connection c, long jobId, int attempt, java.util.Map<String, Long> millis)
            throws SQLException {
        List<String> have = list(
                c,
                "SELECT step FROM job_timings WHERE job_id = ? AND attempt = ?",
                r -> r.getString(1),
                jobId,
                attempt);
        int seq = one(
                        c,
                        "SELECT COALESCE(MAX(seq), 0) FROM job_timings WHERE job_id = ? AND attempt = ?",
                        r -> r.getInt(1),
                        jobId,
                        attempt)
                .orElse(0);
        for (java.util.Map.Entry<String, Long> m : millis.entrySet()) {
            if (!have.contains(m.getKey())) {
                update(
                        c,
                        "INSERT INTO job_timings (job_id, attempt, seq, step, millis) VALUES (?, ?, ?, ?, ?)",
                        jobId,
                        attempt,
                        ++seq,
                        m.getKey(),
                        m.getValue());
            }
        }
    }

    /** Fails a build that has not finished, and cancels its unfinished jobs. */
    private void failBuildIn(Connection c, long buildId, String error) throws SQLException {
        for (BuildState from :
                new BuildState[] {BuildState.QUEUED, BuildState.RUNNING, BuildState.VERIFYING, BuildState.PUBLISHING}) {
            if (builds.moveBuildIn(c, buildId, from, BuildState.FAILED, error)) {
                break;
            }
        }
        cancelJobsIn(c, buildId);
    }

    private void cancelJobsIn(Connection c, long buildId) throws SQLException {
        update(
                c,
                "UPDATE jobs SET state = 'CANCELLED', lease_expires = NULL, finished_at = ? WHERE build_id = ? "
                        + "AND state IN ('QUEUED', 'RUNNING')",
                clock.instant(),
                buildId);
    }
}
