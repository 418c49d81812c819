package dev.multiarch.store;

import static dev.multiarch.store.Rows.BUILD_COLS;
import static dev.multiarch.store.Rows.JOB_COLS;
import static dev.multiarch.store.Sql.bind;
import static dev.multiarch.store.Sql.inst;
import static dev.multiarch.store.Sql.list;
import static dev.multiarch.store.Sql.one;
import static dev.multiarch.store.Sql.update;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.multiarch.registry.Digest;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcConnectionPool;

/**
 * {@link Store} in plain SQL over JDBC, one class for both databases: {@link #embedded(Path)} opens an H2 database
 * file in the data directory (no server to install), {@link #postgres} a PostgreSQL database that several
 * coordinators may share. The SQL is what both speak; the few differences are {@link Dialect}'s table.
 */
public final class JdbcStore implements Store {
    private final DataSource ds;
    private final AutoCloseable closer;
    private final Clock clock;
    private final Dialect dialect;
    private final Wakeups wakeups;
    private final JdbcSessions sessions;
    private final Deliveries deliveries;
    private final Reports reports;
    private final Logs logs;
    private final Runners runners;
    private final Tags tags;

    private JdbcStore(DataSource ds, AutoCloseable closer, Clock clock, Dialect dialect) {
        this.clock = clock;
        this.ds = ds;
        this.closer = closer;
        this.dialect = dialect;
        this.wakeups = new Wakeups(ds, dialect);
        this.sessions = new JdbcSessions(ds);
        this.deliveries = new Deliveries(ds, clock);
        this.reports = new Reports(ds);
        this.logs = new Logs(ds);
        this.runners = new Runners(ds);
        this.tags = new Tags(ds, clock, dialect);
        try (Connection c = ds.getConnection()) {
            Migrations.apply(c, dialect);
        } catch (SQLException e) {
            throw new StoreException("cannot prepare the store: " + e.getMessage(), e);
        }
    }

    /**
     * An H2 database in {@code dir} (created if missing); one coordinator process at a time may open it.
     * {@code WRITE_DELAY=0}: a commit reaches the file before it returns (H2's default delays it up to a second,
     * and a coordinator killed in that second forgot builds it had already acknowledged). H2 does not sync that
     * write: it is in the operating system's cache, which survives the process being killed but not necessarily a
     * power cut (the package documentation has what was measured and tried).
     */
    public static JdbcStore embedded(Path dir) {
        return embedded(dir, Clock.systemUTC());
    }

    /** As {@link #embedded(Path)}, reading the time it records from {@code clock}. */
    public static JdbcStore embedded(Path dir, Clock clock) {
        try {
            java.nio.file.Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw new StoreException("cannot create the data directory " + dir + ": " + e.getMessage(), e);
        }
        JdbcConnectionPool pool = JdbcConnectionPool.create(embeddedUrl(dir), "multiarch", "");
        pool.setMaxConnections(16);
        try {
            return new JdbcStore(pool, pool::dispose, clock, Dialect.H2);
        } catch (StoreException e) {
            pool.dispose();
            if (e.getMessage().contains("Database may be already in use")) {
                throw new StoreException("the store " + dir + " is in use by another coordinator process", e);
            }
            throw e;
        }
    }

    /**
     * The JDBC URL of the H2 database {@link #embedded(Path)} opens in {@code dir}, with its settings (user {@code
     * multiarch}, no password): in this process, a connection to it shares the open database.
     */
    public static String embeddedUrl(Path dir) {
        return "jdbc:h2:file:" + dir.toAbsolutePath().resolve("multiarch") + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0";
    }

    /**
     * A PostgreSQL database (it must exist; the tables are made here), through a pool of at most {@code maxConnections}
     * connections. Coordinators sharing it each open their own store.
     *
     * @param url {@code postgresql://host[:port]/database[?parameters]}, with or without a leading {@code jdbc:}
     * @param password null for none (a local socket with trust or peer authentication)
     */
    public static JdbcStore postgres(String url, String username, String password, int maxConnections, Clock clock) {
        String jdbcUrl = url.startsWith("jdbc:") ? url : "jdbc:" + url;
        if (!jdbcUrl.startsWith("jdbc:postgresql://")) {
            throw new StoreException("the store URL must look like postgresql://host:port/database, not " + url, null);
        }
        HikariConfig hc = new HikariConfig();
        hc.setPoolName("multiarch-store");
        hc.setJdbcUrl(jdbcUrl);
        hc.setUsername(username);
        hc.setPassword(password);
        hc.setMaximumPoolSize(maxConnections);
        hc.setMinimumIdle(1);
        hc.setConnectionTimeout(10_000);
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(hc);
        } catch (RuntimeException e) {
            throw new StoreException(
                    "cannot connect to the store at " + url + " as " + username + ": " + rootMessage(e), e);
        }
        try {
            return new JdbcStore(pool, pool, clock, Dialect.POSTGRESQL);
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage();
    }

