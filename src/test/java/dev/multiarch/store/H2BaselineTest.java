package dev.multiarch.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new H2 store is made from the schema baseline ({@link Migrations#BASELINE}), not migration by migration: the two
 * ways must give one schema and one history, and a store that is not new must never take the baseline.
 */
class H2BaselineTest {
    @TempDir
    Path dir;

    private Connection connect(String name) throws SQLException {
        return DriverManager.getConnection("jdbc:h2:file:" + dir.resolve(name).resolve("db"), "multiarch", "");
    }

    /**
     * The schema as H2 writes it out, one statement a row, less the user (its salt and hash differ per database),
     * sorted: H2 writes indexes in the order of their object ids, which the baseline's one script numbers differently.
     */
    private static List<String> schema(Connection c) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SCRIPT NODATA")) {
            while (r.next()) {
                String line = r.getString(1);
                if (!line.startsWith("CREATE USER")) {
                    out.add(line);
                }
            }
        }
        out.sort(null);
        return out;
    }

    private static List<String> history(Connection c) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT version, name FROM schema_version ORDER BY version")) {
            while (r.next()) {
                out.add(r.getInt(1) + " " + r.getString(2));
            }
        }
        return out;
    }

    @Test
    void theBaseline_andTheMigrations_giveOneSchemaAndOneHistory() throws Exception {
        try (Connection migrated = connect("migrated");
                Connection fromBaseline = connect("baseline")) {
            List<Integer> all =
                    Migrations.all().stream().map(Migrations.Migration::version).toList();
            assertEquals(all, Migrations.apply(migrated, Dialect.H2, false));
            assertEquals(
                    all.stream().filter(v -> v > Migrations.BASELINE_VERSION).toList(),
                    Migrations.apply(fromBaseline, Dialect.H2, true),
                    "a new H2 database runs only the migrations after the baseline one by one");
            List<String> expected = schema(migrated);
            assertTrue(expected.stream().anyMatch(l -> l.contains("\"JOBS\"")), expected.toString());
            assertEquals(expected, schema(fromBaseline));
            assertEquals(history(migrated), history(fromBaseline));
            assertEquals(all.size(), history(fromBaseline).size(), "every migration recorded once");
        }
    }

    @Test
    void theBaseline_isMadeOnlyForAnEmptyDatabase() throws Exception {
        // A database with a table of its own (not a store of ours, nor a new one): the migrations run as before and
        // fail or succeed as before; the baseline is not laid over it.
        try (Connection c = connect("other");
                Statement s = c.createStatement()) {
            s.execute("CREATE TABLE builds (id BIGINT PRIMARY KEY)");
            assertThrowsSql(() -> Migrations.apply(c, Dialect.H2, true));
            try (ResultSet r = s.executeQuery("SELECT COUNT(*) FROM schema_version")) {
                r.next();
                assertEquals(0, r.getInt(1), "nothing recorded as applied");
            }
        }
    }

    @Test
    void theBaselineVersion_isAMigrationThatExists() {
        assertTrue(Migrations.all().stream().anyMatch(m -> m.version() == Migrations.BASELINE_VERSION));
        assertFalse(Migrations.read(Migrations.BASELINE).contains("SCHEMA_VERSION"));
    }

    private interface SqlAction {
        void run() throws SQLException;
    }

    private static void assertThrowsSql(SqlAction a) {
        try {
            a.run();
        } catch (SQLException e) {
            return;
        }
        throw new AssertionError("the migrations ran over a table they did not make");
    }
}
