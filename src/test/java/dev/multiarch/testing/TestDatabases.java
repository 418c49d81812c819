package dev.multiarch.testing;

import dev.multiarch.store.JdbcStore;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Fresh store databases for tests, on H2 and on PostgreSQL. Register with {@code @ExtendWith(TestDatabases.class)}
 * and take a {@code TestDatabases} parameter (a {@code @BeforeEach} method is the usual place); each
 * {@link #fresh} database is dropped after the test. The PostgreSQL cluster is started the first time a test asks
 * for it and stopped when the whole run ends (JUnit's root store closes it), so a run pays for one {@code initdb}.
 */
public final class TestDatabases implements ParameterResolver {
    /** The databases a store runs on. */
    public enum Kind {
        H2,
        POSTGRESQL
    }

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(TestDatabases.class);

    private final ExtensionContext context;

    public TestDatabases() {
        this(null);
    }

    private TestDatabases(ExtensionContext context) {
        this.context = context;
    }

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
        return p.getParameter().getType() == TestDatabases.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext e) {
        return new TestDatabases(e);
    }

    /** The run's PostgreSQL cluster, started on first use. */
    public PostgresCluster cluster() {
        return context.getRoot()
                .getStore(NS)
                .getOrComputeIfAbsent(PostgresCluster.class, k -> PostgresCluster.start(), PostgresCluster.class);
    }

    /**
     * An empty database of {@code kind}, dropped when the test ends.
     *
     * @param dir where H2 keeps its file (a test's {@code @TempDir})
     */
    public TestDatabase fresh(Kind kind, Path dir) {
        TestDatabase db =
                switch (kind) {
                    case H2 ->
                        // The tests' side connections keep H2's defaults (not JdbcStore.embeddedUrl): with that URL,
                        // MigrationsTest.aMissingLowerVersion_… failed "File corrupted" on its last connection five
                        // times in a row in incremental builds here, yet never in a standalone reproduction of the
                        // same statements (nor of the store's own path). Not understood: see the closing note of
                        // 2026-11-28.
                        new TestDatabase(
                                kind,
                                "jdbc:h2:file:" + dir.toAbsolutePath().resolve("h2/multiarch"),
                                dir.resolve("h2"),
                                null);
                    case POSTGRESQL -> {
                        PostgresCluster c = cluster();
                        String name = c.createDatabase();
                        yield new TestDatabase(kind, c.jdbcUrl(name), null, () -> c.dropDatabase(name));
                    }
                };
        context.getStore(NS).put(db, db);
        return db;
    }

    /** One test's database: open stores on it (several at once on PostgreSQL), or talk SQL to it directly. */
    public static final class TestDatabase implements AutoCloseable {
        private final Kind kind;
        private final String jdbcUrl;
        private final Path h2Dir;
        private final Runnable drop;

        TestDatabase(Kind kind, String jdbcUrl, Path h2Dir, Runnable drop) {
            this.kind = kind;
            this.jdbcUrl = jdbcUrl;
            this.h2Dir = h2Dir;
            this.drop = drop;
        }

        public Kind kind() {
            return kind;
        }

        public JdbcStore open() {
            return open(Clock.systemUTC());
        }

        public JdbcStore open(Clock clock) {
            return kind == Kind.H2
                    ? JdbcStore.embedded(h2Dir, clock)
                    : JdbcStore.postgres(jdbcUrl, "postgres", null, 10, clock);
        }

        /** A plain JDBC connection (the user H2's store uses, or PostgreSQL's superuser). */
        public Connection connect() throws SQLException {
            return kind == Kind.H2
                    ? DriverManager.getConnection(jdbcUrl, "multiarch", "")
                    : DriverManager.getConnection(jdbcUrl, "postgres", "");
        }

        @Override
        public void close() {
            if (drop != null) {
                drop.run();
            }
        }

        @Override
        public String toString() {
            return kind + " " + jdbcUrl;
        }
    }
}