    // ---- plumbing (Sql) on this store's pool

    private <T> T tx(Sql.Work<T> w) {
        return Sql.tx(ds, w);
    }

    private <T> T txKeyed(Sql.Work<T> w) {
        return Sql.txKeyed(ds, w);
    }

    private <T> T read(Sql.Work<T> w) {
        return Sql.read(ds, w);
    }

    // ---- builds and jobs

    @Override
    public BuildRecord createBuild(NewBuild b) {
        BuildRecord created = tx(c -> {
            long id;
            Instant now = clock.instant();
            OriginKeys origin = OriginKeys.of(b.trigger());
            try (PreparedStatement p = bind(
                    c.prepareStatement(
                            "INSERT INTO builds (repo, clone_url, commit_sha, ref, image, spec, tags, version, push, "
                                    + "untrusted, private_repo, state, error, trigger_info, created_at, updated_at, "
                                    + "origin_repo, origin_commit, origin_pr, origin_delivery, origin_check_suite) "
                                    + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            new String[] {"id"}),
                    b.repo(),
                    b.cloneUrl(),
                    b.commit(),
                    b.ref(),
                    b.image() == null ? null : b.image().toString(),
                    b.spec(),
                    b.tags(),
                    b.version(),
                    b.push(),
                    b.untrusted(),
                    b.privateRepo(),
                    (b.failedWith() != null ? BuildState.FAILED : BuildState.QUEUED).name(),
                    b.failedWith(),
                    b.trigger(),
                    now,
                    now,
                    origin.repo(),
                    origin.commit(),
                    origin.pullRequest(),
                    origin.delivery(),
                    origin.checkSuite())) {
                p.executeUpdate();
                try (ResultSet k = p.getGeneratedKeys()) {
                    k.next();
                    id = k.getLong(1);
                }
            }
            if (b.failedWith() == null && !b.jobs().isEmpty()) {
                wakeups.announce(c);
                for (NewBuild.NewJob j : b.jobs()) {
                    update(
                            c,
                            "INSERT INTO jobs (build_id, platform, state, attempt, timeout_seconds) "
                                    + "VALUES (?, ?, 'QUEUED', 0, ?)",
                            id,
                            j.platform().shortForm(),
                            j.timeoutSeconds());
                }
            }
            return buildIn(c, id).orElseThrow();
        });
        if (created.state() == BuildState.QUEUED) {
            wakeups.committed();
        }
        return created;
    }

    private static Optional<BuildRecord> buildIn(Connection c, long id) throws SQLException {
        return one(c, "SELECT " + BUILD_COLS + " FROM builds WHERE id = ?", Rows::build, id);
    }

    @Override
    public Optional<BuildRecord> build(long id) {
        return read(c -> buildIn(c, id));
    }

    @Override
    public List<BuildRecord> recentBuilds(int limit) {
        return read(c -> list(c, "SELECT " + BUILD_COLS + " FROM builds ORDER BY id DESC LIMIT ?", Rows::build, limit));
    }

    @Override
    public List<BuildRecord> buildsIn(BuildState... states) {
        String marks = String.join(", ", java.util.Collections.nCopies(states.length, "?"));
        Object[] names = java.util.Arrays.stream(states).map(Enum::name).toArray();
        return read(c -> list(
                c,
                "SELECT " + BUILD_COLS + " FROM builds WHERE state IN (" + marks + ") ORDER BY id",
                Rows::build,
                names));
    }

    @Override
    public List<BuildRecord> buildsOfDelivery(String deliveryId) {
        return read(c -> list(
                c,
                "SELECT " + BUILD_COLS + " FROM builds WHERE origin_delivery = ? ORDER BY id",
                Rows::build,
                deliveryId));
    }

