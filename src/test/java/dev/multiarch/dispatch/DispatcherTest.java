package dev.multiarch.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.platform.Platform;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.store.JdbcStore;
import dev.multiarch.store.JobRecord;
import dev.multiarch.store.NewBuild;
import dev.multiarch.testing.TestDatabases;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** Matching waiting runners with queued jobs, on H2 and on PostgreSQL. */
@ParameterizedClass(name = "{0}")
@EnumSource(TestDatabases.Kind.class)
@ExtendWith(TestDatabases.class)
class DispatcherTest {
    @Parameter
    TestDatabases.Kind kind;

    @TempDir
    Path dir;

    TestDatabases.TestDatabase db;

    @BeforeEach
    void database(TestDatabases databases) {
        db = databases.fresh(kind, dir);
    }

    private static List<Platform> ps(String... s) {
        return java.util.Arrays.stream(s).map(Platform::parse).toList();
    }

    private static void build(JdbcStore s, String... platforms) {
        build(s, false, platforms);
    }

    private static void build(JdbcStore s, boolean untrusted, String... platforms) {
        s.createBuild(NewBuild.builder()
                .repo("r")
                .cloneUrl("u")
                .commit("c")
                .ref("ref")
                .image(ImageReference.parse("img"))
                .spec("{}")
                .tags("[]")
                .push(!untrusted)
                .untrusted(untrusted)
                .jobs(java.util.Arrays.stream(platforms)
                        .map(p -> new NewBuild.NewJob(Platform.parse(p), 60))
                        .toList())
                .build());
    }

    @Test
    void nativeRunnerIsPreferred_qemuRunnerTakesWhatNoNativeOneWaitsFor() throws Exception {
        try (JdbcStore s = db.open();
                Dispatcher d = new Dispatcher(s, Duration.ofSeconds(30))) {
            Dispatcher.Waiter qemu = d.await("qemu", ps(), ps("linux/arm64", "linux/s390x"), false);
            Dispatcher.Waiter arm = d.await("arm64-native", ps("linux/arm64", "linux/arm/v7"), ps(), false);
            assertEquals(2, d.waitingCount(), "both runners wait before the work arrives");
            build(s, "linux/arm64", "linux/s390x");
            d.kick();
            Optional<JobRecord> a = arm.result().get(5, TimeUnit.SECONDS);
            Optional<JobRecord> q = qemu.result().get(5, TimeUnit.SECONDS);
            assertEquals("linux/arm64", a.orElseThrow().platform().shortForm());
            assertEquals("linux/s390x", q.orElseThrow().platform().shortForm());
        }
    }

    @Test
    void theQueueIsReadAFewBuildsAtATime_yetARunnerGetsTheOnlyJobItCanBuildFarBehindTheFirstPage() throws Exception {
        try (JdbcStore s = db.open();
                Dispatcher d = new Dispatcher(s, Duration.ofSeconds(30))) {
            for (int i = 0; i < 3 * Dispatcher.BUILDS_PER_STEP + 5; i++) {
                build(s, "linux/amd64", "linux/arm64");
            }
            build(s, "linux/s390x");
            List<JobRecord> firstPage = s.queuedJobsOfBuilds(0, Dispatcher.BUILDS_PER_STEP);
            assertEquals(2 * Dispatcher.BUILDS_PER_STEP, firstPage.size(), "one page: its builds' jobs, no more");
            long lastOfPage = firstPage.get(firstPage.size() - 1).buildId();
            assertTrue(
                    s.queuedJobsOfBuilds(lastOfPage, Dispatcher.BUILDS_PER_STEP).stream()
                            .allMatch(j -> j.buildId() > lastOfPage),
                    "the next page starts after the last build of this one");
            Dispatcher.Waiter s390x = d.await("s390x", ps("linux/s390x"), ps(), false);
            assertEquals(
                    "linux/s390x",
                    s390x.result()
                            .get(5, TimeUnit.SECONDS)
                            .orElseThrow()
                            .platform()
                            .shortForm());
            Dispatcher.Waiter amd = d.await("amd64", ps("linux/amd64"), ps(), false);
            JobRecord oldest = amd.result().get(5, TimeUnit.SECONDS).orElseThrow();
            assertEquals(firstPage.get(0).buildId(), oldest.buildId(), "the oldest build's job first");
        }
    }

