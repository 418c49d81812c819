package dev.multiarch.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcConnectionPool;

/**
 * {@link Store} in plain SQL over JDBC. {@link #embedded(Path)} opens an H2 database file in the data directory (no
 * server to install); the SQL is kept to what PostgreSQL also speaks.
 */
public final class JdbcStore implements Store {
    private final DataSource ds;
    private final AutoCloseable closer;

    private JdbcStore(DataSource ds, AutoCloseable closer) {
        this.ds = ds;
        this.closer = closer;
        try (Connection c = ds.getConnection()) {
            Migrations.apply(c);
        } catch (SQLException e) {
            throw new StoreException("cannot prepare the store: " + e.getMessage(), e);
        }
    }

    /**
     * An H2 database in {@code dir} (created if missing); one coordinator process at a time may open it.
     * {@code WRITE_DELAY=0}: a commit reaches the file before it returns (H2's default delays it up to a second,
     * and a coordinator killed in that second forgot builds it had already acknowledged).
     */
    public static JdbcStore embedded(Path dir) {
        try {
            java.nio.file.Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw new StoreException("cannot create the data directory " + dir + ": " + e.getMessage(), e);
        }
        String url = "jdbc:h2:file:" + dir.toAbsolutePath().resolve("multiarch") + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0";
        JdbcConnectionPool pool = JdbcConnectionPool.create(url, "multiarch", "");
        pool.setMaxConnections(16);
        try {
            return new JdbcStore(pool, pool::dispose);
        } catch (StoreException e) {
            pool.dispose();
            if (e.getMessage().contains("Database may be already in use")) {
                throw new StoreException("the store " + dir + " is in use by another coordinator process", e);
            }
            throw e;
        }
    }

    @FunctionalInterface
    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private <T> T tx(Work<T> w) {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try {
                T t = w.run(c);
                c.commit();
                return t;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new StoreException("store failure: " + e.getMessage(), e);
        }
    }

    private <T> T read(Work<T> w) {
        try (Connection c = ds.getConnection()) {
            return w.run(c);
        } catch (SQLException e) {
            throw new StoreException("store failure: " + e.getMessage(), e);
        }
    }

    private static Timestamp ts(Instant i) {
        return i == null ? null : Timestamp.from(i);
    }

    private static Instant inst(ResultSet r, String col) throws SQLException {
        Timestamp t = r.getTimestamp(col);
        return t == null ? null : t.toInstant();
    }

    private static final String BUILD_COLS = "id, repo, clone_url, commit_sha, ref, image, spec, tags, version, push, "
            + "state, error, index_digest, published_tags, trigger_info, created_at, updated_at";
    private static final String JOB_COLS = "id, build_id, platform, state, runner_id, attempt, lease_expires, "
            + "timeout_seconds, digest, media_type, size, added_layers, error, started_at, finished_at";

    private static BuildRecord build(ResultSet r) throws SQLException {
        return new BuildRecord(r.getLong("id"), r.getString("repo"), r.getString("clone_url"), r.getString("commit_sha"),
                r.getString("ref"), r.getString("image"), r.getString("spec"), r.getString("tags"),
                r.getString("version"), r.getBoolean("push"), BuildState.valueOf(r.getString("state")),
                r.getString("error"), r.getString("index_digest"), r.getString("published_tags"),
                r.getString("trigger_info"), inst(r, "created_at"), inst(r, "updated_at"));
    }

    private static JobRecord job(ResultSet r) throws SQLException {
        long size = r.getLong("size");
        Long sizeOrNull = r.wasNull() ? null : size;
        int layers = r.getInt("added_layers");
        Integer layersOrNull = r.wasNull() ? null : layers;
        return new JobRecord(r.getLong("id"), r.getLong("build_id"), r.getString("platform"),
                JobState.valueOf(r.getString("state")), r.getString("runner_id"), r.getInt("attempt"),
                inst(r, "lease_expires"), r.getLong("timeout_seconds"), r.getString("digest"), r.getString("media_type"),
                sizeOrNull, layersOrNull, r.getString("error"), inst(r, "started_at"), inst(r, "finished_at"));
    }