    @Override
    public Optional<BuildRecord> latestBuildOfCommit(String repo, String commit) {
        return read(c -> one(
                c,
                "SELECT " + BUILD_COLS + " FROM builds WHERE origin_repo = ? AND origin_commit = ? "
                        + "ORDER BY id DESC LIMIT 1",
                Rows::build,
                repo,
                commit));
    }

    @Override
    public List<BuildRecord> buildsOfPullRequest(String repo, int pullRequest, BuildState... states) {
        String marks = String.join(", ", java.util.Collections.nCopies(states.length, "?"));
        List<Object> params = new ArrayList<>(List.of(repo, pullRequest));
        java.util.Arrays.stream(states).map(Enum::name).forEach(params::add);
        return read(c -> list(
                c,
                "SELECT " + BUILD_COLS + " FROM builds WHERE origin_repo = ? AND origin_pr = ? AND state IN (" + marks
                        + ") ORDER BY id",
                Rows::build,
                params.toArray()));
    }

    @Override
    public List<JobRecord> jobs(long buildId) {
        return read(c -> jobsIn(c, buildId));
    }

    private static List<JobRecord> jobsIn(Connection c, long buildId) throws SQLException {
        return list(c, "SELECT " + JOB_COLS + " FROM jobs WHERE build_id = ? ORDER BY id", Rows::job, buildId);
    }

    @Override
    public List<JobRecord> jobsOfBuilds(List<Long> buildIds) {
        if (buildIds.isEmpty()) {
            return List.of();
        }
        String marks = String.join(", ", java.util.Collections.nCopies(buildIds.size(), "?"));
        return read(c -> list(
                c,
                "SELECT " + JOB_COLS + " FROM jobs WHERE build_id IN (" + marks + ") ORDER BY build_id, id",
                Rows::job,
                buildIds.toArray()));
    }

    @Override
    public Optional<JobRecord> job(long jobId) {
        return read(c -> jobIn(c, jobId));
    }

    private static Optional<JobRecord> jobIn(Connection c, long jobId) throws SQLException {
        return one(c, "SELECT " + JOB_COLS + " FROM jobs WHERE id = ?", Rows::job, jobId);
    }

    @Override
    public boolean moveBuild(long id, BuildState from, BuildState to, String error) {
        return tx(c -> moveBuildIn(c, id, from, to, error));
    }

    private boolean moveBuildIn(Connection c, long id, BuildState from, BuildState to, String error)
            throws SQLException {
        return update(
                        c,
                        "UPDATE builds SET state = ?, error = COALESCE(?, error), updated_at = ? "
                                + "WHERE id = ? AND state = ?",
                        to.name(),
                        error,
                        clock.instant(),
                        id,
                        from.name())
                == 1;
    }

    @Override
    public boolean markPublished(long id, Digest indexDigest, String publicationJson) {
        return tx(c -> update(
                        c,
                        "UPDATE builds SET state = 'PUBLISHED', index_digest = ?, published_tags = ?, "
                                + "updated_at = ? WHERE id = ? AND state = 'PUBLISHING'",
                        indexDigest == null ? null : indexDigest.toString(),
                        publicationJson,
                        clock.instant(),
                        id)
                == 1);
    }

    @Override
    public boolean markPartlyPublished(long id, Digest indexDigest, String publicationJson, String error) {
        return tx(c -> update(
                        c,
                        "UPDATE builds SET state = 'FAILED', index_digest = ?, published_tags = ?, error = ?, "
                                + "updated_at = ? WHERE id = ? AND state = 'PUBLISHING'",
                        indexDigest == null ? null : indexDigest.toString(),
                        publicationJson,
                        error,
                        clock.instant(),
                        id)
                == 1);
    }

    @Override
    public boolean reopenPublishing(long id) {
        return tx(c -> update(
                        c,
                        "UPDATE builds SET state = 'PUBLISHING', error = NULL, updated_at = ?, finish_by = NULL, "
                                + "finish_until = NULL WHERE id = ? AND state = 'FAILED'",
                        clock.instant(),
                        id)
                == 1);
    }

    @Override
    public List<JobRecord> queuedJobs() {
        return read(c -> list(c, "SELECT " + JOB_COLS + " FROM jobs WHERE state = 'QUEUED' ORDER BY id", Rows::job));
    }