    @Test
    void qemuRunnerTakesTheJobWhenNoNativeRunnerWaits() throws Exception {
        try (JdbcStore s = db.open();
                Dispatcher d = new Dispatcher(s, Duration.ofSeconds(30))) {
            build(s, "linux/arm/v7");
            Dispatcher.Waiter qemu = d.await("qemu", ps(), ps("linux/arm/v7"), false);
            assertEquals(
                    "linux/arm/v7",
                    qemu.result()
                            .get(5, TimeUnit.SECONDS)
                            .orElseThrow()
                            .platform()
                            .shortForm());
        }
    }

    @Test
    void aRunnerNeverGetsAPlatformItCannotBuild_andStopWaitingGivesNothing() throws Exception {
        try (JdbcStore s = db.open();
                Dispatcher d = new Dispatcher(s, Duration.ofSeconds(30))) {
            build(s, "linux/ppc64le");
            Dispatcher.Waiter amd = d.await("amd64", ps("linux/amd64"), ps("linux/arm64"), false);
            d.kick();
            d.stopWaiting(amd);
            assertTrue(amd.result().get(5, TimeUnit.SECONDS).isEmpty());
            assertEquals(1, s.queuedJobs().size(), "the job is still queued");
        }
    }

    @Test
    void aliasesMatch_aarch64RunnerBuildsArm64() throws Exception {
        try (JdbcStore s = db.open();
                Dispatcher d = new Dispatcher(s, Duration.ofSeconds(30))) {
            build(s, "linux/arm64");
            Dispatcher.Waiter w = d.await("r", ps("linux/aarch64"), ps(), false);
            assertEquals(
                    "linux/arm64",
                    w.result().get(5, TimeUnit.SECONDS).orElseThrow().platform().shortForm());
        }
    }

    @Test
    void untrustedJob_waitsForAnUntrustedRunner_evenWithATrustedOneIdle() throws Exception {
        try (JdbcStore s = db.open();
                Dispatcher d = new Dispatcher(s, Duration.ofSeconds(30))) {
            build(s, true, "linux/amd64");
            Dispatcher.Waiter trusted = d.await("trusted", ps("linux/amd64"), ps(), false);
            d.kick();
            assertEquals(1, d.waitingCount(), "the trusted runner still waits: the job is not for it");
            assertFalse(trusted.result().isDone());
            Dispatcher.Waiter untrusted = d.await("untrusted", ps(), ps("linux/amd64"), true);
            JobRecord j = untrusted.result().get(5, TimeUnit.SECONDS).orElseThrow();
            assertTrue(j.untrusted());
            assertEquals("untrusted", j.runnerId());
            d.stopWaiting(trusted);
            assertTrue(trusted.result().get(5, TimeUnit.SECONDS).isEmpty());
        }
    }

    @Test
    void untrustedRunner_neverGetsATrustedJob_evenWhenItIsTheOnlyOneWaiting() throws Exception {
        try (JdbcStore s = db.open();
                Dispatcher d = new Dispatcher(s, Duration.ofSeconds(30))) {
            build(s, false, "linux/amd64");
            Dispatcher.Waiter untrusted = d.await("untrusted", ps("linux/amd64"), ps(), true);
            d.kick();
            assertEquals(1, d.waitingCount());
            assertFalse(untrusted.result().isDone());
            assertEquals(1, s.queuedJobs().size(), "the trusted job is still queued");
            Dispatcher.Waiter trusted = d.await("trusted", ps(), ps("linux/amd64"), false);
            JobRecord j = trusted.result().get(5, TimeUnit.SECONDS).orElseThrow();
            assertFalse(j.untrusted());
            d.stopWaiting(untrusted);
        }
    }

