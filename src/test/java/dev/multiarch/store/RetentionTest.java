package dev.multiarch.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.platform.Platform;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.testing.TestDatabases;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** A store that stays small: compressed payloads and logs, retention, and H2's file under a burst of deliveries. */
@ParameterizedClass(name = "{0}")
@EnumSource(TestDatabases.Kind.class)
@ExtendWith(TestDatabases.class)
class RetentionTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

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

    private static String payload(int i) {
        return "{\"ref\":\"refs/heads/main\",\"after\":\"" + String.format("%040x", i) + "\",\"pusher\":\"é " + i
                + "\",\"repository\":{\"full_name\":\"octo/app\",\"description\":\"" + "x".repeat(3000) + "\"}}";
    }

    private static NewBuild build() {
        return NewBuild.builder()
                .repo("octo/app")
                .cloneUrl("https://github.example/octo/app.git")
                .commit("a".repeat(40))
                .ref("refs/heads/main")
                .image(ImageReference.parse("reg/octo/app"))
                .spec("{}")
                .tags("[]")
                .jobs(List.of(new NewBuild.NewJob(Platform.parse("linux/amd64"), 600)))
                .build();
    }

    @Test
    void payloadsAndLogs_areStoredDeflated_andReadBackExactly() throws Exception {
        try (JdbcStore s = db.open()) {
            assertTrue(s.addDelivery(new Store.Delivery("1", "d-1", "push", payload(1), T0, null, null)));
            assertEquals(
                    payload(1),
                    s.deliveriesIn(dev.multiarch.store.DeliveryState.RECEIVED)
                            .get(0)
                            .payload());
            long job = s.jobs(s.createBuild(build()).id()).get(0).id();
            s.appendLog(job, 1, "step 1 ✓\n", 1 << 20);
            assertEquals("step 1 ✓\n", s.logs(job, 0, 10).get(0).text());
        }
        try (var c = db.connect();
                var st = c.createStatement();
                var r = st.executeQuery("SELECT d.payload, LENGTH(COALESCE(d.payload_z, p.payload_z)), d.payload_z "
                        + "FROM deliveries d LEFT JOIN delivery_payloads p ON p.id = d.payload_id")) {
            r.next();
            assertEquals(null, r.getString(1), "no plain copy");
            assertTrue(r.getInt(2) < payload(1).length() / 4, "deflated: " + r.getInt(2) + " bytes");
            // H2 keeps the payload apart from the row that marks and claims rewrite (V16); PostgreSQL in the row.
            assertEquals(kind == TestDatabases.Kind.H2, r.getBytes(3) == null, "payload kept apart on H2 only");
        }
    }

    @Test
    void aPayloadStoredInItsRow_isReadAsBefore_andStoresReopened_keepNumberingPayloadsApart() throws Exception {
        // A delivery stored before V16 (its payload in its row), then new ones over two openings of the store: a
        // payload kept apart is never numbered twice (H2's sequence survives the close), and all are read back.
        try (JdbcStore s = db.open()) {
            assertTrue(s.addDelivery(new Store.Delivery("1", "first", "push", payload(1), T0, null, null)));
        }
        try (var c = db.connect();
                var p = c.prepareStatement(
                        "INSERT INTO deliveries (hook_id, delivery_id, event, payload_z, received_at, state) "
                                + "VALUES ('1', 'old', 'push', ?, ?, 'received')")) {
            p.setBytes(1, Deflated.of(payload(0)));
            p.setTimestamp(2, java.sql.Timestamp.from(T0.minusSeconds(1)));
            p.executeUpdate();
        }
        try (JdbcStore s = db.open()) {
            assertEquals(
                    List.of(true, true),
                    s.addDeliveries(List.of(
                            new Store.Delivery("1", "second", "push", payload(2), T0.plusSeconds(1), null, null),
                            new Store.Delivery("1", "third", "push", payload(3), T0.plusSeconds(2), null, null))));
            s.markDelivery("1", "old", dev.multiarch.store.DeliveryState.IGNORED, "no workflow");
            assertEquals(
                    List.of(payload(1), payload(2), payload(3)),
                    s.deliveriesIn(dev.multiarch.store.DeliveryState.RECEIVED).stream()
                            .map(Store.Delivery::payload)
                            .toList());
            assertEquals(
                    List.of(payload(0)),
                    s.deliveriesIn(dev.multiarch.store.DeliveryState.IGNORED).stream()
                            .map(Store.Delivery::payload)
                            .toList());
        }
    }

    @Test
    void purge_deletesOldHandledDeliveries_andLogsAndSentReportsOfOldFinishedBuilds_keepsTheRest() throws Exception {
        MutableClock clock = new MutableClock(T0);
        try (JdbcStore s = db.open(clock)) {
            s.addDelivery(new Store.Delivery("1", "old-done", "push", payload(1), T0, null, null));
            s.markDelivery("1", "old-done", dev.multiarch.store.DeliveryState.PROCESSED, "build #1");
            s.addDelivery(new Store.Delivery("1", "old-waiting", "push", payload(2), T0, null, null));
            s.addDelivery(
                    new Store.Delivery("1", "new-done", "push", payload(3), T0.plus(Duration.ofDays(40)), null, null));
            s.markDelivery("1", "new-done", dev.multiarch.store.DeliveryState.IGNORED, "no workflow");

            BuildRecord old = s.createBuild(build());
            long oldJob = s.jobs(old.id()).get(0).id();
            s.claimJob(oldJob, "r", T0.plusSeconds(60)).orElseThrow();
            s.appendLog(oldJob, 1, "old log\n", 1 << 20);
            s.completeJob(oldJob, "r", 1, JobResult.failure("exit 1"));
            s.wantReport(old.id(), "sent", "{}");
            s.reportSent(old.id(), "sent", 1, "42");
            s.wantReport(old.id(), "unsent", "{}");
            s.setTagOwner("reg/octo/app", "latest", old.id(), null);

            BuildRecord running = s.createBuild(build());
            long runningJob = s.jobs(running.id()).get(0).id();
            s.claimJob(runningJob, "r", T0.plusSeconds(60)).orElseThrow();
            s.appendLog(runningJob, 1, "still going\n", 1 << 20);

            clock.set(T0.plus(Duration.ofDays(40)));
            BuildRecord recent = s.createBuild(build());
            long recentJob = s.jobs(recent.id()).get(0).id();
            s.claimJob(recentJob, "r", clock.instant().plusSeconds(60)).orElseThrow();
            s.appendLog(recentJob, 1, "recent log\n", 1 << 20);
            s.completeJob(recentJob, "r", 1, JobResult.failure("exit 2"));

            Store.Purged p = s.purge(T0.plus(Duration.ofDays(10)));
            assertEquals(new Store.Purged(1, 1, 1), p);
            assertEquals(
                    List.of("old-waiting"),
                    s.deliveriesIn(dev.multiarch.store.DeliveryState.RECEIVED).stream()
                            .map(Store.Delivery::deliveryId)
                            .toList());
            assertEquals(
                    1, s.deliveriesIn(dev.multiarch.store.DeliveryState.IGNORED).size());
            assertTrue(s.logs(oldJob, 0, 10).isEmpty());
            assertEquals("still going\n", s.logs(runningJob, 0, 10).get(0).text(), "a running build keeps its log");
            assertEquals("recent log\n", s.logs(recentJob, 0, 10).get(0).text());
            assertEquals(
                    List.of("unsent"),
                    s.reports(old.id()).stream().map(Store.Report::context).toList(),
                    "a report GitHub has not had is kept");
            assertEquals(BuildState.FAILED, s.build(old.id()).orElseThrow().state(), "builds are kept");
            assertEquals(
                    old.id(), s.tagOwner("reg/octo/app", "latest").orElseThrow().buildId());

            assertEquals(new Store.Purged(0, 0, 0), s.purge(T0.plus(Duration.ofDays(10))), "idempotent");
        }
        try (var c = db.connect();
                var st = c.createStatement();
                var r = st.executeQuery("SELECT COUNT(*) FROM delivery_payloads p WHERE NOT EXISTS "
                        + "(SELECT 1 FROM deliveries d WHERE d.payload_id = p.id)")) {
            r.next();
            assertEquals(0, r.getInt(1), "a purged delivery's payload kept apart goes with it");
        }
    }

    @Test
    void purge_byTwoCoordinatorsAtOnce_deletesEachRowOnce() throws Exception {
        // only PostgreSQL is shared by coordinators: this case runs on POSTGRESQL whichever database the class runs on.
        db = databases.fresh(TestDatabases.Kind.POSTGRESQL, dir);
        try (JdbcStore a = db.open();
                JdbcStore b = db.open()) {
            for (int i = 0; i < 2_500; i++) {
                String id = "d-" + i;
                a.addDelivery(new Store.Delivery("1", id, "push", "{}", T0, null, null));
                a.markDelivery("1", id, dev.multiarch.store.DeliveryState.PROCESSED, null);
            }
            ExecutorService pool = Executors.newFixedThreadPool(2);
            List<Future<Store.Purged>> runs = new ArrayList<>();
            for (JdbcStore s : List.of(a, b, a, b)) {
                runs.add(pool.submit(() -> s.purge(T0.plusSeconds(1))));
            }
            int deleted = 0;
            for (Future<Store.Purged> f : runs) {
                deleted += f.get().deliveries();
            }
            pool.shutdown();
            assertEquals(2_500, deleted);
            assertTrue(
                    b.deliveriesIn(dev.multiarch.store.DeliveryState.PROCESSED).isEmpty());
        }
    }

    @Test
    void h2File_afterABurstOfDeliveries_isCompactedOnClose_toLessThanThePayloads() throws Exception {
        // the H2 file: this case runs on H2 whichever database the class runs on.
        db = databases.fresh(TestDatabases.Kind.H2, dir);
        Path file = dir.resolve("h2/multiarch.mv.db");
        long payloads = 0;
        long open;
        try (JdbcStore s = db.open()) {
            for (int i = 0; i < 600; i++) {
                String p = payload(i);
                payloads += p.length();
                s.addDelivery(new Store.Delivery("1", "d-" + i, "push", p, T0, null, null));
            }
            open = Files.size(file);
        }
        long closed = Files.size(file);
        // One chunk per commit (WRITE_DELAY=0), freed only after H2's 45 s retention: the open file is mostly old
        // chunks; SHUTDOWN COMPACT on close keeps only live data, which is deflated.
        assertTrue(closed < payloads / 2, "closed: " + closed + " bytes for " + payloads + " bytes of payloads");
        assertTrue(closed * 3 < open, "open " + open + " bytes, closed " + closed);
        try (JdbcStore s = db.open()) {
            assertEquals(
                    600,
                    s.deliveriesIn(dev.multiarch.store.DeliveryState.RECEIVED).size(),
                    "nothing lost by the compaction");
            assertEquals(
                    payload(599),
                    s.deliveriesIn(dev.multiarch.store.DeliveryState.RECEIVED).stream()
                            .filter(d -> d.deliveryId().equals("d-599"))
                            .findFirst()
                            .orElseThrow()
                            .payload());
        }
    }

    /** A clock the test moves. */
    static final class MutableClock extends Clock {
        private volatile Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        void set(Instant t) {
            now = t;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
