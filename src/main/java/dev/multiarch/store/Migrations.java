package dev.multiarch.store;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Versioned schema migrations: {@code db/migration/V<n>__<name>.sql}, one history for H2 and PostgreSQL (the few
 * type names H2 has and PostgreSQL has not are rewritten by {@link Dialect#migration}), applied in order of
 * {@code n} inside one transaction each, recorded in {@code schema_version}.
 *
 * <p>The version is read from the file name and the files are found by listing the folder, so branches that add
 * migrations side by side merge without touching a shared list, and numbers may have gaps: every version present and
 * not yet recorded is applied, lowest first, even one below the highest applied (a branch's V5 merged after a store
 * ran V7). A store that recorded a version higher than any this multiarch has is refused: it was written by a newer
 * one.
 *
 * <p>A step that SQL alone cannot do (reading JSON written by an older version) is a {@link Step} run after its
 * file, in the same transaction.
 */
final class Migrations {
    private Migrations() {}

    private static final String FOLDER = "db/migration";
    private static final Pattern NAME = Pattern.compile("V([0-9]+)__[a-z0-9_]+\\.sql");

    /** A migration's work in Java, after its SQL. */
    @FunctionalInterface
    interface Step {
        void run(Connection c) throws SQLException;
    }

    private static final Map<Integer, Step> STEPS = Map.of(7, Migrations::originKeysOfOlderBuilds);

    /** V7: the indexed origin columns of builds stored before them, from their trigger JSON. */
    private static void originKeysOfOlderBuilds(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT id, trigger_info FROM builds WHERE trigger_info IS NOT NULL");
                PreparedStatement u = c.prepareStatement("UPDATE builds SET origin_repo = ?, origin_commit = ?, "
                        + "origin_pr = ?, origin_delivery = ?, origin_check_suite = ? WHERE id = ?")) {
            int pending = 0;
            while (r.next()) {
                OriginKeys k = OriginKeys.of(r.getString(2));
                if (k.repo() == null) {
                    continue;
                }
                u.setString(1, k.repo());
                u.setString(2, k.commit());
                u.setObject(3, k.pullRequest(), java.sql.Types.INTEGER);
                u.setString(4, k.delivery());
                u.setObject(5, k.checkSuite(), java.sql.Types.BIGINT);
                u.setLong(6, r.getLong(1));
                u.addBatch();
                if (++pending == 500) {
                    u.executeBatch();
                    pending = 0;
                }
            }
            if (pending > 0) {
                u.executeBatch();
            }
        }
    }

    /** One migration file: its version and name. */
    record Migration(int version, String name) {}

    /** Every migration in the jar (or classes folder), by version. */
    static List<Migration> all() {
        Map<Integer, Migration> byVersion = new TreeMap<>();
        for (String name : listFolder()) {
            Matcher m = NAME.matcher(name);
            if (!m.matches()) {
                continue;
            }
            Migration mig = new Migration(Integer.parseInt(m.group(1)), name);
            Migration other = byVersion.put(mig.version(), mig);
            if (other != null) {
                throw new IllegalStateException("two migrations have version " + mig.version() + ": " + other.name()
                        + " and " + name + "; renumber one of them");
            }
        }
        if (byVersion.isEmpty()) {
            throw new IllegalStateException("no migrations found under " + FOLDER);
        }
        return List.copyOf(byVersion.values());
    }

    /**
     * The schema of {@code V1..V}{@link #BASELINE_VERSION} as one H2 script, {@code SCRIPT NODATA} of an H2 database
     * those migrations made (less its user and {@code schema_version}): an empty H2 database is made from it in one go
     * instead of migration by migration, and records those versions as applied; later migrations then run as usual.
     * {@code H2BaselineTest} holds it to the migrations: the two give one schema. Measured alone in a cold JVM: 0.61-0.88
     * s to open a fresh store through the migrations, 0.37-0.47 s to connect and run the script. Never regenerate it
     * for a newer migration: add the migration; the baseline stays at its version.
     */
    static final String BASELINE = "db/h2-baseline-v15.sql";

    static final int BASELINE_VERSION = 15;

    static void apply(Connection c, Dialect dialect) throws SQLException {
        apply(c, dialect, true);
    }

    /**
     * @param baseline whether an empty H2 database may be made from {@link #BASELINE} (tests compare both ways)
     * @return the versions run one by one, from their files
     */
    static List<Integer> apply(Connection c, Dialect dialect, boolean baseline) throws SQLException {
        if (dialect.migrationLock() != null) {
            try (Statement s = c.createStatement()) {
                s.execute(dialect.migrationLock());
            }
        }
        try {
            return applyLocked(c, dialect, baseline);
        } finally {
            if (dialect.migrationUnlock() != null) {
                try (Statement s = c.createStatement()) {
                    s.execute(dialect.migrationUnlock());
                }
            }
        }
    }

    private static List<Integer> applyLocked(Connection c, Dialect dialect, boolean baseline) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS schema_version (version INT PRIMARY KEY, name VARCHAR(200) NOT NULL, "
                    + "applied_at TIMESTAMP WITH TIME ZONE NOT NULL)");
        }
        Set<Integer> applied = new HashSet<>();
        try (Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT version FROM schema_version")) {
            while (r.next()) {
                applied.add(r.getInt(1));
            }
        }
        List<Migration> all = all();
        int newest = all.get(all.size() - 1).version();
        int highest = applied.stream().max(Comparator.naturalOrder()).orElse(0);
        if (highest > newest) {
            throw new SQLException("the store is at schema version " + highest + ", newer than this multiarch ("
                    + newest + "); upgrade multiarch");
        }
        if (baseline && dialect == Dialect.H2 && applied.isEmpty() && onlySchemaVersion(c)) {
            applied.addAll(runBaseline(c, all));
        }
        List<Integer> ran = new ArrayList<>();
        for (Migration m : all) {
            if (!applied.contains(m.version())) {
                run(c, dialect, m);
                ran.add(m.version());
            }
        }
        return ran;
    }

    /** Whether the database holds no table but {@code schema_version}: a new one. */
    private static boolean onlySchemaVersion(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA ="
                        + " CURRENT_SCHEMA AND UPPER(TABLE_NAME) <> 'SCHEMA_VERSION'")) {
            r.next();
            return r.getInt(1) == 0;
        }
    }

    /** Makes the schema from {@link #BASELINE}; returns the versions it stands for, recorded as applied. */
    private static List<Integer> runBaseline(Connection c, List<Migration> all) throws SQLException {
        List<Integer> versions = new ArrayList<>();
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement s = c.createStatement();
                PreparedStatement p = c.prepareStatement(
                        "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, CURRENT_TIMESTAMP)")) {
            for (String stmt : statements(read(BASELINE))) {
                s.execute(stmt);
            }
            for (Migration m : all) {
                if (m.version() <= BASELINE_VERSION) {
                    p.setInt(1, m.version());
                    p.setString(2, m.name());
                    p.executeUpdate();
                    versions.add(m.version());
                }
            }
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            throw new SQLException("the schema baseline " + BASELINE + " failed: " + e.getMessage(), e);
        } finally {
            c.setAutoCommit(auto);
        }
        return versions;
    }

    private static void run(Connection c, Dialect dialect, Migration m) throws SQLException {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            for (String stmt : statements(read(m.name()))) {
                s.execute(dialect.migration(stmt));
            }
            Step step = STEPS.get(m.version());
            if (step != null) {
                step.run(c);
            }
            try (PreparedStatement p = c.prepareStatement(
                    "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, CURRENT_TIMESTAMP)")) {
                p.setInt(1, m.version());
                p.setString(2, m.name());
                p.executeUpdate();
            }
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            throw new SQLException("migration " + m.name() + " failed: " + e.getMessage(), e);
        } finally {
            c.setAutoCommit(auto);
        }
    }

    /** A file's statements: split at a semicolon that ends a line, comment lines dropped. */
    static List<String> statements(String sql) {
        List<String> out = new ArrayList<>();
        for (String stmt : sql.split(";\\s*\\n")) {
            StringBuilder b = new StringBuilder();
            for (String line : stmt.split("\n")) {
                if (!line.trim().startsWith("--")) {
                    b.append(line).append('\n');
                }
            }
            String body = b.toString().trim();
            if (body.endsWith(";")) {
                body = body.substring(0, body.length() - 1);
            }
            if (!body.isBlank()) {
                out.add(body);
            }
        }
        return out;
    }

    static String read(String name) {
        String path = name.contains("/") ? name : FOLDER + "/" + name;
        try (InputStream in = Migrations.class.getResourceAsStream("/" + path)) {
            if (in == null) {
                throw new IllegalStateException("migration " + name + " is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The file names in the migration folder, in the classes folder (tests) or in the (shaded) jar. */
    private static synchronized List<String> listFolder() {
        URL url = Migrations.class.getResource("/" + FOLDER);
        if (url == null) {
            throw new IllegalStateException(FOLDER + " is missing from the class path");
        }
        try {
            URI uri = url.toURI();
            if (!"jar".equals(uri.getScheme())) {
                return names(Path.of(uri));
            }
            // The jar's own entries, not a zip file system over it: that one reads the shaded jar's central
            // directory (20,000 entries) again into an index of its own, 61-70 ms of a cold `multiarch build`'s
            // start against 13-16 ms here (the class loader has the jar open; a JarFile of it shares that).
            JarURLConnection jar = (JarURLConnection) url.openConnection();
            jar.setUseCaches(false);
            try (JarFile file = jar.getJarFile()) {
                return names(file);
            }
        } catch (URISyntaxException | IOException e) {
            throw new IllegalStateException("cannot list " + url + ": " + e.getMessage(), e);
        }
    }

    /** The names of the files directly in the jar's migration folder, sorted. */
    static List<String> names(JarFile file) {
        String prefix = FOLDER + "/";
        List<String> out = new ArrayList<>();
        for (java.util.Enumeration<JarEntry> e = file.entries(); e.hasMoreElements(); ) {
            String name = e.nextElement().getName();
            if (name.startsWith(prefix) && name.length() > prefix.length() && name.indexOf('/', prefix.length()) < 0) {
                out.add(name.substring(prefix.length()));
            }
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
