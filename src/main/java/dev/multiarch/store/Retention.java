package dev.multiarch.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Deletes what the store keeps only for a while ({@code store.retention}): webhook deliveries that were handled,
 * and the log chunks and sent check reports of builds that finished, before a cut-off. Builds, jobs, tag owners and
 * anything still in flight (a delivery not yet handled, a build not finished, a report GitHub has not had) stay.
 *
 * <p>It deletes in batches of {@value #BATCH} rows, one transaction each, so a first run over a large old store
 * neither holds locks for long nor builds one huge transaction. Running it again deletes nothing more (idempotent).
 * On PostgreSQL several coordinators may run it at once: a session advisory lock lets one do the work and the others
 * return at once; on H2 there is only one process.
 */
final class Retention {
    private Retention() {}

    static final int BATCH = 1000;
    /** pg_try_advisory_lock's key for retention: "retentio" in ASCII (the migrations use another). */
    private static final long LOCK = 8243122671965202799L;

    private static final String FINISHED = "('PUBLISHED', 'FAILED', 'CANCELLED')";

    static Store.Purged purge(Connection c, Dialect dialect, Instant before) throws SQLException {
        if (dialect == Dialect.POSTGRESQL && !lock(c, "pg_try_advisory_lock")) {
            return new Store.Purged(0, 0, 0);
        }
        try {
            c.setAutoCommit(false);
            int deliveries = deliveries(c, before);
            int logs = inBatches(
                    c,
                    "DELETE FROM job_logs WHERE seq IN (SELECT l.seq FROM job_logs l JOIN jobs j ON j.id = l.job_id "
                            + "JOIN builds b ON b.id = j.build_id WHERE b.state IN " + FINISHED
                            + " AND b.updated_at < ? LIMIT " + BATCH + ")",
                    before);
            inBatches(
                    c,
                    "DELETE FROM job_log_totals WHERE (job_id, attempt) IN (SELECT t.job_id, t.attempt FROM "
                            + "job_log_totals t JOIN jobs j ON j.id = t.job_id JOIN builds b ON b.id = j.build_id "
                            + "WHERE b.state IN " + FINISHED + " AND b.updated_at < ? LIMIT " + BATCH + ")",
                    before);
            int reports = inBatches(
                    c,
                    "DELETE FROM reports WHERE (build_id, context) IN (SELECT r.build_id, r.context FROM reports r "
                            + "JOIN builds b ON b.id = r.build_id WHERE r.version <= r.sent_version AND b.state IN "
                            + FINISHED + " AND b.updated_at < ? LIMIT " + BATCH + ")",
                    before);
            return new Store.Purged(deliveries, logs, reports);
        } catch (SQLException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
            if (dialect == Dialect.POSTGRESQL) {
                lock(c, "pg_advisory_unlock");
            }
        }
    }

    private static boolean lock(Connection c, String function) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT " + function + "(?)")) {
            p.setLong(1, LOCK);
            try (ResultSet r = p.executeQuery()) {
                return r.next() && r.getBoolean(1);
            }
        }
    }

    /**
     * Handled deliveries received before {@code before}, with their payloads kept apart (V16), a batch per
     * transaction: a payload goes in the transaction that deletes its delivery.
     */
    private static int deliveries(Connection c, Instant before) throws SQLException {
        int total = 0;
        try (PreparedStatement select = c.prepareStatement("SELECT hook_id, delivery_id, payload_id FROM deliveries "
                + "WHERE received_at < ? AND state <> 'received' LIMIT " + BATCH)) {
            select.setTimestamp(1, Timestamp.from(before));
            while (true) {
                List<Object> keys = new ArrayList<>();
                List<Object> payloads = new ArrayList<>();
                try (ResultSet r = select.executeQuery()) {
                    while (r.next()) {
                        keys.add(r.getString(1));
                        keys.add(r.getString(2));
                        long id = r.getLong(3);
                        if (!r.wasNull()) {
                            payloads.add(id);
                        }
                    }
                }
                int n = keys.size() / 2;
                if (n > 0) {
                    if (!payloads.isEmpty()) {
                        Sql.update(
                                c,
                                "DELETE FROM delivery_payloads WHERE id IN ("
                                        + String.join(", ", Collections.nCopies(payloads.size(), "?")) + ")",
                                payloads.toArray());
                    }
                    Sql.update(
                            c,
                            "DELETE FROM deliveries WHERE (hook_id, delivery_id) IN ("
                                    + String.join(", ", Collections.nCopies(n, "(?, ?)")) + ")",
                            keys.toArray());
                }
                c.commit();
                total += n;
                if (n < BATCH) {
                    return total;
                }
            }
        }
    }

    private static int inBatches(Connection c, String delete, Instant before) throws SQLException {
        int total = 0;
        try (PreparedStatement p = c.prepareStatement(delete)) {
            p.setTimestamp(1, Timestamp.from(before));
            while (true) {
                int n = p.executeUpdate();
                c.commit();
                total += n;
                if (n < BATCH) {
                    return total;
                }
            }
        }
    }
}