    @Test
    void trustedAndUntrustedJobs_eachGoToTheirOwnRunner_inOneRound() throws Exception {
        try (JdbcStore s = db.open();
                Dispatcher d = new Dispatcher(s, Duration.ofSeconds(30))) {
            Dispatcher.Waiter untrusted = d.await("untrusted", ps("linux/arm64"), ps(), true);
            Dispatcher.Waiter trusted = d.await("trusted", ps("linux/arm64"), ps(), false);
            assertEquals(2, d.waitingCount());
            build(s, true, "linux/arm64");
            build(s, false, "linux/arm64");
            d.kick();
            assertTrue(untrusted.result().get(5, TimeUnit.SECONDS).orElseThrow().untrusted());
            assertFalse(trusted.result().get(5, TimeUnit.SECONDS).orElseThrow().untrusted());
        }
    }

    /** Offers one waiting slot at a time and returns the platforms in the order they were handed out. */
    private static List<String> handedOut(Dispatcher d, int jobs, List<Platform> nat, List<Platform> qemu)
            throws Exception {
        List<String> out = new java.util.ArrayList<>();
        for (int i = 0; i < jobs; i++) {
            Dispatcher.Waiter w = d.await("one-slot", nat, qemu, false);
            assertEquals(0, d.waitingCount(), "a job was there for the slot");
            out.add(w.result().get().orElseThrow().platform().shortForm());
        }
        return out;
    }

    @Test
    void runnerHoldingTheCommit_getsItsJob_amongEquallyFitRunners() throws Exception {
        try (JdbcStore s = db.open();
                Dispatcher d = new Dispatcher(s, Duration.ofSeconds(30))) {
            Dispatcher.Waiter cold = d.await("cold", ps(), ps("linux/arm64"), false, java.util.Set.of("other"));
            Dispatcher.Waiter warm = d.await("warm", ps(), ps("linux/arm64"), false, java.util.Set.of("c"));
            assertEquals(2, d.waitingCount());
            build(s, "linux/arm64");
            d.kick();
            // Asked on the dispatch thread after the kick's round: nothing here waits on a clock.
            assertEquals(1, d.waitingCount(), "one runner got the job");
            assertTrue(warm.result().isDone(), "the runner holding the commit got it");
            assertFalse(cold.result().isDone());
            assertEquals("warm", handedTo(warm));
            d.stopWaiting(cold);
        }
    }

    /** The scope a runner's buildah storage for repository r's img on {@code platform} is named after. */
    private static java.util.Set<String> scopeOf(String platform) {
        return java.util.Set.of(Protocol.cacheScope(
                "r",
                ImageReference.parse("img").toString(),
                Platform.parse(platform).shortForm()));
    }

    /** Who got a job in the round just asked about ({@link Dispatcher#waitingCount}): nothing waits on a clock. */
    private static String handedTo(Dispatcher.Waiter w) {
        assertTrue(w.result().isDone(), "no job for " + w.runnerId);
        return w.result().getNow(Optional.empty()).orElseThrow().runnerId();
    }

