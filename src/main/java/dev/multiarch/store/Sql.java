package dev.multiarch.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The store's JDBC plumbing, shared by every part of {@link JdbcStore}: one transaction ({@link #tx}), one retried
 * on a lost key race ({@link #txKeyed}), a read outside a transaction ({@link #read}), and statements with their
 * parameters bound in order. A {@link SQLException} leaves here as a {@link StoreException}.
 */
final class Sql {
    private Sql() {}

    @FunctionalInterface
    interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    @FunctionalInterface
    interface Row<T> {
        T map(ResultSet r) throws SQLException;
    }

    /** One transaction on a connection of {@code ds}: committed when {@code w} returns, rolled back when it throws. */
    static <T> T tx(DataSource ds, Work<T> w) {
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

    /** How many times {@link #txKeyed} runs a transaction that lost the race to insert a key. */
    static final int KEY_RACE_ATTEMPTS = 4;

    /**
     * {@link #tx} for work that reads a row by its key and inserts it when absent: two coordinators (or two threads)
     * doing so for one key at once both find nothing and both insert; the second insert waits for the first to commit
     * and then fails on the key (SQLState 23505, in PostgreSQL and H2 alike), which rolls back its transaction. Run
     * again, it finds the row the winner committed and takes the "present" path. Only a retention sweep deleting the
     * row in between can make a retry lose again, hence a few attempts rather than one.
     */
    static <T> T txKeyed(DataSource ds, Work<T> w) {
        for (int attempt = 1; ; attempt++) {
            try {
                return tx(ds, w);
            } catch (StoreException e) {
                if (attempt >= KEY_RACE_ATTEMPTS || !duplicateKey(e)) {
                    throw e;
                }
            }
        }
    }

    /** Whether {@code e} is an insert that met a row with the same key (unique violation). */
    static boolean duplicateKey(StoreException e) {
        return e.getCause() instanceof SQLException q && "23505".equals(q.getSQLState());
    }

    /** Work on a connection of {@code ds} in auto-commit: each statement its own transaction. */
    static <T> T read(DataSource ds, Work<T> w) {
        try (Connection c = ds.getConnection()) {
            return w.run(c);
        } catch (SQLException e) {
            throw new StoreException("store failure: " + e.getMessage(), e);
        }
    }

    /** Binds parameters in order: Instants as timestamps, nulls as SQL NULL, everything else as itself. */
    static PreparedStatement bind(PreparedStatement p, Object... params) throws SQLException {
        for (int i = 0; i < params.length; i++) {
            Object v = params[i];
            if (v == null) {
                p.setNull(i + 1, Types.NULL);
            } else if (v instanceof Instant t) {
                p.setTimestamp(i + 1, Timestamp.from(t));
            } else {
                p.setObject(i + 1, v);
            }
        }
        return p;
    }

    /** Runs an INSERT/UPDATE/MERGE; returns the rows changed. */
    static int update(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement p = bind(c.prepareStatement(sql), params)) {
            return p.executeUpdate();
        }
    }

    static <T> List<T> list(Connection c, String sql, Row<T> row, Object... params) throws SQLException {
        try (PreparedStatement p = bind(c.prepareStatement(sql), params);
                ResultSet r = p.executeQuery()) {
            List<T> out = new ArrayList<>();
            while (r.next()) {
                out.add(row.map(r));
            }
            return out;
        }
    }

    static <T> Optional<T> one(Connection c, String sql, Row<T> row, Object... params) throws SQLException {
        List<T> l = list(c, sql, row, params);
        return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
    }

    static Instant inst(ResultSet r, String col) throws SQLException {
        Timestamp t = r.getTimestamp(col);
        return t == null ? null : t.toInstant();
    }
}
