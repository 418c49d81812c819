package dev.multiarch.store;

import static dev.multiarch.store.Sql.inst;
import static dev.multiarch.store.Sql.list;
import static dev.multiarch.store.Sql.one;
import static dev.multiarch.store.Sql.read;
import static dev.multiarch.store.Sql.tx;
import static dev.multiarch.store.Sql.txKeyed;
import static dev.multiarch.store.Sql.update;

import dev.multiarch.store.Store.Report;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The status outbox: for each build and check context, the report GitHub should show ({@code body}, numbered by
 * {@code version}) and the last version sent. A changed body is a new version; a sender claims due reports for
 * {@link Store#REPORT_CLAIM} so that several coordinators send each version once.
 *
 * <p>{@code next_attempt} is when a report may be sent next: after a failure (with {@code attempts} above 0) the retry
 * time, which a new version drops; after a state that does not settle the check was sent ({@code attempts} 0), its
 * pace, which only a settling version drops.
 */
final class Reports {
    private final DataSource ds;

    Reports(DataSource ds) {
        this.ds = ds;
    }

    private static Report report(ResultSet r) throws SQLException {
        return new Report(
                r.getLong("build_id"),
                r.getString("context"),
                r.getString("body"),
                r.getInt("version"),
                r.getInt("sent_version"),
                r.getString("external_id"),
                r.getInt("attempts"),
                inst(r, "next_attempt"),
                r.getString("last_error"),
                r.getObject("claimed_until") != null);
    }

    void want(long buildId, String context, String body, boolean settles) {
        txKeyed(ds, c -> {
            Optional<String> wanted = one(
                    c,
                    "SELECT body FROM reports WHERE build_id = ? AND context = ? FOR UPDATE",
                    r -> r.getString(1),
                    buildId,
                    context);
            if (wanted.isEmpty()) {
                return update(
                        c,
                        "INSERT INTO reports (build_id, context, body, version) VALUES (?, ?, ?, 1)",
                        buildId,
                        context,
                        body);
            }
            if (body.equals(wanted.get())) {
                return 0;
            }
            // The right-hand sides read the row as it was: a pace (attempts 0) is kept for a state that does not
            // settle.
            return update(
                    c,
                    "UPDATE reports SET body = ?, version = version + 1, attempts = 0, next_attempt = "
                            + (settles ? "NULL" : "CASE WHEN attempts = 0 THEN next_attempt ELSE NULL END")
                            + " WHERE build_id = ? AND context = ?",
                    body,
                    buildId,
                    context);
        });
    }

    List<Report> due(String holder, Instant now, int limit) {
        return tx(ds, c -> {
            List<Report> due = list(
                    c,
                    "SELECT * FROM reports WHERE version > sent_version AND (next_attempt IS NULL OR "
                            + "next_attempt <= ?) AND (claimed_until IS NULL OR claimed_until <= ?) "
                            + "ORDER BY build_id, context LIMIT ? FOR UPDATE SKIP LOCKED",
                    Reports::report,
                    now,
                    now,
                    limit);
            for (Report r : due) {
                update(
                        c,
                        "UPDATE reports SET claimed_until = ?, claimed_by = ? WHERE build_id = ? AND context = ?",
                        now.plus(Store.REPORT_CLAIM),
                        holder,
                        r.buildId(),
                        r.context());
            }
            return due;
        });
    }

    boolean hold(String holder, long buildId, String context, Instant until) {
        // Whoever takes a report over writes its own name: still ours means nobody did.
        return tx(
                        ds,
                        c -> update(
                                c,
                                "UPDATE reports SET claimed_until = ? WHERE build_id = ? AND context = ? AND claimed_by = ? "
                                        + "AND version > sent_version",
                                until,
                                buildId,
                                context,
                                holder))
                == 1;
    }

    void sent(long buildId, String context, int version, String externalId, Instant pacedUntil) {
        tx(
                ds,
                c -> update(
                        c,
                        "UPDATE reports SET sent_version = GREATEST(sent_version, ?), external_id = COALESCE(?, "
                                + "external_id), attempts = 0, next_attempt = ?, last_error = NULL, claimed_until = NULL "
                                + "WHERE build_id = ? AND context = ?",
                        version,
                        externalId,
                        pacedUntil,
                        buildId,
                        context));
    }

    void deferred(long buildId, String context, Instant next, String error) {
        tx(
                ds,
                c -> update(
                        c,
                        "UPDATE reports SET attempts = attempts + 1, next_attempt = ?, last_error = ?, claimed_until = NULL "
                                + "WHERE build_id = ? AND context = ?",
                        next,
                        error,
                        buildId,
                        context));
    }

    void dropped(long buildId, String context, int version, String why) {
        tx(
                ds,
                c -> update(
                        c,
                        "UPDATE reports SET sent_version = GREATEST(sent_version, ?), attempts = 0, next_attempt = NULL, "
                                + "last_error = ?, claimed_until = NULL WHERE build_id = ? AND context = ?",
                        version,
                        why,
                        buildId,
                        context));
    }

    List<Report> of(long buildId) {
        return read(
                ds,
                c -> list(c, "SELECT * FROM reports WHERE build_id = ? ORDER BY context", Reports::report, buildId));
    }
}
