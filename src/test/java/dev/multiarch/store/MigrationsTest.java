package dev.multiarch.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.platform.Platform;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.testing.TestDatabases;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** One migration history on H2 and PostgreSQL: gaps, stores written by older and newer versions. */
@ParameterizedClass(name = "{0}")
@EnumSource(TestDatabases.Kind.class)
@ExtendWith(TestDatabases.class)
class MigrationsTest {
    @Parameter
    TestDatabases.Kind kind;

    @TempDir
    Path dir;

    TestDatabases.TestDatabase db;
    TestDatabases databases;

    @BeforeEach
    void database(TestDatabases databases) {
        this.databases = databases;
        db = databases.fresh(kind, dir);
    }

    /**
     * An H2 store as multiarch before this version left it: V1..{@code upTo} applied exactly as the old runner did
     * (the files' statements, in order, recorded in schema_version).
     */
    private void olderH2Store(int upTo) throws Exception {
        try (Connection c = db.connect();
                Statement st = c.createStatement()) {
            st.execute("CREATE TABLE schema_version (version INT PRIMARY KEY, name VARCHAR(200) NOT NULL, "
                    + "applied_at TIMESTAMP WITH TIME ZONE NOT NULL)");
            for (Migrations.Migration m : Migrations.all()) {
                if (m.version() > upTo) {
                    break;
                }
                for (String stmt : Migrations.statements(Migrations.read(m.name()))) {
                    st.execute(stmt);
                }
                st.execute("INSERT INTO schema_version VALUES (" + m.version() + ", '" + m.name()
                        + "', CURRENT_TIMESTAMP)");
            }
        }
    }

    @Test
    void versions_comeFromFileNames_withGaps() {
        List<Integer> versions =
                Migrations.all().stream().map(Migrations.Migration::version).toList();
        assertEquals(List.of(1, 2, 3, 4), versions.subList(0, 4));
        assertTrue(versions.contains(7), versions.toString());
        assertEquals(versions.stream().sorted().toList(), versions, "in order of version");
    }

    @Test
    void migrationV3_marksForkBuildsOfAnOlderStoreUntrusted() throws Exception {
        // stores older than V4 exist on H2 only: this case runs on H2 whichever database the class runs on.
        db = databases.fresh(TestDatabases.Kind.H2, dir);
        olderH2Store(2);
        try (Connection c = db.connect();
                Statement st = c.createStatement()) {
            for (String fork : List.of("true", "false")) {
                st.execute("INSERT INTO builds (repo, clone_url, commit_sha, ref, push, state, trigger_info, "
                        + "created_at, updated_at) VALUES ('o/r', 'https://x/r.git', 'c', 'refs/pull/1/head', FALSE, "
                        + "'QUEUED', '{\"repo\":\"o/r\",\"pr\":1,\"fork\":" + fork + "}', CURRENT_TIMESTAMP, "
                        + "CURRENT_TIMESTAMP)");
            }
        }
        try (JdbcStore s = db.open()) {
            assertEquals(
                    List.of(true, false),
                    s.recentBuilds(10).stream()
                            .sorted(java.util.Comparator.comparingLong(BuildRecord::id))
                            .map(BuildRecord::untrusted)
                            .toList());
        }
    }

