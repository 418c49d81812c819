package dev.multiarch.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL cluster for tests: {@code initdb} into a temporary directory, {@code pg_ctl start} on a free
 * loopback port, one database per test ({@link #createDatabase}), {@code pg_ctl stop} and the directory removed on
 * {@link #close}. PostgreSQL refuses to run as root, so when the tests run as root (CI, the dev machines) its
 * programs run as the {@code postgres} user that Debian's package creates. Durability is switched off (fsync,
 * synchronous commit, full-page writes): nothing here must survive the run, and a database per test stays cheap.
 *
 * <p>The programs are Debian's {@code postgresql} package ({@code bin/setup-host} installs it), found under
 * {@code /usr/lib/postgresql/<version>/bin}, or in {@code $MULTIARCH_PG_BIN}.
 */
public final class PostgresCluster implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PostgresCluster.class.getName());

    private final Path bin;
    private final Path dir;
    private final int port;
    private final boolean asPostgres;
    private final AtomicInteger databases = new AtomicInteger();

    private PostgresCluster(Path bin, Path dir, int port, boolean asPostgres) {
        this.bin = bin;
        this.dir = dir;
        this.port = port;
        this.asPostgres = asPostgres;
    }

    /** Starts a cluster and waits (polling a connection, 60 s at most) until it takes connections. */
    public static PostgresCluster start() {
        long t0 = System.nanoTime();
        Path bin = findBin();
        boolean root = "root".equals(System.getProperty("user.name"));
        Path dir;
        try {
            dir = Files.createTempDirectory("multiarch-pg");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        if (root) {
            Proc.ok(List.of("chown", "postgres:postgres", dir.toString()));
        }
        PostgresCluster c = new PostgresCluster(bin, dir, Ports.free(), root);
        try {
            c.pg(
                    "initdb",
                    "-D",
                    c.data().toString(),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "--no-sync",
                    "--no-instructions");
            c.pg(
                    "pg_ctl",
                    "-D",
                    c.data().toString(),
                    "-l",
                    dir.resolve("server.log").toString(),
                    "-W",
                    "-o",
                    "-p " + c.port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off"
                            + " -c synchronous_commit=off -c full_page_writes=off -c max_connections=300",
                    "start");
            c.awaitReady(Duration.ofSeconds(60));
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
        LOG.info(() -> String.format(
                "PostgreSQL %s ready on port %d in %d ms", bin, c.port, (System.nanoTime() - t0) / 1_000_000));
        return c;
    }

    private static Path findBin() {
        String env = System.getenv("MULTIARCH_PG_BIN");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        Path base = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(base)) {
            try (Stream<Path> versions = Files.list(base)) {
                Path newest = versions.filter(v -> Files.isExecutable(v.resolve("bin/initdb")))
                        .max(Comparator.comparingInt(
                                v -> versionOf(v.getFileName().toString())))
                        .orElse(null);
                if (newest != null) {
                    return newest.resolve("bin");
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException("PostgreSQL's programs (initdb, pg_ctl) are not installed: the store tests run "
                + "on H2 and on PostgreSQL; run bin/setup-host (Debian's postgresql package) or set MULTIARCH_PG_BIN");
    }

    private static int versionOf(String name) {
        try {
            return Integer.parseInt(name);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private Path data() {
        return dir.resolve("data");
    }

    private void pg(String program, String... args) {
        List<String> cmd = new ArrayList<>();
        if (asPostgres) {
            cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        cmd.add(bin.resolve(program).toString());
        cmd.addAll(List.of(args));
        Proc.run(cmd, dir, 120).check(cmd);
    }

    private void awaitReady(Duration deadline) {
        try {
            Ports.await("PostgreSQL on port " + port, deadline, () -> {
                try (Connection c = admin()) {
                    return c.isValid(1);
                } catch (SQLException e) {
                    return false;
                }
            });
        } catch (IllegalStateException e) {
            throw new IllegalStateException(e.getMessage() + "; server log:\n" + serverLog(), e);
        }
    }

    private String serverLog() {
        try {
            return Files.readString(dir.resolve("server.log"));
        } catch (IOException e) {
            return "(none: " + e.getMessage() + ")";
        }
    }

    private Connection admin() throws SQLException {
        return DriverManager.getConnection(jdbcUrl("postgres"), "postgres", "");
    }

    public int port() {
        return port;
    }

    /** {@code jdbc:postgresql://127.0.0.1:port/name}. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /** A new, empty database owned by {@code postgres} (who needs no password); returns its name. */
    public String createDatabase() {
        String name = "t" + databases.incrementAndGet();
        sql("CREATE DATABASE " + name);
        return name;
    }

    /** Drops a database, closing whatever connections a test left open to it. */
    public void dropDatabase(String name) {
        sql("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }

    private void sql(String statement) {
        try (Connection c = admin();
                Statement s = c.createStatement()) {
            s.execute(statement);
        } catch (SQLException e) {
            throw new IllegalStateException(statement + ": " + e.getMessage(), e);
        }
    }

    /** Stops the server (immediate: nothing to keep) and removes its directory. */
    @Override
    public void close() {
        try {
            if (Files.exists(data().resolve("postmaster.pid"))) {
                pg("pg_ctl", "-D", data().toString(), "-m", "immediate", "-w", "stop");
            }
        } finally {
            Proc.ok(List.of("rm", "-rf", dir.toString()));
        }
    }
}
