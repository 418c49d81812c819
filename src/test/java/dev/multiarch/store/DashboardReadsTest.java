package dev.multiarch.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.platform.Platform;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.testing.TestDatabases;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** The dashboard's reads, on H2 and on PostgreSQL: results, and that the builds page reads an index, not the table. */
@ParameterizedClass(name = "{0}")
@EnumSource(TestDatabases.Kind.class)
@ExtendWith(TestDatabases.class)
class DashboardReadsTest {
    @Parameter
    TestDatabases.Kind kind;

    @TempDir
    Path dir;

    TestDatabases.TestDatabase db;

    @BeforeEach
    void database(TestDatabases databases) {
        db = databases.fresh(kind, dir);
    }

    private static NewBuild build(String repo, String ref, boolean privateRepo, String... platforms) {
        return NewBuild.builder()
                .repo(repo)
                .cloneUrl("file:///repo.git")
                .commit("a".repeat(40))
                .ref(ref)
                .image(ImageReference.parse("reg/" + repo))
                .spec("{}")
                .tags("[]")
                .version("1.0.0")
                .push(!ref.startsWith("refs/pull/"))
                .privateRepo(privateRepo)
                .jobs(java.util.Arrays.stream(platforms)
                        .map(p -> new NewBuild.NewJob(Platform.parse(p), 600))
                        .toList())
                .build();
    }