    @Test
    void v4Store_opensWithTheNewCode_andItsGitHubBuildsAreFoundByOrigin() throws Exception {
        // stores of V4 and older exist on H2 only: this case runs on H2 whichever database the class runs on.
        db = databases.fresh(TestDatabases.Kind.H2, dir);
        olderH2Store(4);
        String sha = "c".repeat(40);
        try (Connection c = db.connect();
                Statement st = c.createStatement()) {
            st.execute("INSERT INTO builds (repo, clone_url, commit_sha, ref, push, state, trigger_info, created_at, "
                    + "updated_at) VALUES ('o/r', 'https://x/r.git', '" + sha + "', 'refs/pull/5/head', FALSE, "
                    + "'QUEUED', '{\"repo\":\"o/r\",\"sha\":\"" + sha + "\",\"installation\":3,\"pr\":5,"
                    + "\"workflow\":\"pr\",\"fork\":false,\"delivery\":\"old-delivery\"}', CURRENT_TIMESTAMP, "
                    + "CURRENT_TIMESTAMP)");
            st.execute("INSERT INTO builds (repo, clone_url, commit_sha, ref, push, state, created_at, updated_at) "
                    + "VALUES ('local', 'file:///x', 'd', 'refs/tags/v1', FALSE, 'QUEUED', CURRENT_TIMESTAMP, "
                    + "CURRENT_TIMESTAMP)");
            // Plain text, as V4 stored payloads and logs (V8 stores them deflated).
            st.execute("INSERT INTO deliveries (hook_id, delivery_id, event, payload, received_at, state) VALUES "
                    + "('1', 'plain', 'push', '{\"zen\":\"old é\"}', CURRENT_TIMESTAMP, 'received')");
            st.execute("INSERT INTO jobs (build_id, platform, state, attempt, timeout_seconds) VALUES (1, "
                    + "'linux/amd64', 'RUNNING', 1, 600)");
            st.execute("INSERT INTO job_logs (job_id, attempt, chunk, bytes) VALUES (1, 1, 'old line\n', 9)");
        }
        try (JdbcStore s = db.open()) {
            assertEquals(
                    List.of("o/r"),
                    s.buildsOfDelivery("old-delivery").stream()
                            .map(BuildRecord::repo)
                            .toList());
            assertEquals(
                    "refs/pull/5/head",
                    s.latestBuildOfCommit("o/r", sha).orElseThrow().ref());
            assertEquals(1, s.buildsOfPullRequest("o/r", 5, BuildState.QUEUED).size());
            assertEquals(2, s.recentBuilds(10).size());
            assertEquals(
                    "{\"zen\":\"old é\"}",
                    s.deliveriesIn(dev.multiarch.store.DeliveryState.RECEIVED)
                            .get(0)
                            .payload());
            s.appendLog(1, 1, "new line\n", 1 << 20);
            assertEquals(
                    List.of("old line\n", "new line\n"),
                    s.logs(1, 0, 10).stream().map(LogChunk::text).toList(),
                    "an old plain chunk, then a new deflated one");
        }
    }

    @Test
    void aMissingLowerVersion_isAppliedAfterAHigherOne_asWhenABranchIsMerged() throws Exception {
        try (JdbcStore s = db.open()) {
            s.createBuild(NewBuild.builder()
                    .repo("r")
                    .cloneUrl("u")
                    .commit("c")
                    .ref("ref")
                    .failedWith("x")
                    .build());
        }
        // As if V4 came from a branch merged after this store ran every later migration.
        try (Connection c = db.connect();
                Statement st = c.createStatement()) {
            st.execute("DROP TABLE job_log_totals");
            st.execute("ALTER TABLE job_logs DROP COLUMN bytes");
            st.execute("DELETE FROM schema_version WHERE version = 4");
        }
        try (JdbcStore s = db.open()) {
            BuildRecord b = s.createBuild(NewBuild.builder()
                    .repo("r")
                    .cloneUrl("u")
                    .commit("c")
                    .ref("ref")
                    .image(ImageReference.parse("i"))
                    .spec("{}")
                    .tags("[]")
                    .jobs(List.of(new NewBuild.NewJob(Platform.parse("linux/amd64"), 60)))
                    .build());
            long job = s.jobs(b.id()).get(0).id();
            s.appendLog(job, 1, "hello\n", 1 << 20);
            assertEquals("hello\n", s.logs(job, 0, 10).get(0).text());
        }
        try (Connection c = db.connect();
                Statement st = c.createStatement();
                var r = st.executeQuery("SELECT COUNT(*) FROM schema_version WHERE version = 4")) {
            r.next();
            assertEquals(1, r.getInt(1));
        }
    }

    @Test
    void aStoreOfANewerMultiarch_isRefused() throws Exception {
        try (JdbcStore s = db.open()) {
            s.recentBuilds(1);
        }
        try (Connection c = db.connect();
                Statement st = c.createStatement()) {
            st.execute("INSERT INTO schema_version VALUES (9999, 'V9999__future.sql', CURRENT_TIMESTAMP)");
        }
        StoreException e = assertThrows(StoreException.class, db::open);
        assertTrue(e.getMessage().contains("schema version 9999, newer than this multiarch"), e.getMessage());
    }

    @Test
    void statements_dropCommentsAndSplitAtLineEndingSemicolons() throws SQLException {
        assertEquals(
                List.of("CREATE TABLE a (x INT)", "INSERT INTO a VALUES (1)"),
                Migrations.statements(
                        "-- a comment; with a semicolon\nCREATE TABLE a (x INT);\n\n" + "INSERT INTO a VALUES (1);"));
    }
}
