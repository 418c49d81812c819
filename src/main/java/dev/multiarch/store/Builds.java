package dev.multiarch.store;

import static dev.multiarch.store.Rows.BUILD_COLS;
import static dev.multiarch.store.Sql.bind;
import static dev.multiarch.store.Sql.list;
import static dev.multiarch.store.Sql.one;
import static dev.multiarch.store.Sql.read;
import static dev.multiarch.store.Sql.tx;
import static dev.multiarch.store.Sql.update;

import dev.multiarch.registry.Digest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Builds: created with their jobs in one transaction (and dispatchers woken when it commits), read by id, state,
 * origin or pull request, and moved from state to state by compare-and-set on the state they are expected in. The
 * finish lease ({@code finish_by}, {@code finish_until}) says which coordinator verifies and publishes a build.
 */
final class Builds {
    private final DataSource ds;
    private final Clock clock;
    private final Wakeups wakeups;

    Builds(DataSource ds, Clock clock, Wakeups wakeups) {
        this.ds = ds;
        this.clock = clock;
        this.wakeups = wakeups;
    }

    BuildRecord create(NewBuild b) {
        BuildRecord created = tx(ds, c -> {
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

    Optional<BuildRecord> byId(long id) {
        return read(ds, c -> buildIn(c, id));
    }

    List<BuildRecord> recent(int limit) {
        return read(
                ds, c -> list(c, "SELECT " + BUILD_COLS + " FROM builds ORDER BY id DESC LIMIT ?", Rows::build, limit));
    }

    List<BuildRecord> in(BuildState... states) {
        String marks = String.join(", ", java.util.Collections.nCopies(states.length, "?"));
        Object[] names = java.util.Arrays.stream(states).map(Enum::name).toArray();
        return read(
                ds,
                c -> list(
                        c,
                        "SELECT " + BUILD_COLS + " FROM builds WHERE state IN (" + marks + ") ORDER BY id",
                        Rows::build,
                        names));
    }

    List<BuildRecord> ofDelivery(String deliveryId) {
        return read(
                ds,
                c -> list(
                        c,
                        "SELECT " + BUILD_COLS + " FROM builds WHERE origin_delivery = ? ORDER BY id",
                        Rows::build,
                        deliveryId));
    }

    Optional<BuildRecord> latestOfCommit(String repo, String commit) {
        return read(
                ds,
                c -> one(
                        c,
                        "SELECT " + BUILD_COLS + " FROM builds WHERE origin_repo = ? AND origin_commit = ? "
                                + "ORDER BY id DESC LIMIT 1",
                        Rows::build,
                        repo,
                        commit));
    }

    Optional<BuildRecord> latestOfCheckSuite(String repo, long checkSuite) {
        return read(
                ds,
                c -> one(
                        c,
                        "SELECT " + BUILD_COLS + " FROM builds WHERE origin_check_suite = ? AND origin_repo = ? "
                                + "ORDER BY id DESC LIMIT 1",
                        Rows::build,
                        checkSuite,
                        repo));
    }

    void recordCheckSuite(long buildId, long checkSuite) {
        tx(
                ds,
                c -> update(
                        c,
                        "UPDATE builds SET origin_check_suite = ? WHERE id = ? AND origin_check_suite IS NULL",
                        checkSuite,
                        buildId));
    }

    List<BuildRecord> ofPullRequest(String repo, int pullRequest, BuildState... states) {
        String marks = String.join(", ", java.util.Collections.nCopies(states.length, "?"));
        List<Object> params = new ArrayList<>(List.of(repo, pullRequest));
        java.util.Arrays.stream(states).map(Enum::name).forEach(params::add);
        return read(
                ds,
                c -> list(
                        c,
                        "SELECT " + BUILD_COLS + " FROM builds WHERE origin_repo = ? AND origin_pr = ? AND state IN ("
                                + marks + ") ORDER BY id",
                        Rows::build,
                        params.toArray()));
    }

    List<BuildRecord> byIds(java.util.Collection<Long> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        List<Long> distinct = List.copyOf(new java.util.TreeSet<>(ids));
        String marks = String.join(", ", java.util.Collections.nCopies(distinct.size(), "?"));
        return read(
                ds,
                c -> list(
                        c,
                        "SELECT " + BUILD_COLS + " FROM builds WHERE id IN (" + marks + ") ORDER BY id",
                        Rows::build,
                        distinct.toArray()));
    }

    boolean move(long id, BuildState from, BuildState to, String error) {
        return tx(ds, c -> moveBuildIn(c, id, from, to, error));
    }

    boolean markPublished(long id, Digest indexDigest, String publicationJson) {
        return tx(
                ds,
                c -> update(
                                c,
                                "UPDATE builds SET state = 'PUBLISHED', index_digest = ?, published_tags = ?, "
                                        + "updated_at = ? WHERE id = ? AND state = 'PUBLISHING'",
                                indexDigest == null ? null : indexDigest.toString(),
                                publicationJson,
                                clock.instant(),
                                id)
                        == 1);
    }

    boolean markPartlyPublished(long id, Digest indexDigest, String publicationJson, String error) {
        return tx(
                ds,
                c -> update(
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

    boolean reopenPublishing(long id) {
        return tx(
                ds,
                c -> update(
                                c,
                                "UPDATE builds SET state = 'PUBLISHING', error = NULL, updated_at = ?, finish_by = NULL, "
                                        + "finish_until = NULL WHERE id = ? AND state = 'FAILED'",
                                clock.instant(),
                                id)
                        == 1);
    }

    boolean leaseFinish(long buildId, String holder, Instant now, Instant until) {
        return tx(
                ds,
                c -> update(
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

    List<Long> unleasedFinishes(Instant now) {
        return read(
                ds,
                c -> list(
                        c,
                        "SELECT id FROM builds WHERE state IN ('VERIFYING', 'PUBLISHING') AND (finish_until IS NULL OR "
                                + "finish_until <= ?) ORDER BY id",
                        r -> r.getLong(1),
                        now));
    }

    private static Optional<BuildRecord> buildIn(Connection c, long id) throws SQLException {
        return one(c, "SELECT " + BUILD_COLS + " FROM builds WHERE id = ?", Rows::build, id);
    }

    boolean moveBuildIn(Connection c, long id, BuildState from, BuildState to, String error) throws SQLException {
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
}