    @Test
    void buildsPage_filtersAndGoesBackByKeyset() {
        try (JdbcStore s = db.open()) {
            List<Long> app = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                app.add(s.createBuild(build("acme/app", "refs/heads/main", false, "linux/amd64"))
                        .id());
                s.createBuild(build("acme/other", "refs/tags/v1", false, "linux/amd64"));
            }
            long secret = s.createBuild(build("acme/app", "refs/heads/main", true, "linux/amd64"))
                    .id();
            Store.BuildFilter mine = new Store.BuildFilter("acme/app", null, null, false);
            List<BuildRecord> first = s.buildsPage(mine, null, 3);
            assertEquals(List.of(app.get(4), app.get(3), app.get(2)), ids(first), "no private build when not asked");
            assertEquals(
                    List.of(app.get(1), app.get(0)),
                    ids(s.buildsPage(mine, first.get(2).id(), 3)));
            assertEquals(
                    secret,
                    s.buildsPage(new Store.BuildFilter("acme/app", null, null, true), null, 1)
                            .get(0)
                            .id());
            assertEquals(
                    5,
                    s.buildsPage(new Store.BuildFilter(null, null, "refs/tags/v1", true), null, 50)
                            .size());
            assertEquals(
                    11,
                    s.buildsPage(new Store.BuildFilter(null, BuildState.QUEUED, null, true), null, 50)
                            .size());
            assertTrue(s.buildsPage(new Store.BuildFilter(null, BuildState.FAILED, null, true), null, 50)
                    .isEmpty());
        }
    }

    private static List<Long> ids(List<BuildRecord> bs) {
        return bs.stream().map(BuildRecord::id).toList();
    }

    @Test
    void tags_holderMovesAndLatestPublishingBuild() {
        try (JdbcStore s = db.open()) {
            BuildRecord one = s.createBuild(build("acme/app", "refs/tags/v1", false, "linux/amd64"));
            BuildRecord two = s.createBuild(build("acme/app", "refs/tags/v2", false, "linux/amd64"));
            BuildRecord pr = s.createBuild(build("acme/app", "refs/pull/1/merge", false, "linux/amd64"));
            s.setTagOwner("reg/acme/app", "latest", one.id(), "1");
            s.recordTagMove("reg/acme/app", "latest", one.id(), "sha256:" + "1".repeat(64));
            s.setTagOwner("reg/acme/app", "latest", two.id(), "2");
            s.recordTagMove("reg/acme/app", "latest", two.id(), "sha256:" + "2".repeat(64));
            s.setTagOwner("reg/acme/app", "2", two.id(), "2");
            s.recordTagMove("reg/acme/app", "2", two.id(), "sha256:" + "2".repeat(64));

            assertEquals(List.of(one.id(), pr.id()), ids(s.buildsById(List.of(pr.id(), one.id(), 9999L, pr.id()))));
            assertTrue(s.buildsById(List.of()).isEmpty());
            assertEquals(
                    two.id(), s.tagHolder("acme/app", "latest").orElseThrow().id());
            assertTrue(s.tagHolder("acme/other", "latest").isEmpty());
            assertEquals(
                    List.of(
                            new Store.ImageTag("reg/acme/app", "2", two.id()),
                            new Store.ImageTag("reg/acme/app", "latest", two.id())),
                    s.imageTags("reg/acme/app", 10));
            assertEquals(2, s.imageTags(null, 10).size());
            List<Store.TagMove> moves = s.tagMoves("reg/acme/app", 10);
            assertEquals(
                    List.of("2", "latest", "latest"),
                    moves.stream().map(Store.TagMove::tag).toList());
            assertEquals(one.id(), moves.get(2).buildId(), "newest first");
            assertEquals(
                    pr.id(),
                    s.latestBuildOfRepo("acme/app", false, "").orElseThrow().id());
            assertEquals(
                    two.id(),
                    s.latestBuildOfRepo("acme/app", true, "").orElseThrow().id(),
                    "a PR publishes nothing");
            assertEquals(
                    one.id(),
                    s.latestBuildOfRepo("acme/app", true, "refs/tags/v1")
                            .orElseThrow()
                            .id());
            assertTrue(s.latestBuildOfRepo("acme/app", true, "refs/tags/v_").isEmpty(), "_ is no wildcard");
        }
    }

    @Test
    void runnerStats_countJobsAndTakeTheMedianOfSucceededOnes() {
        RetentionTest.MutableClock clock = new RetentionTest.MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        try (JdbcStore s = db.open(clock)) {
            long[] seconds = {10, 30, 20, 1000};
            for (int i = 0; i < seconds.length; i++) {
                BuildRecord b = s.createBuild(build("acme/app", "refs/heads/main", false, "linux/arm64"));
                JobRecord j = s.jobs(b.id()).get(0);
                Instant t0 = Instant.parse("2026-01-01T00:00:00Z").plusSeconds(i * 10_000L);
                clock.set(t0);
                JobRecord claimed =
                        s.claimJob(j.id(), "runner-1", t0.plusSeconds(5000)).orElseThrow();
                assertEquals(1, s.runningJobs().size());
                clock.set(t0.plusSeconds(seconds[i]));
                s.completeJob(
                        j.id(),
                        "runner-1",
                        claimed.attempt(),
                        i == 3 ? JobResult.failure("boom") : JobResult.success("sha256:" + "a".repeat(64), "m", 1, 1));
            }
            assertTrue(s.runningJobs().isEmpty());
            assertEquals(
                    List.of(new Store.RunnerPlatformStats("runner-1", "linux/arm64", 3, 1, 20_000L)), s.runnerStats());
        }
    }

    /**
     * With 10,000 builds, the builds page under each filter reads an index (the plan names one of V11's, or the
     * primary key for no filter), and the time of each read is printed for the record.
     */
    @Test
    void tenThousandBuilds_everyBuildsPageReadsAnIndex() throws Exception {
        try (JdbcStore s = db.open();
                Connection c = db.connect()) {
            c.setAutoCommit(false);
            try (PreparedStatement p = c.prepareStatement(
                    "INSERT INTO builds (repo, clone_url, commit_sha, ref, push, "
                            + "state, private_repo, created_at, updated_at) VALUES (?, 'file:///r.git', ?, ?, TRUE, ?, ?, ?, ?)")) {
                Timestamp now = Timestamp.from(Instant.now());
                for (int i = 0; i < 10_000; i++) {
                    p.setString(1, "org" + (i % 50) + "/repo" + (i % 200));
                    p.setString(2, "c".repeat(40));
                    p.setString(3, i % 10 == 0 ? "refs/tags/v" + i : "refs/heads/main");
                    p.setString(4, i % 97 == 0 ? "RUNNING" : i % 5 == 0 ? "FAILED" : "PUBLISHED");
                    p.setBoolean(5, i % 7 == 0);
                    p.setTimestamp(6, now);
                    p.setTimestamp(7, now);
                    p.addBatch();
                }
                p.executeBatch();
            }
            c.commit();
            c.setAutoCommit(true);
            if (kind == TestDatabases.Kind.POSTGRESQL) {
                try (Statement st = c.createStatement()) {
                    st.execute("ANALYZE builds");
                }
            }
            record Case(String name, Store.BuildFilter filter, Long before, String index) {}
            List<Case> cases = List.of(
                    new Case("newest", new Store.BuildFilter(null, null, null, true), null, "primary"),
                    new Case("anonymous, page 150", new Store.BuildFilter(null, null, null, false), 2_500L, "primary"),
                    new Case(
                            "repository",
                            new Store.BuildFilter("org3/repo3", null, null, true),
                            null,
                            "builds_repo_id"),
                    new Case(
                            "state",
                            new Store.BuildFilter(null, BuildState.RUNNING, null, true),
                            null,
                            "builds_state_id"),
                    new Case("ref", new Store.BuildFilter(null, null, "refs/tags/v500", true), null, "builds_ref_id"));
            for (Case k : cases) {
                DashboardReads.Query q = DashboardReads.buildsPageQuery(k.filter(), k.before(), 50);
                String plan = explain(c, q);
                // H2 may take V6's (state, updated_at) for a state: an index all the same, on the filter.
                boolean indexed = k.index().equals("primary")
                        ? plan.contains("primary_key") || plan.contains("builds_pkey")
                        : plan.contains(k.index())
                                || (k.index().equals("builds_state_id") && plan.contains("builds_finished"));
                assertTrue(indexed, k.name() + ": " + plan);
                assertFalse(plan.contains("tableScan") || plan.contains("Seq Scan on builds"), k.name() + ": " + plan);
                s.buildsPage(k.filter(), k.before(), 50); // warm
                double[] ms = new double[7];
                int n = 0;
                for (int i = 0; i < ms.length; i++) {
                    long t0 = System.nanoTime();
                    n = s.buildsPage(k.filter(), k.before(), 50).size();
                    ms[i] = (System.nanoTime() - t0) / 1e6;
                }
                java.util.Arrays.sort(ms);
                System.out.printf(
                        Locale.ROOT,
                        "[dashboard] %s, 10,000 builds, %s: %d rows, median %.2f ms (fastest %.2f) of 7%n",
                        kind,
                        k.name(),
                        n,
                        ms[3],
                        ms[0]);
                assertTrue(n > 0, k.name());
            }
        }
    }

    private String explain(Connection c, DashboardReads.Query q) throws Exception {
        try (PreparedStatement p = c.prepareStatement("EXPLAIN " + q.sql())) {
            for (int i = 0; i < q.params().size(); i++) {
                p.setObject(i + 1, q.params().get(i));
            }
            StringBuilder out = new StringBuilder();
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.append(r.getString(1)).append('\n');
                }
            }
            return out.toString()
                    .toLowerCase(Locale.ROOT)
                    .replace("seq scan on builds", "Seq Scan on builds")
                    .replace("tablescan", "tableScan");
        }
    }
}
