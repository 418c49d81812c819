package dev.multiarch.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.platform.Platform;
import dev.multiarch.registry.Digest;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.testing.TestClock;
import dev.multiarch.testing.TestDatabases;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Work claimed for a while so that several coordinators do it once (V12): check reports being sent, deliveries being
 * processed, builds being finished. On PostgreSQL two stores on one database stand for two coordinators; on H2, one
 * store (one process) plays both.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(TestDatabases.Kind.class)
@ExtendWith(TestDatabases.class)
class ClaimsTest {
    @Parameter
    TestDatabases.Kind kind;

    @TempDir
    Path dir;

    final TestClock clock = new TestClock(Instant.parse("2026-01-01T00:00:00Z"));
    JdbcStore a;
    JdbcStore b;

    @BeforeEach
    void open(TestDatabases databases) {
        TestDatabases.TestDatabase db = databases.fresh(kind, dir);
        a = db.open(clock);
        b = kind == TestDatabases.Kind.POSTGRESQL ? db.open(clock) : a;
    }

    @AfterEach
    void close() {
        if (b != a) {
            b.close();
        }
        a.close();
    }

    private static NewBuild build() {
        return NewBuild.builder()
                .repo("octo/app")
                .cloneUrl("https://github.example/octo/app.git")
                .commit("a".repeat(40))
                .ref("refs/tags/v1.0.0")
                .image(ImageReference.parse("reg/octo/app"))
                .spec("{}")
                .tags("[]")
                .version("1.0.0")
                .push(true)
                .jobs(List.of(new NewBuild.NewJob(Platform.parse("linux/amd64"), 600)))
                .build();
    }

    /** A build between fan-in and published. */
    private long verifying() {
        BuildRecord r = a.createBuild(build());
        JobRecord j = a.jobs(r.id()).get(0);
        a.claimJob(j.id(), "r1", clock.instant().plusSeconds(60)).orElseThrow();
        assertEquals(
                Store.Completion.BUILD_READY,
                a.completeJob(j.id(), "r1", 1, JobResult.success("sha256:" + "1".repeat(64), "m", 10, 1)));
        return r.id();
    }

    @Test
    void aDueReport_goesToOneSender_untilItIsSentOrItsClaimRunsOut() {
        long id = a.createBuild(build()).id();
        a.wantReport(id, "multiarch", "{\"v\":1}");
        assertEquals(1, a.dueReports("a", clock.instant(), 10).size());
        assertEquals(List.of(), b.dueReports("b", clock.instant(), 10), "claimed by the first sender");
        a.wantReport(id, "multiarch", "{\"v\":2}");
        assertEquals(List.of(), b.dueReports("b", clock.instant(), 10), "a newer state waits for the claim, too");
        clock.pass(Store.REPORT_CLAIM);
        List<Store.Report> retaken = b.dueReports("b", clock.instant(), 10);
        assertEquals(1, retaken.size(), "its sender died (or stalled): another takes it");
        assertFalse(
                a.holdReport("a", id, "multiarch", clock.instant().plus(Store.REPORT_CLAIM)),
                "the first sender, going on with its batch, finds the report taken over and leaves it");
        assertTrue(b.holdReport("b", id, "multiarch", clock.instant().plus(Store.REPORT_CLAIM)));
        b.reportSent(id, "multiarch", retaken.get(0).version(), "4711");
        assertEquals(List.of(), a.dueReports("a", clock.instant(), 10), "sent");
        assertFalse(b.holdReport("b", id, "multiarch", clock.instant().plus(Store.REPORT_CLAIM)), "nothing to send");
        a.wantReport(id, "multiarch", "{\"v\":3}");
        List<Store.Report> next = a.dueReports("a", clock.instant(), 10);
        assertEquals("4711", next.get(0).externalId(), "an update of the check run made once");
        a.reportDeferred(id, "multiarch", clock.instant().plusSeconds(5), "502");
        assertEquals(List.of(), b.dueReports("b", clock.instant(), 10), "deferred: not before its time");
        clock.pass(Duration.ofSeconds(5));
        assertEquals(1, b.dueReports("b", clock.instant(), 10).size(), "released by the deferral");
    }