    @Override
    public List<JobRecord> queuedJobsOfBuilds(long afterBuildId, int builds) {
        return read(c -> list(
                c,
                "SELECT " + JOB_COLS + " FROM jobs WHERE state = 'QUEUED' AND build_id IN (SELECT DISTINCT build_id "
                        + "FROM jobs WHERE state = 'QUEUED' AND build_id > ? ORDER BY build_id LIMIT ?) "
                        + "ORDER BY build_id, id",
                Rows::job,
                afterBuildId,
                builds));
    }

    @Override
    public Optional<JobRecord> claimJob(long jobId, String runnerId, Instant expires) {
        return tx(c -> {
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
            moveBuildIn(c, j.buildId(), BuildState.QUEUED, BuildState.RUNNING, null);
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

    @Override
    public boolean heartbeat(long jobId, String runnerId, int attempt, Instant expires) {
        return tx(c -> update(
                        c,
                        "UPDATE jobs SET lease_expires = ? WHERE id = ? AND runner_id = ? AND attempt = ? "
                                + "AND state = 'RUNNING'",
                        expires,
                        jobId,
                        runnerId,
                        attempt)
                == 1);
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

    @Override
    public Completion completeJob(long jobId, String runnerId, int attempt, JobResult result) {
        return tx(c -> {
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
            if (all && moveBuildIn(c, j.buildId(), BuildState.RUNNING, BuildState.VERIFYING, null)) {
                return Completion.BUILD_READY;
            }
            return Completion.RECORDED;
        });
    }

    @Override
    public void recordTimings(long jobId, int attempt, java.util.Map<String, Long> millis) {
        txKeyed(c -> {
            recordTimingsIn(c, jobId, attempt, millis);
            return null;
        });
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

    @Override
    public List<StepTime> timings(List<Long> buildIds) {
        if (buildIds.isEmpty()) {
            return List.of();
        }
        String marks = String.join(", ", java.util.Collections.nCopies(buildIds.size(), "?"));
        return read(c -> list(
                c,
                "SELECT t.job_id, t.attempt, t.step, t.millis FROM job_timings t JOIN jobs j ON j.id = t.job_id "
                        + "WHERE j.build_id IN (" + marks + ") ORDER BY t.job_id, t.attempt, t.seq",
                r -> new StepTime(r.getLong(1), r.getInt(2), r.getString(3), r.getLong(4)),
                buildIds.toArray()));
    }

    /** Fails a build that has not finished, and cancels its unfinished jobs. */
    private void failBuildIn(Connection c, long buildId, String error) throws SQLException {
        for (BuildState from :
                new BuildState[] {BuildState.QUEUED, BuildState.RUNNING, BuildState.VERIFYING, BuildState.PUBLISHING}) {
            if (moveBuildIn(c, buildId, from, BuildState.FAILED, error)) {
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

    @Override
    public List<JobRecord> expireLeases(Instant now, int maxAttempts) {
        List<JobRecord> touched = tx(c -> {
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

    @Override
    public Subscription onJobsQueued(Runnable listener) {
        return wakeups.subscribe(listener);
    }

    @Override
    public void failVerification(long buildId, long jobId, String error) {
        tx(c -> {
            update(c, "UPDATE jobs SET state = 'FAILED', error = ? WHERE id = ?", error, jobId);
            failBuildIn(c, buildId, error);
            return null;
        });
    }

    @Override
    public boolean cancelBuild(long buildId, String reason) {
        return tx(c -> {
            boolean moved = false;
            for (BuildState from : new BuildState[] {BuildState.QUEUED, BuildState.RUNNING}) {
                moved |= moveBuildIn(c, buildId, from, BuildState.CANCELLED, reason);
            }
            if (moved) {
                cancelJobsIn(c, buildId);
            }
            return moved;
        });
    }

    // ---- job logs (Logs)

    @Override
    public void appendLog(long jobId, int attempt, String text, long keepBytes) {
        logs.append(jobId, attempt, text, keepBytes);
    }

    @Override
    public List<LogChunk> logs(long jobId, long afterSeq, int maxChunks) {
        return logs.after(jobId, afterSeq, maxChunks);
    }

    @Override
    public List<LogChunk> logTail(long jobId, long maxBytes) {
        return logs.tail(jobId, maxBytes);
    }

    // ---- runners (Runners)

    @Override
    public void addRunner(RunnerRecord r) {
        runners.add(r);
    }

    @Override
    public Optional<RunnerRecord> runnerByTokenHash(String tokenHash) {
        return runners.byTokenHash(tokenHash);
    }

    @Override
    public Optional<RunnerRecord> runner(String id) {
        return runners.byId(id);
    }

    @Override
    public void touchRunner(String runnerId, Instant at) {
        runners.touch(runnerId, at);
    }

    @Override
    public Census census(Instant runnersSeenSince) {
        return runners.census(runnersSeenSince);
    }

    @Override
    public List<RunnerRecord> runners() {
        return runners.all();
    }

    // ---- tags and publications (Tags)

    @Override
    public Optional<TagOwner> tagOwner(String image, String tag) {
        return tags.owner(image, tag);
    }

    @Override
    public void setTagOwner(String image, String tag, long buildId, String version) {
        tags.setOwner(image, tag, buildId, version);
    }

    @Override
    public boolean claimTag(String image, String tag, Long expectedOwner, long buildId, String version) {
        return tags.claim(image, tag, expectedOwner, buildId, version);
    }

    @Override
    public void recordTagMove(String image, String tag, long buildId, String indexDigest) {
        tags.recordMove(image, tag, buildId, indexDigest);
    }

    @Override
    public void setPublication(
            long buildId, int position, String image, PublicationState state, Digest indexDigest, String error) {
        tags.setPublication(buildId, position, image, state, indexDigest, error);
    }

    @Override
    public List<Publication> publications(long buildId) {
        return tags.publications(buildId);
    }

    // ---- the dashboard's reads (DashboardReads)

    @Override
    public List<BuildRecord> buildsPage(BuildFilter filter, Long beforeId, int limit) {
        return read(c -> DashboardReads.buildsPage(c, filter, beforeId, limit));
    }

    @Override
    public List<BuildRecord> buildsById(java.util.Collection<Long> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        List<Long> distinct = List.copyOf(new java.util.TreeSet<>(ids));
        String marks = String.join(", ", java.util.Collections.nCopies(distinct.size(), "?"));
        return read(c -> list(
                c,
                "SELECT " + BUILD_COLS + " FROM builds WHERE id IN (" + marks + ") ORDER BY id",
                Rows::build,
                distinct.toArray()));
    }

    @Override
    public Optional<BuildRecord> latestBuildOfRepo(String repo, boolean publishingOnly, String refPrefix) {
        return read(c -> DashboardReads.latestBuildOfRepo(c, repo, publishingOnly, refPrefix));
    }

    @Override
    public Optional<BuildRecord> tagHolder(String repo, String tag) {
        return read(c -> DashboardReads.tagHolder(c, repo, tag));
    }

    @Override
    public List<ImageTag> imageTags(String image, int limit) {
        return read(c -> DashboardReads.imageTags(c, image, limit));
    }

    @Override
    public List<TagMove> tagMoves(String image, int limit) {
        return read(c -> DashboardReads.tagMoves(c, image, limit));
    }

    @Override
    public List<JobRecord> runningJobs() {
        return read(c -> list(c, "SELECT " + JOB_COLS + " FROM jobs WHERE state = 'RUNNING' ORDER BY id", Rows::job));
    }

    @Override
    public List<RunnerPlatformStats> runnerStats() {
        return read(c -> DashboardReads.runnerStats(c, dialect));
    }

    // ---- GitHub deliveries (Deliveries)

    @Override
    public boolean addDelivery(Delivery d) {
        return deliveries.add(d);
    }

    /**
     * One transaction for the whole batch ({@link Deliveries#addAll}). Should another coordinator store one of them
     * meanwhile (its insert and ours collide on the key), the batch is rolled back and each delivery is stored on its
     * own, with its own answer.
     */
    @Override
    public List<Boolean> addDeliveries(List<Delivery> ds) {
        if (ds.size() < 2) {
            return Store.super.addDeliveries(ds);
        }
        try {
            return deliveries.addAll(ds);
        } catch (StoreException e) {
            return Store.super.addDeliveries(ds);
        }
    }

    /**
     * As {@link #addDeliveries(List)}, with the marks' updates in the same transaction: on H2 a commit rewrites every
     * page it changed up to each map's root whatever the rows, so a mark with its own commit cost the webhook intake
     * as much as a delivery did (bench/webhook-load). After a collision with another coordinator, the deliveries are
     * stored one by one and then the marks written.
     */
    @Override
    public List<Boolean> addDeliveries(List<Delivery> ds, List<DeliveryMark> marks) {
        if (ds.isEmpty()) {
            markDeliveries(marks);
            return List.of();
        }
        try {
            return deliveries.addAll(ds, marks);
        } catch (StoreException e) {
            return Store.super.addDeliveries(ds, marks);
        }
    }

    @Override
    public List<Delivery> deliveriesIn(DeliveryState state) {
        return deliveries.in(state);
    }

    @Override
    public void markDeliveries(List<DeliveryMark> marks) {
        if (marks.size() < 2) {
            Store.super.markDeliveries(marks);
            return;
        }
        deliveries.markAll(marks);
    }

    @Override
    public List<Delivery> claimDeliveries(String holder, Instant now, Instant until, int limit) {
        return deliveries.claim(holder, now, until, limit);
    }

    @Override
    public Set<DeliveryKey> leaseDeliveries(String holder, List<DeliveryKey> keys, Instant now, Instant until) {
        return deliveries.lease(holder, keys, now, until);
    }

    @Override
    public void holdDelivery(String hookId, String deliveryId, Instant until) {
        deliveries.hold(hookId, deliveryId, until);
    }

    @Override
    public void markDelivery(String hookId, String deliveryId, DeliveryState state, String note) {
        deliveries.mark(hookId, deliveryId, state, note);
    }

    // ---- the status outbox (Reports)

    @Override
    public void wantReport(long buildId, String context, String body) {
        reports.want(buildId, context, body);
    }

    @Override
    public List<Report> dueReports(String holder, Instant now, int limit) {
        return reports.due(holder, now, limit);
    }

    @Override
    public boolean holdReport(String holder, long buildId, String context, Instant until) {
        return reports.hold(holder, buildId, context, until);
    }

    @Override
    public void reportSent(long buildId, String context, int version, String externalId) {
        reports.sent(buildId, context, version, externalId);
    }

    @Override
    public void reportDeferred(long buildId, String context, Instant next, String error) {
        reports.deferred(buildId, context, next, error);
    }

    @Override
    public void reportDropped(long buildId, String context, int version, String why) {
        reports.dropped(buildId, context, version, why);
    }

    @Override
    public List<Report> reports(long buildId) {
        return reports.of(buildId);
    }

    @Override
    public boolean leaseFinish(long buildId, String holder, Instant now, Instant until) {
        return tx(c -> update(
                        c,
                        "UPDATE builds SET finish_by = ?, finish_until = ? WHERE id = ? AND state IN ('VERIFYING', "
                                + "'PUBLISHING') AND (finish_until IS NULL OR finish_until <= ? OR finish_by = ?)",
                        holder,
                        until,
                        buildId,
                        now,
                        holder)
                == 1);
    }

    @Override
    public List<Long> unleasedFinishes(Instant now) {
        return read(c -> list(
                c,
                "SELECT id FROM builds WHERE state IN ('VERIFYING', 'PUBLISHING') AND (finish_until IS NULL OR "
                        + "finish_until <= ?) ORDER BY id",
                r -> r.getLong(1),
                now));
    }

    @Override
    public SessionStore sessions() {
        return sessions;
    }

    @Override
    public Purged purge(Instant before) {
        try (Connection c = ds.getConnection()) {
            return Retention.purge(c, dialect, before);
        } catch (SQLException e) {
            throw new StoreException("store retention failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        wakeups.close();
        if (dialect == Dialect.H2) {
            // Rewrites the file with only live data (H2 otherwise compacts for 200 ms on close): a store opened
            // next starts at its smallest. Measured with bench/store-bench: under a second for 10,000 deliveries.
            try (Connection c = ds.getConnection();
                    Statement s = c.createStatement()) {
                s.execute("SHUTDOWN COMPACT");
            } catch (SQLException e) {
                java.util.logging.Logger.getLogger(JdbcStore.class.getName())
                        .warning("compacting the store on close failed: " + e.getMessage());
            }
        }
        try {
            closer.close();
        } catch (Exception e) {
            throw new StoreException("cannot close the store: " + e.getMessage(), e);
        }
    }
}
