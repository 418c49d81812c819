package dev.multiarch.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;
import javax.sql.DataSource;

/** {@link SessionStore} in the SQL that H2 and PostgreSQL both speak, on the store's connection pool. */
final class JdbcSessions implements SessionStore {
    private final DataSource ds;

    JdbcSessions(DataSource ds) {
        this.ds = ds;
    }

    private static Instant instant(ResultSet r, String col) throws SQLException {
        Timestamp t = r.getTimestamp(col);
        return t == null ? null : t.toInstant();
    }

    @Override
    public boolean addSignIn(String stateHash, PendingSignIn s, Instant now, int maxPending) {
        return Sql.tx(ds, c -> {
            Sql.update(c, "DELETE FROM sign_ins WHERE expires_at <= ?", now);
            try (PreparedStatement p = c.prepareStatement("SELECT COUNT(*) FROM sign_ins");
                    ResultSet r = p.executeQuery()) {
                r.next();
                if (r.getLong(1) >= maxPending) {
                    return false;
                }
            }
            Sql.update(
                    c,
                    "INSERT INTO sign_ins (state_hash, browser_hash, next_path, expires_at) VALUES (?, ?, ?, ?)",
                    stateHash,
                    s.browserHash(),
                    s.next(),
                    s.expires());
            return true;
        });
    }

    @Override
    public Optional<PendingSignIn> takeSignIn(String stateHash) {
        return Sql.tx(ds, c -> {
            PendingSignIn found = null;
            try (PreparedStatement p = Sql.bind(
                            c.prepareStatement(
                                    "SELECT browser_hash, next_path, expires_at FROM sign_ins WHERE state_hash = ?"),
                            stateHash);
                    ResultSet r = p.executeQuery()) {
                if (r.next()) {
                    found = new PendingSignIn(r.getString(1), r.getString(2), instant(r, "expires_at"));
                }
            }
            // The DELETE decides: of two coordinators reading the row at once, one deletes it and the other none.
            if (found == null || Sql.update(c, "DELETE FROM sign_ins WHERE state_hash = ?", stateHash) != 1) {
                return Optional.<PendingSignIn>empty();
            }
            return Optional.of(found);
        });
    }

    @Override
    public void addSession(String idHash, StoredSession s, Instant now) {
        Sql.tx(ds, c -> {
            Sql.update(c, "DELETE FROM sessions WHERE expires_at <= ?", now);
            return Sql.update(
                    c,
                    "INSERT INTO sessions (id_hash, login, sealed_token, token_expires, expires_at) "
                            + "VALUES (?, ?, ?, ?, ?)",
                    idHash,
                    s.login(),
                    s.sealedToken(),
                    s.tokenExpires(),
                    s.expires());
        });
    }

    @Override
    public Optional<StoredSession> session(String idHash) {
        try (Connection c = ds.getConnection();
                PreparedStatement p = Sql.bind(
                        c.prepareStatement(
                                "SELECT login, sealed_token, token_expires, expires_at FROM sessions WHERE id_hash = ?"),
                        idHash);
                ResultSet r = p.executeQuery()) {
            if (!r.next()) {
                return Optional.empty();
            }
            return Optional.of(new StoredSession(
                    r.getString(1), r.getBytes(2), instant(r, "token_expires"), instant(r, "expires_at")));
        } catch (SQLException e) {
            throw new StoreException("store failure (sessions): " + e.getMessage(), e);
        }
    }

    @Override
    public void removeSession(String idHash) {
        Sql.tx(ds, c -> Sql.update(c, "DELETE FROM sessions WHERE id_hash = ?", idHash));
    }
}
