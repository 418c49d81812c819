package dev.multiarch.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * Versioned schema migrations: {@code db/migration/V<n>__<name>.sql}, applied in order inside one transaction each,
 * recorded in {@code schema_version}. Listed here rather than discovered, so a shaded jar needs no classpath scan.
 */
final class Migrations {
    private Migrations() {}

    static final List<String> ALL = List.of(
            "V1__builds_jobs_runners.sql",
            "V2__github_deliveries_reports.sql",
            "V3__untrusted_builds_runners.sql",
            "V4__log_limits.sql",
            "V5__private_builds.sql");

    static void apply(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS schema_version (version INT PRIMARY KEY, name VARCHAR(200) NOT NULL, "
                    + "applied_at TIMESTAMP WITH TIME ZONE NOT NULL)");
        }
        int current = 0;
        try (Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT MAX(version) FROM schema_version")) {
            if (r.next()) {
                current = r.getInt(1);
            }
        }
        if (current > ALL.size()) {
            throw new SQLException("the store is at schema version " + current + ", newer than this multiarch ("
                    + ALL.size() + "); upgrade multiarch");
        }
        for (int v = current + 1; v <= ALL.size(); v++) {
            String name = ALL.get(v - 1);
            String sql = read(name);
            boolean auto = c.getAutoCommit();
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                for (String stmt : sql.split(";\\s*\\n")) {
                    String body = stripComments(stmt);
                    if (!body.isBlank()) {
                        s.execute(body);
                    }
                }
                try (PreparedStatement p = c.prepareStatement(
                        "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, CURRENT_TIMESTAMP)")) {
                    p.setInt(1, v);
                    p.setString(2, name);
                    p.executeUpdate();
                }
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw new SQLException("migration " + name + " failed: " + e.getMessage(), e);
            } finally {
                c.setAutoCommit(auto);
            }
        }
    }

    private static String stripComments(String sql) {
        StringBuilder b = new StringBuilder();
        for (String line : sql.split("\n")) {
            if (!line.trim().startsWith("--")) {
                b.append(line).append('\n');
            }
        }
        return b.toString().trim();
    }

    private static String read(String name) {
        try (InputStream in = Migrations.class.getResourceAsStream("/db/migration/" + name)) {
            if (in == null) {
                throw new IllegalStateException("migration " + name + " is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