    @Test
    void aRetryTime_isDroppedByANewState_aPaceOnlyByASettlingOne() {
        long id = a.createBuild(build()).id();
        a.wantReport(id, "multiarch", "{\"v\":1}", false);
        assertEquals(1, a.dueReports("a", clock.instant(), 10).size(), "a new check is due at once");
        a.reportDeferred(id, "multiarch", clock.instant().plusSeconds(60), "502");
        a.wantReport(id, "multiarch", "{\"v\":2}", false);
        List<Store.Report> retried = b.dueReports("b", clock.instant(), 10);
        assertEquals(1, retried.size(), "a failure's retry time: a newer state is tried at once");
        b.reportSent(
                id,
                "multiarch",
                retried.get(0).version(),
                "4711",
                clock.instant().plusSeconds(5));
        a.wantReport(id, "multiarch", "{\"v\":3}", false);
        assertEquals(List.of(), a.dueReports("a", clock.instant(), 10), "paced");
        clock.pass(Duration.ofSeconds(5));
        List<Store.Report> paced = a.dueReports("a", clock.instant(), 10);
        assertEquals(3, paced.get(0).version(), "the newest state, when the pace is over");
        a.reportSent(id, "multiarch", 3, null, clock.instant().plusSeconds(5));
        a.wantReport(id, "multiarch", "{\"v\":4}", false);
        a.wantReport(id, "multiarch", "{\"v\":5}", true);
        List<Store.Report> settled = b.dueReports("b", clock.instant(), 10);
        assertEquals(5, settled.get(0).version(), "a settling state does not wait");
        b.reportSent(id, "multiarch", 5, null, null);
        Store.Report r = a.reports(id).get(0);
        assertEquals(null, r.nextAttempt());
        assertEquals("4711", r.externalId());
    }

