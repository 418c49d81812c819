package dev.multiarch.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The SQL of the dashboard's reads, kept out of the state machine ({@link Builds}, {@link Jobs}). Each is one query over an index of
 * V11 (or the primary key): the builds list is a keyset page ({@code id < ?} newest first under an index with id
 * last), so its cost does not grow with the number of builds or the page number.
 */
final class DashboardReads {
    /** Runner statistics cover this many of the newest jobs: the runners page stays one bounded range read. */
    static final int STATS_JOBS = 10_000;

    private DashboardReads() {}

    static List<BuildRecord> buildsPage(Connection c, Store.BuildFilter f, Long beforeId, int limit)
            throws SQLException {
        Query q = buildsPageQuery(f, beforeId, limit);
        return Sql.list(c, q.sql(), Rows::build, q.params().toArray());
    }

    /** A statement and its parameters (the tests EXPLAIN the builds page's). */
    record Query(String sql, List<Object> params) {}

    static Query buildsPageQuery(Store.BuildFilter f, Long beforeId, int limit) {
        StringBuilder sql = new StringBuilder("SELECT " + Rows.BUILD_COLS + " FROM builds WHERE 1 = 1");
        List<Object> params = new ArrayList<>();
        if (f.repo() != null) {
            sql.append(" AND repo = ?");
            params.add(f.repo());
        }
        if (f.state() != null) {
            sql.append(" AND state = ?");
            params.add(f.state().name());
        }
        if (f.ref() != null) {
            sql.append(" AND ref = ?");
            params.add(f.ref());
        }
        if (!f.includePrivate()) {
            sql.append(" AND private_repo = FALSE");
        }
        if (beforeId != null) {
            sql.append(" AND id < ?");
            params.add(beforeId);
        }
        sql.append(" ORDER BY id DESC LIMIT ?");
        params.add(limit);
        return new Query(sql.toString(), params);
    }

    static Optional<BuildRecord> latestBuildOfRepo(Connection c, String repo, boolean publishingOnly, String refPrefix)
            throws SQLException {
        return Sql.one(
                c,
                "SELECT " + Rows.BUILD_COLS + " FROM builds WHERE repo = ?"
                        + (publishingOnly ? " AND push = TRUE" : "")
                        + " AND ref LIKE ? ESCAPE '!' ORDER BY id DESC LIMIT 1",
                Rows::build,
                repo,
                likePrefix(refPrefix));
    }

    private static String likePrefix(String prefix) {
        return prefix.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%";
    }

    static Optional<BuildRecord> tagHolder(Connection c, String repo, String tag) throws SQLException {
        return Sql.one(
                c,
                "SELECT " + Rows.BUILD_COLS.replaceAll("(^|, )", "$1b.") + " FROM builds b "
                        + "JOIN tag_owners t ON t.build_id = b.id WHERE b.repo = ? AND t.tag = ? "
                        + "ORDER BY b.id DESC LIMIT 1",
                Rows::build,
                repo,
                tag);
    }

    static List<Store.ImageTag> imageTags(Connection c, String image, int limit) throws SQLException {
        return Sql.list(
                c,
                "SELECT image, tag, build_id FROM tag_owners" + (image == null ? "" : " WHERE image = ?")
                        + " ORDER BY image, tag LIMIT ?",
                r -> new Store.ImageTag(r.getString(1), r.getString(2), r.getLong(3)),
                image == null ? new Object[] {limit} : new Object[] {image, limit});
    }

    static List<Store.TagMove> tagMoves(Connection c, String image, int limit) throws SQLException {
        return Sql.list(
                c,
                "SELECT image, tag, build_id, index_digest, moved_at FROM tag_moves WHERE image = ? "
                        + "ORDER BY seq DESC LIMIT ?",
                r -> new Store.TagMove(
                        r.getString(1), r.getString(2), r.getLong(3), r.getString(4), Sql.inst(r, "moved_at")),
                image,
                limit);
    }

    static List<Store.RunnerPlatformStats> runnerStats(Connection c, Dialect dialect) throws SQLException {
        String millis = dialect.millisBetween("started_at", "finished_at");
        return Sql.list(
                c,
                "SELECT runner_id, platform, SUM(CASE WHEN state = 'SUCCEEDED' THEN 1 ELSE 0 END), "
                        + "SUM(CASE WHEN state = 'FAILED' THEN 1 ELSE 0 END), "
                        + "PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY CASE WHEN state = 'SUCCEEDED' "
                        + "AND started_at IS NOT NULL AND finished_at IS NOT NULL THEN " + millis + " END) "
                        + "FROM jobs WHERE id > (SELECT COALESCE(MAX(id), 0) - " + STATS_JOBS + " FROM jobs) "
                        + "AND runner_id IS NOT NULL AND state IN ('SUCCEEDED', 'FAILED') "
                        + "GROUP BY runner_id, platform ORDER BY runner_id, platform",
                r -> {
                    double m = r.getDouble(5);
                    Long median = r.wasNull() ? null : Math.round(m);
                    return new Store.RunnerPlatformStats(
                            r.getString(1), r.getString(2), r.getLong(3), r.getLong(4), median);
                });
    }
}