    @Override
    public BuildRecord createBuild(NewBuild b) {
        return tx(c -> {
            long id;
            Instant now = Instant.now();
            try (PreparedStatement p = c.prepareStatement("INSERT INTO builds (repo, clone_url, commit_sha, ref, image, "
                    + "spec, tags, version, push, state, error, trigger_info, created_at, updated_at) "
                    + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", Statement.RETURN_GENERATED_KEYS)) {
                p.setString(1, b.repo());
                p.setString(2, b.cloneUrl());
                p.setString(3, b.commit());
                p.setString(4, b.ref());
                p.setString(5, b.image());
                p.setString(6, b.spec());
                p.setString(7, b.tags());
                p.setString(8, b.version());
                p.setBoolean(9, b.push());
                p.setString(10, (b.failedWith() != null ? BuildState.FAILED : BuildState.QUEUED).name());
                p.setString(11, b.failedWith());
                p.setString(12, b.trigger());
                p.setTimestamp(13, ts(now));
                p.setTimestamp(14, ts(now));
                p.executeUpdate();
                try (ResultSet k = p.getGeneratedKeys()) {
                    k.next();
                    id = k.getLong(1);
                }
            }
            if (b.failedWith() == null) {
                try (PreparedStatement p = c.prepareStatement("INSERT INTO jobs (build_id, platform, state, attempt, "
                        + "timeout_seconds) VALUES (?, ?, 'QUEUED', 0, ?)")) {
                    for (NewBuild.NewJob j : b.jobs()) {
                        p.setLong(1, id);
                        p.setString(2, j.platform());
                        p.setLong(3, j.timeoutSeconds());
                        p.addBatch();
                    }
                    p.executeBatch();
                }
            }
            return buildIn(c, id).orElseThrow();
        });
    }

    private static Optional<BuildRecord> buildIn(Connection c, long id) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT " + BUILD_COLS + " FROM builds WHERE id = ?")) {
            p.setLong(1, id);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? Optional.of(build(r)) : Optional.empty();
            }
        }
    }

    @Override
    public Optional<BuildRecord> build(long id) {
        return read(c -> buildIn(c, id));
    }

    @Override
    public List<BuildRecord> recentBuilds(int limit) {
        return read(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT " + BUILD_COLS + " FROM builds ORDER BY id DESC LIMIT ?")) {
                p.setInt(1, limit);
                return builds(p);
            }
        });
    }

    @Override
    public List<BuildRecord> buildsIn(BuildState... states) {
        return read(c -> {
            StringBuilder q = new StringBuilder("SELECT " + BUILD_COLS + " FROM builds WHERE state IN (");
            for (int i = 0; i < states.length; i++) {
                q.append(i == 0 ? "?" : ", ?");
            }
            try (PreparedStatement p = c.prepareStatement(q.append(") ORDER BY id").toString())) {
                for (int i = 0; i < states.length; i++) {
                    p.setString(i + 1, states[i].name());
                }
                return builds(p);
            }
        });
    }

    private static List<BuildRecord> builds(PreparedStatement p) throws SQLException {
        List<BuildRecord> out = new ArrayList<>();
        try (ResultSet r = p.executeQuery()) {
            while (r.next()) {
                out.add(build(r));
            }
        }
        return out;
    }

    private static List<JobRecord> jobs(PreparedStatement p) throws SQLException {
        List<JobRecord> out = new ArrayList<>();
        try (ResultSet r = p.executeQuery()) {
            while (r.next()) {
                out.add(job(r));
            }
        }
        return out;
    }

    @Override
    public List<JobRecord> jobs(long buildId) {
        return read(c -> jobsIn(c, buildId));
    }

    private static List<JobRecord> jobsIn(Connection c, long buildId) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT " + JOB_COLS + " FROM jobs WHERE build_id = ? ORDER BY id")) {
            p.setLong(1, buildId);
            return jobs(p);
        }
    }

    @Override
    public Optional<JobRecord> job(long jobId) {
        return read(c -> jobIn(c, jobId));
    }

    private static Optional<JobRecord> jobIn(Connection c, long jobId) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT " + JOB_COLS + " FROM jobs WHERE id = ?")) {
            p.setLong(1, jobId);
            List<JobRecord> l = jobs(p);
            return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
        }
    }

    @Override
    public boolean moveBuild(long id, BuildState from, BuildState to, String error) {
        return tx(c -> moveBuildIn(c, id, from, to, error));
    }

    private static boolean moveBuildIn(Connection c, long id, BuildState from, BuildState to, String error)
            throws SQLException {
        try (PreparedStatement p = c.prepareStatement("UPDATE builds SET state = ?, error = COALESCE(?, error), "
                + "updated_at = ? WHERE id = ? AND state = ?")) {
            p.setString(1, to.name());
            p.setString(2, error);
            p.setTimestamp(3, ts(Instant.now()));
            p.setLong(4, id);
            p.setString(5, from.name());
            return p.executeUpdate() == 1;
        }
    }

    @Override
    public boolean markPublished(long id, String indexDigest, String publishedTagsJson) {
        return tx(c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE builds SET state = 'PUBLISHED', index_digest = ?, "
                    + "published_tags = ?, updated_at = ? WHERE id = ? AND state = 'PUBLISHING'")) {
                p.setString(1, indexDigest);
                p.setString(2, publishedTagsJson);
                p.setTimestamp(3, ts(Instant.now()));
                p.setLong(4, id);
                return p.executeUpdate() == 1;
            }
        });
    }

    @Override
    public List<JobRecord> queuedJobs() {
        return read(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT " + JOB_COLS + " FROM jobs WHERE state = 'QUEUED' "
                    + "ORDER BY id")) {
                return jobs(p);
            }
        });
    }

    @Override
    public Optional<JobRecord> claimJob(long jobId, String runnerId, Instant expires) {
        return tx(c -> {
            Instant now = Instant.now();
            try (PreparedStatement p = c.prepareStatement("UPDATE jobs SET state = 'RUNNING', runner_id = ?, "
                    + "attempt = attempt + 1, lease_expires = ?, started_at = ?, error = NULL "
                    + "WHERE id = ? AND state = 'QUEUED'")) {
                p.setString(1, runnerId);
                p.setTimestamp(2, ts(expires));
                p.setTimestamp(3, ts(now));
                p.setLong(4, jobId);
                if (p.executeUpdate() != 1) {
                    return Optional.<JobRecord>empty();
                }
            }
            JobRecord j = jobIn(c, jobId).orElseThrow();
            moveBuildIn(c, j.buildId(), BuildState.QUEUED, BuildState.RUNNING, null);
            return Optional.of(j);
        });
    }

    @Override
    public boolean heartbeat(long jobId, String runnerId, int attempt, Instant expires) {
        return tx(c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE jobs SET lease_expires = ? WHERE id = ? AND "
                    + "runner_id = ? AND attempt = ? AND state = 'RUNNING'")) {
                p.setTimestamp(1, ts(expires));
                p.setLong(2, jobId);
                p.setString(3, runnerId);
                p.setInt(4, attempt);
                return p.executeUpdate() == 1;
            }
        });
    }

    /**
     * Serialises changes to one build's jobs: two runners finishing the last two platforms at once must not both
     * miss (or both see) "every job succeeded".
     */
    private static void lockBuildOfJob(Connection c, long jobId) throws SQLException {
        long buildId;
        try (PreparedStatement p = c.prepareStatement("SELECT build_id FROM jobs WHERE id = ?")) {
            p.setLong(1, jobId);
            try (ResultSet r = p.executeQuery()) {
                if (!r.next()) {
                    return;
                }
                buildId = r.getLong(1);
            }
        }
        try (PreparedStatement p = c.prepareStatement("SELECT id FROM builds WHERE id = ? FOR UPDATE")) {
            p.setLong(1, buildId);
            p.executeQuery().close();
        }
    }

    @Override
    public Completion completeJob(long jobId, String runnerId, int attempt, JobResult result) {
        return tx(c -> {
            lockBuildOfJob(c, jobId);
            Instant now = Instant.now();
            try (PreparedStatement p = c.prepareStatement("UPDATE jobs SET state = ?, digest = ?, media_type = ?, "
                    + "size = ?, added_layers = ?, error = ?, finished_at = ?, lease_expires = NULL "
                    + "WHERE id = ? AND runner_id = ? AND attempt = ? AND state = 'RUNNING'")) {
                p.setString(1, result.succeeded() ? "SUCCEEDED" : "FAILED");
                p.setString(2, result.digest());
                p.setString(3, result.mediaType());
                if (result.succeeded()) {
                    p.setLong(4, result.size());
                    p.setInt(5, result.addedLayers());
                } else {
                    p.setNull(4, Types.BIGINT);
                    p.setNull(5, Types.INTEGER);
                }
                p.setString(6, result.error());
                p.setTimestamp(7, ts(now));
                p.setLong(8, jobId);
                p.setString(9, runnerId);
                p.setInt(10, attempt);
                if (p.executeUpdate() != 1) {
                    return Completion.STALE;
                }
            }
            JobRecord j = jobIn(c, jobId).orElseThrow();
            if (!result.succeeded()) {
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

    /** Fails a build that has not finished, and cancels its unfinished jobs. */
    private static void failBuildIn(Connection c, long buildId, String error) throws SQLException {
        for (BuildState from : new BuildState[] {BuildState.QUEUED, BuildState.RUNNING, BuildState.VERIFYING,
                BuildState.PUBLISHING}) {
            if (moveBuildIn(c, buildId, from, BuildState.FAILED, error)) {
                break;
            }
        }
        cancelJobsIn(c, buildId);
    }

    private static void cancelJobsIn(Connection c, long buildId) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("UPDATE jobs SET state = 'CANCELLED', lease_expires = NULL, "
                + "finished_at = ? WHERE build_id = ? AND state IN ('QUEUED', 'RUNNING')")) {
            p.setTimestamp(1, ts(Instant.now()));
            p.setLong(2, buildId);
            p.executeUpdate();
        }
    }

    @Override
    public List<JobRecord> expireLeases(Instant now, int maxAttempts) {
        return tx(c -> {
            List<JobRecord> expired;
            try (PreparedStatement p = c.prepareStatement("SELECT " + JOB_COLS + " FROM jobs WHERE state = 'RUNNING' "
                    + "AND lease_expires < ?")) {
                p.setTimestamp(1, ts(now));
                expired = jobs(p);
            }
            List<JobRecord> out = new ArrayList<>();
            for (JobRecord j : expired) {
                lockBuildOfJob(c, j.id());
                String why = "runner " + j.runnerId() + " stopped reporting (lease expired) on attempt " + j.attempt();
                if (j.attempt() >= maxAttempts) {
                    try (PreparedStatement p = c.prepareStatement("UPDATE jobs SET state = 'FAILED', error = ?, "
                            + "lease_expires = NULL, finished_at = ? WHERE id = ? AND state = 'RUNNING'")) {
                        p.setString(1, why + "; gave up after " + maxAttempts + " attempts");
                        p.setTimestamp(2, ts(now));
                        p.setLong(3, j.id());
                        p.executeUpdate();
                    }
                    failBuildIn(c, j.buildId(), j.platform() + ": " + why + "; gave up after " + maxAttempts
                            + " attempts");
                } else {
                    try (PreparedStatement p = c.prepareStatement("UPDATE jobs SET state = 'QUEUED', runner_id = NULL, "
                            + "lease_expires = NULL, error = ? WHERE id = ? AND state = 'RUNNING'")) {
                        p.setString(1, why + "; queued again");
                        p.setLong(2, j.id());
                        p.executeUpdate();
                    }
                }
                out.add(jobIn(c, j.id()).orElseThrow());
            }
            return out;
        });
    }

    @Override
    public void failVerification(long buildId, long jobId, String error) {
        tx(c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE jobs SET state = 'FAILED', error = ? WHERE id = ?")) {
                p.setString(1, error);
                p.setLong(2, jobId);
                p.executeUpdate();
            }
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

    @Override
    public void appendLog(long jobId, int attempt, String text) {
        tx(c -> {
            try (PreparedStatement p = c.prepareStatement("INSERT INTO job_logs (job_id, attempt, chunk) VALUES (?, ?, ?)")) {
                p.setLong(1, jobId);
                p.setInt(2, attempt);
                p.setString(3, text);
                p.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public List<LogChunk> logs(long jobId, long afterSeq) {
        return read(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT seq, attempt, chunk FROM job_logs WHERE job_id = ? "
                    + "AND seq > ? ORDER BY seq")) {
                p.setLong(1, jobId);
                p.setLong(2, afterSeq);
                List<LogChunk> out = new ArrayList<>();
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        out.add(new LogChunk(r.getLong(1), r.getInt(2), r.getString(3)));
                    }
                }
                return out;
            }
        });
    }

    @Override
    public void addRunner(RunnerRecord r) {
        tx(c -> {
            try (PreparedStatement p = c.prepareStatement("INSERT INTO runners (id, name, token_hash, native_platforms, "
                    + "qemu_platforms, registered_at, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                p.setString(1, r.id());
                p.setString(2, r.name());
                p.setString(3, r.tokenHash());
                p.setString(4, r.nativePlatforms());
                p.setString(5, r.qemuPlatforms());
                p.setTimestamp(6, ts(r.registeredAt()));
                p.setTimestamp(7, ts(r.lastSeen()));
                p.executeUpdate();
            }
            return null;
        });
    }

    private static RunnerRecord runner(ResultSet r) throws SQLException {
        return new RunnerRecord(r.getString("id"), r.getString("name"), r.getString("token_hash"),
                r.getString("native_platforms"), r.getString("qemu_platforms"), inst(r, "registered_at"),
                inst(r, "last_seen"));
    }

    @Override
    public Optional<RunnerRecord> runnerByTokenHash(String tokenHash) {
        return read(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT * FROM runners WHERE token_hash = ?")) {
                p.setString(1, tokenHash);
                try (ResultSet r = p.executeQuery()) {
                    return r.next() ? Optional.of(runner(r)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public void touchRunner(String runnerId, Instant at) {
        tx(c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE runners SET last_seen = ? WHERE id = ?")) {
                p.setTimestamp(1, ts(at));
                p.setString(2, runnerId);
                p.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public List<RunnerRecord> runners() {
        return read(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT * FROM runners ORDER BY registered_at");
                 ResultSet r = p.executeQuery()) {
                List<RunnerRecord> out = new ArrayList<>();
                while (r.next()) {
                    out.add(runner(r));
                }
                return out;
            }
        });
    }

    @Override
    public Optional<TagOwner> tagOwner(String image, String tag) {
        return read(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT build_id, version FROM tag_owners WHERE image = ? "
                    + "AND tag = ?")) {
                p.setString(1, image);
                p.setString(2, tag);
                try (ResultSet r = p.executeQuery()) {
                    return r.next() ? Optional.of(new TagOwner(r.getLong(1), r.getString(2))) : Optional.empty();
                }
            }
        });
    }

    @Override
    public void setTagOwner(String image, String tag, long buildId, String version) {
        tx(c -> {
            try (PreparedStatement p = c.prepareStatement("MERGE INTO tag_owners (image, tag, build_id, version) "
                    + "KEY (image, tag) VALUES (?, ?, ?, ?)")) {
                p.setString(1, image);
                p.setString(2, tag);
                p.setLong(3, buildId);
                p.setString(4, version);
                p.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public boolean addDelivery(Delivery d) {
        try {
            return tx(c -> {
                try (PreparedStatement p = c.prepareStatement("INSERT INTO deliveries (hook_id, delivery_id, event, "
                        + "payload, received_at, state) VALUES (?, ?, ?, ?, ?, 'received')")) {
                    p.setString(1, d.hookId());
                    p.setString(2, d.deliveryId());
                    p.setString(3, d.event());
                    p.setString(4, d.payload());
                    p.setTimestamp(5, ts(d.receivedAt()));
                    p.executeUpdate();
                    return true;
                }
            });
        } catch (StoreException e) {
            if (e.getCause() instanceof SQLException sql && "23505".equals(sql.getSQLState())) {
                return false;
            }
            throw e;
        }
    }

    @Override
    public List<Delivery> deliveriesIn(String state) {
        return read(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT * FROM deliveries WHERE state = ? ORDER BY received_at")) {
                p.setString(1, state);
                List<Delivery> out = new ArrayList<>();
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        out.add(new Delivery(r.getString("hook_id"), r.getString("delivery_id"), r.getString("event"),
                                r.getString("payload"), inst(r, "received_at"), r.getString("state"), r.getString("note")));
                    }
                }
                return out;
            }
        });
    }

    @Override
    public void markDelivery(String hookId, String deliveryId, String state, String note) {
        tx(c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE deliveries SET state = ?, note = ? WHERE hook_id = ? "
                    + "AND delivery_id = ?")) {
                p.setString(1, state);
                p.setString(2, note);
                p.setString(3, hookId);
                p.setString(4, deliveryId);
                p.executeUpdate();
            }
            return null;
        });
    }

    private static Report report(ResultSet r) throws SQLException {
        return new Report(r.getLong("build_id"), r.getString("context"), r.getString("body"), r.getInt("version"),
                r.getInt("sent_version"), r.getString("external_id"), r.getInt("attempts"), inst(r, "next_attempt"),
                r.getString("last_error"));
    }

    @Override
    public void wantReport(long buildId, String context, String body) {
        tx(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT body FROM reports WHERE build_id = ? AND context = ? "
                    + "FOR UPDATE")) {
                p.setLong(1, buildId);
                p.setString(2, context);
                try (ResultSet r = p.executeQuery()) {
                    if (r.next()) {
                        if (body.equals(r.getString(1))) {
                            return null;
                        }
                        try (PreparedStatement u = c.prepareStatement("UPDATE reports SET body = ?, version = version + 1, "
                                + "attempts = 0, next_attempt = NULL WHERE build_id = ? AND context = ?")) {
                            u.setString(1, body);
                            u.setLong(2, buildId);
                            u.setString(3, context);
                            u.executeUpdate();
                        }
                        return null;
                    }
                }
            }
            try (PreparedStatement p = c.prepareStatement("INSERT INTO reports (build_id, context, body, version) "
                    + "VALUES (?, ?, ?, 1)")) {
                p.setLong(1, buildId);
                p.setString(2, context);
                p.setString(3, body);
                p.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public List<Report> dueReports(Instant now, int limit) {
        return read(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT * FROM reports WHERE version > sent_version AND "
                    + "(next_attempt IS NULL OR next_attempt <= ?) ORDER BY build_id, context LIMIT ?")) {
                p.setTimestamp(1, ts(now));
                p.setInt(2, limit);
                List<Report> out = new ArrayList<>();
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        out.add(report(r));
                    }
                }
                return out;
            }
        });
    }

    @Override
    public void reportSent(long buildId, String context, int version, String externalId) {
        tx(c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE reports SET sent_version = GREATEST(sent_version, ?), "
                    + "external_id = COALESCE(?, external_id), attempts = 0, next_attempt = NULL, last_error = NULL "
                    + "WHERE build_id = ? AND context = ?")) {
                p.setInt(1, version);
                p.setString(2, externalId);
                p.setLong(3, buildId);
                p.setString(4, context);
                p.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public void reportDeferred(long buildId, String context, Instant next, String error) {
        tx(c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE reports SET attempts = attempts + 1, next_attempt = ?, "
                    + "last_error = ? WHERE build_id = ? AND context = ?")) {
                p.setTimestamp(1, ts(next));
                p.setString(2, error);
                p.setLong(3, buildId);
                p.setString(4, context);
                p.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public List<Report> reports(long buildId) {
        return read(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT * FROM reports WHERE build_id = ? ORDER BY context")) {
                p.setLong(1, buildId);
                List<Report> out = new ArrayList<>();
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        out.add(report(r));
                    }
                }
                return out;
            }
        });
    }

    @Override
    public void close() {
        try {
            closer.close();
        } catch (Exception e) {
            throw new StoreException("cannot close the store: " + e.getMessage(), e);
        }
    }
}