    @Test
    void runnerHoldingTheWarmCache_getsItsJob_beforeOnesHoldingOnlyTheCommitOrAnotherPlatformsCache() throws Exception {
        try (JdbcStore s = db.open();
                Dispatcher d = new Dispatcher(s, Duration.ofSeconds(30))) {
            Dispatcher.Waiter cold = d.await("cold", ps(), ps("linux/arm64"), false, java.util.Set.of());
            Dispatcher.Waiter commit = d.await("commit", ps(), ps("linux/arm64"), false, java.util.Set.of("c"));
            Dispatcher.Waiter amd64 =
                    d.await("amd64-cache", ps(), ps("linux/arm64"), false, java.util.Set.of(), scopeOf("linux/amd64"));
            Dispatcher.Waiter warm =
                    d.await("warm", ps(), ps("linux/arm64"), false, java.util.Set.of(), scopeOf("linux/arm64"));
            assertEquals(4, d.waitingCount(), "all four wait before the work arrives");
            build(s, "linux/arm64");
            d.kick();
            assertEquals(3, d.waitingCount(), "one runner got the job");
            assertTrue(warm.result().isDone(), "the runner holding the image's arm64 layers got it");
            assertEquals("warm", handedTo(warm));
            assertFalse(cold.result().isDone());
            assertFalse(commit.result().isDone(), "holding the commit comes after holding the layers");
            assertFalse(amd64.result().isDone(), "another platform's layers of the image are no warm cache for arm64");
            List.of(cold, commit, amd64).forEach(d::stopWaiting);
        }
    }

    @Test
    void withoutAWarmCacheWaiting_theCommitStillCounts_andAnotherPlatformsCacheDoesNot() throws Exception {
        try (JdbcStore s = db.open();
                Dispatcher d = new Dispatcher(s, Duration.ofSeconds(30))) {
            Dispatcher.Waiter amd64 =
                    d.await("amd64-cache", ps(), ps("linux/arm64"), false, java.util.Set.of(), scopeOf("linux/amd64"));
            Dispatcher.Waiter commit = d.await("commit", ps(), ps("linux/arm64"), false, java.util.Set.of("c"));
            assertEquals(2, d.waitingCount());
            build(s, "linux/arm64");
            d.kick();
            assertEquals(1, d.waitingCount(), "one runner got the job");
            assertEquals("commit", handedTo(commit));
            assertFalse(amd64.result().isDone());
            d.stopWaiting(amd64);
        }
    }

    @Test
    void nativeFirst_stillBeatsAWarmCache() throws Exception {
        try (JdbcStore s = db.open();
                Dispatcher d = new Dispatcher(s, Duration.ofSeconds(30))) {
            Dispatcher.Waiter warmQemu =
                    d.await("warm-qemu", ps(), ps("linux/arm64"), false, java.util.Set.of("c"), scopeOf("linux/arm64"));
            Dispatcher.Waiter coldNative = d.await("cold-native", ps("linux/arm64"), ps(), false, java.util.Set.of());
            assertEquals(2, d.waitingCount(), "both runners wait before the work arrives");
            build(s, "linux/arm64");
            d.kick();
            assertEquals(1, d.waitingCount(), "one runner got the job");
            assertEquals("cold-native", handedTo(coldNative));
            assertFalse(warmQemu.result().isDone(), "emulating from a warm cache loses to building natively");
            d.stopWaiting(warmQemu);
        }
    }

    @Test
    void untrustedJob_buildsInAFreshStorage_soAWarmCacheIsNoReasonToPickARunner() throws Exception {
        try (JdbcStore s = db.open();
                Dispatcher d = new Dispatcher(s, Duration.ofSeconds(30))) {
            Dispatcher.Waiter scoped =
                    d.await("scoped", ps("linux/amd64"), ps(), true, java.util.Set.of(), scopeOf("linux/amd64"));
            Dispatcher.Waiter commit = d.await("commit", ps("linux/amd64"), ps(), true, java.util.Set.of("c"));
            Dispatcher.Waiter trusted = d.await(
                    "trusted-warm", ps("linux/amd64"), ps(), false, java.util.Set.of("c"), scopeOf("linux/amd64"));
            assertEquals(3, d.waitingCount());
            build(s, true, "linux/amd64");
            d.kick();
            assertEquals(2, d.waitingCount(), "one runner got the job");
            assertEquals("commit", handedTo(commit));
            assertFalse(scoped.result().isDone());
            assertFalse(trusted.result().isDone(), "trust rules first: never a trusted runner");
            List.of(scoped, trusted).forEach(d::stopWaiting);
        }
    }

