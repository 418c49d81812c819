package dev.multiarch.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.store.JdbcStore;
import dev.multiarch.testing.TestDatabases;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The dashboard's pages over HTTP with 10,000 builds (20,000 jobs, a tag per build's image) in the store, on H2 and
 * PostgreSQL: each page answers in full, and how long each took is printed (the median of five) for the record.
 * Nothing here is timed against a limit; that the reads are indexed is {@code DashboardReadsTest}'s to check.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(TestDatabases.Kind.class)
@ExtendWith(TestDatabases.class)
class DashboardScaleTest {
    private static final int BUILDS = 10_000;

    @Parameter
    TestDatabases.Kind kind;

    @TempDir
    Path dir;

    private ServerFixture server;
    private Vertx vertx;

    @BeforeEach
    void start(TestDatabases databases) throws Exception {
        TestDatabases.TestDatabase db = databases.fresh(kind, dir);
        JdbcStore store = db.open();
        try (Connection c = db.connect()) {
            fill(c);
        }
        vertx = Vertx.vertx();
        server = new ServerFixture(vertx, dir, Optional.empty(), store);
        server.start().await(60, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        server.close().await(60, TimeUnit.SECONDS);
    }

    /** 10,000 builds of 200 repositories, one in seven private, each with an amd64 and an arm64 job and a tag. */
    private void fill(Connection c) throws Exception {
        c.setAutoCommit(false);
        Timestamp now = Timestamp.from(Instant.now());
        try (PreparedStatement b =
                c.prepareStatement("INSERT INTO builds (repo, clone_url, commit_sha, ref, image, push, "
                        + "state, private_repo, index_digest, created_at, updated_at) VALUES (?, 'file:///r.git', ?, ?, ?, "
                        + "TRUE, ?, ?, ?, ?, ?)")) {
            for (int i = 0; i < BUILDS; i++) {
                b.setString(1, "org" + (i % 50) + "/repo" + (i % 200));
                b.setString(2, "c".repeat(40));
                b.setString(3, i % 10 == 0 ? "refs/tags/v" + i : "refs/heads/main");
                b.setString(4, "registry.test/org" + (i % 50) + "/repo" + (i % 200));
                b.setString(5, "PUBLISHED");
                b.setBoolean(6, i % 7 == 0);
                b.setString(7, "sha256:" + "f".repeat(64));
                b.setTimestamp(8, now);
                b.setTimestamp(9, now);
                b.addBatch();
            }
            b.executeBatch();
        }
        List<Long> ids;
        try (Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT id, image FROM builds ORDER BY id")) {
            ids = new java.util.ArrayList<>();
            while (r.next()) {
                ids.add(r.getLong(1));
            }
        }
        try (PreparedStatement j =
                c.prepareStatement("INSERT INTO jobs (build_id, platform, state, runner_id, attempt, "
                        + "timeout_seconds, digest, size, started_at, finished_at) VALUES (?, ?, 'SUCCEEDED', 'runner-1', 1, 600, "
                        + "?, 1234, ?, ?)")) {
            for (long id : ids) {
                for (String p : List.of("linux/amd64", "linux/arm64")) {
                    j.setLong(1, id);
                    j.setString(2, p);
                    j.setString(3, "sha256:" + "a".repeat(64));
                    j.setTimestamp(4, now);
                    j.setTimestamp(5, Timestamp.from(now.toInstant().plusSeconds(30)));
                    j.addBatch();
                }
            }
            j.executeBatch();
        }
        // The newest build of each repository holds its image's latest tag.
        try (PreparedStatement t = c.prepareStatement(
                "INSERT INTO tag_owners (image, tag, build_id, version) VALUES (?, 'latest', ?, NULL)")) {
            for (int k = 0; k < 200; k++) {
                long id = ids.get(BUILDS - 200 + k);
                t.setString(1, "registry.test/org" + ((BUILDS - 200 + k) % 50) + "/repo" + ((BUILDS - 200 + k) % 200));
                t.setLong(2, id);
                t.addBatch();
            }
            t.executeBatch();
        }
        c.commit();
        if (kind == TestDatabases.Kind.POSTGRESQL) {
            try (Statement s = c.createStatement()) {
                s.execute("ANALYZE");
            }
        }
    }

    private double medianMillis(String path, String mustContain) {
        double[] ms = new double[5];
        for (int i = 0; i < ms.length; i++) {
            long t0 = System.nanoTime();
            ServerFixture.Answer a = ServerFixture.await(server.get(path));
            ms[i] = (System.nanoTime() - t0) / 1e6;
            assertEquals(200, a.status(), path + ": " + a.body());
            assertTrue(a.body().contains(mustContain), path + ": " + a.body());
        }
        Arrays.sort(ms);
        System.out.printf(
                Locale.ROOT, "[dashboard] %s, %,d builds, GET %s: median %.1f ms of 5%n", kind, BUILDS, path, ms[2]);
        return ms[2];
    }

    @Test
    void everyPage_answersInFull_withTenThousandBuilds() {
        ServerFixture.await(server.get("/builds")); // warm
        medianMillis("/builds", "data-platform=\"linux/arm64\" data-state=\"succeeded\"");
        medianMillis("/builds?before=500", "data-build=\"499\"");
        medianMillis("/builds?repo=org3%2Frepo3", "org3/repo3");
        medianMillis("/builds?state=published&ref=refs%2Ftags%2Fv9990", "data-build=\"9991\"");
        medianMillis("/images", "registry.test/org1/repo1");
        medianMillis("/runners", "No runner has registered");
        medianMillis("/badges/org1/repo1.svg", ">published<");
        medianMillis("/badges/org1/repo1/platforms.svg", "linux/amd64 | linux/arm64");
    }
}