    @Test
    void reportsClaimedAtOnceBySeveralSenders_areEachTakenOnce() throws Exception {
        for (int i = 0; i < 40; i++) {
            a.wantReport(a.createBuild(build()).id(), "multiarch", "{}");
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<Store.Report>>> takes = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                JdbcStore s = i % 2 == 0 ? a : b;
                takes.add(pool.submit(() -> s.dueReports("sender", clock.instant(), 7)));
            }
            Set<Long> seen = new HashSet<>();
            int total = 0;
            for (Future<List<Store.Report>> f : takes) {
                for (Store.Report r : f.get()) {
                    total++;
                    seen.add(r.buildId());
                }
            }
            // A sender may get fewer than it asked for while others hold rows (H2 limits before it skips locked
            // rows); what is left is there for the next round.
            for (Store.Report r : a.dueReports("a", clock.instant(), 100)) {
                total++;
                seen.add(r.buildId());
            }
            assertEquals(seen.size(), total, "no report went to two senders");
            assertEquals(40, total, "and none was lost");
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void aStoredDelivery_isHeldByItsReceiver_thenTakenOverOnce() {
        assertTrue(a.addDelivery(new Store.Delivery("1", "d-1", "push", "{}", clock.instant(), null, null)));
        assertEquals(
                List.of(),
                b.claimDeliveries("b", clock.instant(), clock.instant().plusSeconds(30), 10));
        clock.pass(Store.DELIVERY_CLAIM);
        List<Store.Delivery> taken =
                b.claimDeliveries("b", clock.instant(), clock.instant().plusSeconds(30), 10);
        assertEquals(
                List.of("d-1"), taken.stream().map(Store.Delivery::deliveryId).toList());
        assertEquals(
                List.of(),
                a.claimDeliveries("a", clock.instant(), clock.instant().plusSeconds(30), 10));
        b.holdDelivery("1", "d-1", clock.instant().plusSeconds(120));
        clock.pass(Duration.ofSeconds(60));
        assertEquals(
                List.of(),
                a.claimDeliveries("a", clock.instant(), clock.instant().plusSeconds(30), 10),
                "held");
        b.markDelivery("1", "d-1", dev.multiarch.store.DeliveryState.PROCESSED, "done");
        clock.pass(Duration.ofHours(1));
        assertEquals(
                List.of(),
                a.claimDeliveries("a", clock.instant(), clock.instant().plusSeconds(30), 10));
    }

    @Test
    void aDeliveryLeftWaitingPastItsClaim_andTakenOver_isNoLongerItsReceivers() {
        Store.DeliveryKey k = new Store.DeliveryKey("1", "d-2");
        assertTrue(a.addDelivery(new Store.Delivery("1", "d-2", "push", "{}", clock.instant(), null, null)));
        // The receiver renews its unnamed claim while it holds the delivery; nobody else may.
        assertEquals(
                Set.of(k),
                a.leaseDeliveries(
                        "a", List.of(k), clock.instant(), clock.instant().plusSeconds(30)));
        assertEquals(
                Set.of(),
                b.leaseDeliveries(
                        "b", List.of(k), clock.instant(), clock.instant().plusSeconds(30)));
        // a stalls past its claim; b's sweep takes the delivery over.
        clock.pass(Store.DELIVERY_CLAIM);
        assertEquals(
                1,
                b.claimDeliveries("b", clock.instant(), clock.instant().plusSeconds(30), 10)
                        .size());
        assertEquals(
                Set.of(),
                a.leaseDeliveries(
                        "a", List.of(k), clock.instant(), clock.instant().plusSeconds(30)),
                "a may not go on with a delivery b took over");
        assertEquals(
                Set.of(k),
                b.leaseDeliveries(
                        "b", List.of(k), clock.instant(), clock.instant().plusSeconds(30)));
        // Processed: nobody's any more.
        b.markDelivery("1", "d-2", dev.multiarch.store.DeliveryState.PROCESSED, "done");
        assertEquals(
                Set.of(),
                b.leaseDeliveries(
                        "b", List.of(k), clock.instant(), clock.instant().plusSeconds(30)));
        assertEquals(Set.of(), a.leaseDeliveries("a", List.of(), clock.instant(), clock.instant()));
    }

    @Test
    void finishingABuild_isLeasedToOneCoordinator_renewed_andTakenOverWhenItRunsOut() {
        long id = verifying();
        assertEquals(List.of(id), b.unleasedFinishes(clock.instant()));
        assertTrue(a.leaseFinish(
                id, "coordinator-a", clock.instant(), clock.instant().plusSeconds(15)));
        assertFalse(b.leaseFinish(
                id, "coordinator-b", clock.instant(), clock.instant().plusSeconds(15)));
        assertEquals(List.of(), b.unleasedFinishes(clock.instant()));
        clock.pass(Duration.ofSeconds(10));
        assertTrue(
                a.leaseFinish(
                        id, "coordinator-a", clock.instant(), clock.instant().plusSeconds(15)),
                "renewed");
        clock.pass(Duration.ofSeconds(10));
        assertFalse(b.leaseFinish(
                id, "coordinator-b", clock.instant(), clock.instant().plusSeconds(15)));
        clock.pass(Duration.ofSeconds(5));
        assertEquals(List.of(id), b.unleasedFinishes(clock.instant()), "coordinator-a stopped renewing");
        assertTrue(b.leaseFinish(
                id, "coordinator-b", clock.instant(), clock.instant().plusSeconds(15)));
        assertFalse(a.leaseFinish(
                id, "coordinator-a", clock.instant(), clock.instant().plusSeconds(15)));
        assertTrue(b.moveBuild(id, BuildState.VERIFYING, BuildState.PUBLISHING, null));
        assertTrue(b.markPublished(id, Digest.parse("sha256:" + "9".repeat(64)), "[]"));
        clock.pass(Duration.ofMinutes(1));
        assertFalse(
                a.leaseFinish(
                        id, "coordinator-a", clock.instant(), clock.instant().plusSeconds(15)),
                "done");
        assertEquals(List.of(), a.unleasedFinishes(clock.instant()));
    }
}