    @Test
    void nativeFirst_stillBeatsACachedCommit() throws Exception {
        try (JdbcStore s = db.open();
                Dispatcher d = new Dispatcher(s, Duration.ofSeconds(30))) {
            Dispatcher.Waiter warmQemu = d.await("warm-qemu", ps(), ps("linux/arm64"), false, java.util.Set.of("c"));
            Dispatcher.Waiter coldNative = d.await("cold-native", ps("linux/arm64"), ps(), false, java.util.Set.of());
            assertEquals(2, d.waitingCount(), "both runners wait before the work arrives");
            build(s, "linux/arm64");
            d.kick();
            assertEquals(1, d.waitingCount(), "one runner got the job");
            assertTrue(coldNative.result().isDone(), "the native runner got it, though it holds no commit");
            assertFalse(warmQemu.result().isDone());
            d.stopWaiting(warmQemu);
        }
    }

    @Test
    void withoutHistory_qemuPlatformsStartBeforeNativeOnes() throws Exception {
        try (JdbcStore s = db.open();
                Dispatcher d = new Dispatcher(s, Duration.ofSeconds(30))) {
            build(s, "linux/amd64", "linux/arm64", "linux/s390x");
            assertEquals(
                    List.of("linux/arm64", "linux/s390x", "linux/amd64"),
                    handedOut(d, 3, ps("linux/amd64"), ps("linux/arm64", "linux/s390x")),
                    "amd64, built natively, goes last: it is the quick one");
        }
    }

    /** A clock the test moves. */
    private static final class StepClock extends java.time.Clock {
        private volatile java.time.Instant now = java.time.Instant.parse("2026-11-28T10:00:00Z");

        void advance(long millis) {
            now = now.plusMillis(millis);
        }

        @Override
        public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
        }

        @Override
        public java.time.Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public java.time.Instant instant() {
            return now;
        }
    }

    @Test
    void withHistory_theSlowestPlatformOfTheLastBuildStartsFirst() throws Exception {
        StepClock clock = new StepClock();
        try (JdbcStore s = db.open(clock);
                Dispatcher d = new Dispatcher(s, Duration.ofSeconds(30), clock)) {
            build(s, "linux/amd64", "linux/arm64", "linux/s390x", "linux/ppc64le");
            List<JobRecord> earlier = s.queuedJobs();
            earlier.forEach(j -> s.claimJob(j.id(), "r", clock.instant().plusSeconds(600)));
            // The earlier build: arm64 took 9 s, s390x 4 s, ppc64le 6 s, amd64 1 s (all through QEMU but amd64).
            long[] took = {1000, 9000, 4000, 6000};
            long at = 0;
            java.util.List<Integer> byEnd = List.of(0, 2, 3, 1);
            for (int i : byEnd) {
                clock.advance(took[i] - at);
                at = took[i];
                JobRecord j = earlier.get(i);
                s.completeJob(
                        j.id(), "r", 1, dev.multiarch.store.JobResult.success("sha256:" + "1".repeat(64), "m", 1, 1));
            }
            build(s, "linux/amd64", "linux/arm64", "linux/s390x", "linux/ppc64le");
            assertEquals(
                    List.of("linux/arm64", "linux/ppc64le", "linux/s390x", "linux/amd64"),
                    handedOut(d, 4, ps("linux/amd64"), ps("linux/arm64", "linux/s390x", "linux/ppc64le")));
        }
    }

    @Test
    void anOlderBuildsJobs_goBeforeANewerBuildsSlowOnes() throws Exception {
        try (JdbcStore s = db.open();
                Dispatcher d = new Dispatcher(s, Duration.ofSeconds(30))) {
            build(s, "linux/amd64");
            build(s, "linux/s390x");
            assertEquals(List.of("linux/amd64", "linux/s390x"), handedOut(d, 2, ps("linux/amd64"), ps("linux/s390x")));
        }
    }
}
