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
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Versioned schema migrations: {@code db/migration/V<n>__<name>.sql}, applied in order of {@code n} inside one
 * transaction each, recorded in {@code schema_version}. Listed here rather than discovered, so a shaded jar needs no
 * classpath scan.
 *
 * <p>The version is read from the file name, not from the position in {@link #ALL}, and every listed migration that
 * {@code schema_version} does not have is applied, lowest first, whatever the highest applied one is. Versions may
 * therefore have gaps: branches developed side by side each take a number ({@code V6__job_timings} was written
 * while {@code V5} belonged to another branch), and a store that already has V6 gets V5 when that branch lands. Such
 * migrations must not depend on each other's order (each adds its own tables or columns). A store holding a version
 * this list does not know was written by a newer (or another) multiarch and is refused.
 */
final class Migrations {
    private Migrations() {}

    static final List<String> ALL = List.of(
            "V1__builds_jobs_runners.sql",
            "V2__github_deliveries_reports.sql",
            "V3__untrusted_builds_runners.sql",
            "V4__log_limits.sql",
            "V6__job_timings.sql");

    private static final Pattern NAME = Pattern.compile("V(\\d+)__[a-z0-9_]+\\.sql");

    /** The version a migration file's name carries ({@code V6__job_timings.sql} → 6). */
    static int version(String name) {
        Matcher m = NAME.matcher(name);
        if (!m.matches()) {
            throw new IllegalStateException("migration " + name + " is not named V<n>__<name>.sql");
        }
        return Integer.parseInt(m.group(1));
    }

    static void apply(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS schema_version (version INT PRIMARY KEY, name VARCHAR(200) NOT NULL, "
                    + "applied_at TIMESTAMP WITH TIME ZONE NOT NULL)");
        }
        Set<Integer> applied = new TreeSet<>();
        try (Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT version FROM schema_version")) {
            while (r.next()) {
                applied.add(r.getInt(1));
            }
        }
        Map<Integer, String> known = new TreeMap<>();
        for (String name : ALL) {
            if (known.put(version(name), name) != null) {
                throw new IllegalStateException("two migrations with version " + version(name));
            }
        }
        Set<Integer> unknown = new TreeSet<>(applied);
        unknown.removeAll(known.keySet());
        if (!unknown.isEmpty()) {
            throw new SQLException("the store has schema version(s) " + unknown + ", which this multiarch does not "
                    + "know (it knows " + known.keySet() + "): it was written by a newer multiarch; upgrade multiarch");
        }
        for (Map.Entry<Integer, String> m : known.entrySet()) {
            if (!applied.contains(m.getKey())) {
                migrate(c, m.getKey(), m.getValue());
            }
        }
    }

    private static void migrate(Connection c, int version, String name) throws SQLException {
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
                p.setInt(1, version);
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
