package dev.multiarch.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.platform.Platform;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.testing.TestDatabases;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
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

/** The store's contract, on H2 and on PostgreSQL: every test runs on both. */
@ParameterizedClass(name = "{0}")
@EnumSource(TestDatabases.Kind.class)
@ExtendWith(TestDatabases.class)
class JdbcStoreTest {
    @Parameter
    TestDatabases.Kind kind;

    @TempDir
    Path dir;

    TestDatabases.TestDatabase db;

    @BeforeEach
    void database(TestDatabases databases) {
        db = databases.fresh(kind, dir);
    }

    private static NewBuild twoPlatforms() {
        return NewBuild.builder()
                .repo("acme/app")
                .cloneUrl("file:///repo.git")
                .commit("a".repeat(40))
                .ref("refs/tags/v1.0.0")
                .image(ImageReference.parse("reg/acme/app"))
                .spec("{}")
                .tags("[]")
                .version("1.0.0")
                .push(true)
                .jobs(List.of(
                        new NewBuild.NewJob(Platform.parse("linux/amd64"), 600),
                        new NewBuild.NewJob(Platform.parse("linux/arm64"), 600)))
                .build();
    }

    private static Instant later() {
        return Instant.now().plusSeconds(60);
    }

    @Test
    void build_claimComplete_lastPlatformMovesBuildToVerifyingOnce() {
        try (JdbcStore s = db.open()) {
            BuildRecord b = s.createBuild(twoPlatforms());
            assertEquals(BuildState.QUEUED, b.state());
            List<JobRecord> jobs = s.jobs(b.id());
            JobRecord j1 = s.claimJob(jobs.get(0).id(), "r1", later()).orElseThrow();
            assertEquals(1, j1.attempt());
            assertTrue(s.claimJob(jobs.get(0).id(), "r2", later()).isEmpty(), "a claimed job cannot be claimed again");
            assertEquals(BuildState.RUNNING, s.build(b.id()).orElseThrow().state());
            JobRecord j2 = s.claimJob(jobs.get(1).id(), "r2", later()).orElseThrow();
            assertEquals(
                    Store.Completion.RECORDED,
                    s.completeJob(j1.id(), "r1", 1, JobResult.success("sha256:" + "1".repeat(64), "m", 10, 1)));
            assertEquals(
                    Store.Completion.STALE,
                    s.completeJob(j2.id(), "r1", 1, JobResult.success("sha256:" + "2".repeat(64), "m", 10, 1)),
                    "not r1's job");
            assertEquals(
                    Store.Completion.BUILD_READY,
                    s.completeJob(j2.id(), "r2", 1, JobResult.success("sha256:" + "2".repeat(64), "m", 10, 1)));
            assertEquals(BuildState.VERIFYING, s.build(b.id()).orElseThrow().state());
        }
    }

    @Test
    void concurrentCompletions_exactlyOneFansIn() throws Exception {
        try (JdbcStore s = db.open()) {
            for (int round = 0; round < 20; round++) {
                List<NewBuild.NewJob> jobs = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    jobs.add(new NewBuild.NewJob(Platform.parse("linux/p" + i), 600));
                }
                BuildRecord b = s.createBuild(NewBuild.builder()
                        .repo("r")
                        .cloneUrl("u")
                        .commit("c")
                        .ref("ref")
                        .image(ImageReference.parse("img"))
                        .spec("{}")
                        .tags("[]")
                        .push(true)
                        .jobs(jobs)
                        .build());
                List<JobRecord> claimed = new ArrayList<>();
                for (JobRecord j : s.jobs(b.id())) {
                    claimed.add(s.claimJob(j.id(), "runner-" + j.id(), later()).orElseThrow());
                }
                ExecutorService pool = Executors.newFixedThreadPool(5);
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Store.Completion>> results = new ArrayList<>();
                for (JobRecord j : claimed) {
                    results.add(pool.submit(() -> {
                        go.await();
                        return s.completeJob(
                                j.id(),
                                "runner-" + j.id(),
                                1,
                                JobResult.success("sha256:" + "3".repeat(64), "m", 1, 1));
                    }));
                }
                go.countDown();
                int ready = 0;
                for (Future<Store.Completion> f : results) {
                    if (f.get() == Store.Completion.BUILD_READY) {
                        ready++;
                    }
                }
                pool.shutdown();
                assertEquals(1, ready, "round " + round);
            }
        }
    }

    @Test
    void expiredLease_requeuesThenGivesUpAfterMaxAttempts() {
        try (JdbcStore s = db.open()) {
            BuildRecord b = s.createBuild(twoPlatforms());
            long jobId = s.jobs(b.id()).get(0).id();
            Instant past = Instant.now().minusSeconds(1);
            s.claimJob(jobId, "r1", past).orElseThrow();
            List<JobRecord> touched = s.expireLeases(Instant.now(), 2);
            assertEquals(1, touched.size());
            assertEquals(JobState.QUEUED, touched.get(0).state());
            assertTrue(
                    touched.get(0).error().contains("runner r1 stopped reporting"),
                    touched.get(0).error());
            assertFalse(s.heartbeat(jobId, "r1", 1, later()), "the old lease is gone");
            JobRecord again = s.claimJob(jobId, "r2", past).orElseThrow();
            assertEquals(2, again.attempt());
            s.expireLeases(Instant.now(), 2);
            JobRecord failed = s.job(jobId).orElseThrow();
            assertEquals(JobState.FAILED, failed.state());
            assertTrue(failed.error().contains("gave up after 2 attempts"), failed.error());
            BuildRecord fb = s.build(b.id()).orElseThrow();
            assertEquals(BuildState.FAILED, fb.state());
            assertEquals(JobState.CANCELLED, s.jobs(b.id()).get(1).state());
        }
    }

    @Test
    void failedPlatform_failsBuildAndCancelsTheRest() {
        try (JdbcStore s = db.open()) {
            BuildRecord b = s.createBuild(twoPlatforms());
            JobRecord j = s.claimJob(s.jobs(b.id()).get(1).id(), "r", later()).orElseThrow();
            assertEquals(Store.Completion.BUILD_FAILED, s.completeJob(j.id(), "r", 1, JobResult.failure("exit 1")));
            BuildRecord fb = s.build(b.id()).orElseThrow();
            assertEquals(BuildState.FAILED, fb.state());
            assertEquals("linux/arm64: exit 1", fb.error());
            assertEquals(JobState.CANCELLED, s.jobs(b.id()).get(0).state());
        }
    }

    @Test
    void state_survivesReopening_andLogsKeepOrder() {
        long id;
        long jobId;
        try (JdbcStore s = db.open()) {
            id = s.createBuild(twoPlatforms()).id();
            jobId = s.jobs(id).get(0).id();
            s.claimJob(jobId, "r1", later()).orElseThrow();
            s.appendLog(jobId, 1, "step 1\n", 1 << 20);
            s.appendLog(jobId, 1, "step 2\n", 1 << 20);
            s.setTagOwner("reg/acme/app", "latest", id, "1.0.0");
        }
        try (JdbcStore s = db.open()) {
            assertEquals(BuildState.RUNNING, s.build(id).orElseThrow().state());
            assertTrue(s.heartbeat(jobId, "r1", 1, later()));
            List<LogChunk> logs = s.logs(jobId, 0, 100);
            assertEquals(
                    List.of("step 1\n", "step 2\n"),
                    logs.stream().map(LogChunk::text).toList());
            assertEquals(1, s.logs(jobId, logs.get(0).seq(), 100).size());
            assertEquals(1, s.logs(jobId, 0, 1).size(), "at most maxChunks");
            assertEquals(
                    "1.0.0", s.tagOwner("reg/acme/app", "latest").orElseThrow().version());
            s.setTagOwner("reg/acme/app", "latest", id, "2.0.0");
            assertEquals(
                    "2.0.0", s.tagOwner("reg/acme/app", "latest").orElseThrow().version());
        }
    }

    @Test
    void log_overItsLimit_keepsTheTail_andMarksTheCut() {
        try (JdbcStore s = db.open()) {
            long jobId = s.jobs(s.createBuild(twoPlatforms()).id()).get(0).id();
            s.claimJob(jobId, "r1", later()).orElseThrow();
            for (int i = 0; i < 100; i++) {
                s.appendLog(jobId, 1, String.format("line %03d %s\n", i, "x".repeat(90)), 1000);
            }
            List<LogChunk> logs = s.logs(jobId, 0, 1000);
            assertTrue(logs.get(0).marker());
            assertEquals(
                    "[multiarch: 9000 bytes of this log were cut here to stay under the limit]\n",
                    logs.get(0).text());
            List<String> kept =
                    logs.subList(1, logs.size()).stream().map(LogChunk::text).toList();
            assertEquals(10, kept.size(), "10 chunks of 100 bytes fit in 1000");
            assertTrue(kept.get(9).startsWith("line 099 "), "the tail is kept");
            assertTrue(kept.get(0).startsWith("line 090 "));

            // One chunk larger than the limit keeps its end, cut at a character boundary.
            s.appendLog(jobId, 1, "é".repeat(800) + "END\n", 1000);
            List<LogChunk> after = s.logs(jobId, 0, 1000);
            String last = after.get(after.size() - 1).text();
            assertTrue(last.endsWith("END\n"));
            assertTrue(last.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= 1000);
            assertTrue(last.startsWith("é"), "no broken character at the cut");
        }
    }

    @Test
    void logTail_readsOnlyTheNewestChunks_andSaysWhatIsLeftOut() {
        try (JdbcStore s = db.open()) {
            long jobId = s.jobs(s.createBuild(twoPlatforms()).id()).get(0).id();
            s.claimJob(jobId, "r1", later()).orElseThrow();
            for (int i = 0; i < 10; i++) {
                s.appendLog(jobId, 1, "chunk " + i + " " + "y".repeat(91) + "\n", 1 << 20);
            }
            List<LogChunk> tail = s.logTail(jobId, 250);
            assertEquals(
                    "[multiarch: showing the last 200 bytes; 800 earlier bytes are in the full log]\n",
                    tail.get(0).text());
            assertEquals(3, tail.size());
            assertTrue(tail.get(2).text().startsWith("chunk 9 "));
            assertEquals(
                    List.of(),
                    s.logTail(s.jobs(s.createBuild(twoPlatforms()).id()).get(0).id(), 250));
        }
    }

    @Test
    void invalidConfigBuild_isRecordedAsFailedWithoutJobs() {
        try (JdbcStore s = db.open()) {
            BuildRecord b = s.createBuild(NewBuild.builder()
                    .repo("r")
                    .cloneUrl("u")
                    .commit("c")
                    .ref("ref")
                    .push(true)
                    .failedWith(".multiarch.yaml:3: platforms[0]: bad")
                    .build());
            assertEquals(BuildState.FAILED, b.state());
            assertTrue(s.jobs(b.id()).isEmpty());
        }
    }

    @Test
    void jobsOfBuilds_returnsEachBuildsJobsInOneList_andNoneForNoIds() {
        try (JdbcStore s = db.open()) {
            BuildRecord first = s.createBuild(twoPlatforms());
            BuildRecord other = s.createBuild(twoPlatforms());
            BuildRecord third = s.createBuild(twoPlatforms());
            List<JobRecord> jobs = s.jobsOfBuilds(List.of(third.id(), first.id()));
            assertEquals(
                    List.of(
                            first.id() + " linux/amd64",
                            first.id() + " linux/arm64",
                            third.id() + " linux/amd64",
                            third.id() + " linux/arm64"),
                    jobs.stream().map(j -> j.buildId() + " " + j.platform()).toList(),
                    "by build, then in planned order; build " + other.id() + " left out");
            assertEquals(s.jobs(first.id()), jobs.subList(0, 2), "the same rows as one build's query");
            assertTrue(s.jobsOfBuilds(List.of()).isEmpty());
            assertTrue(s.jobsOfBuilds(List.of(9_999L)).isEmpty(), "an unknown build has no jobs");
        }
    }

    @Test
    void untrustedBuild_andUntrustedRunner_roundTrip_jobsInheritTheirBuildsTrust() {
        try (JdbcStore s = db.open()) {
            NewBuild t = twoPlatforms();
            BuildRecord untrusted = s.createBuild(NewBuild.builder()
                    .repo(t.repo())
                    .cloneUrl(t.cloneUrl())
                    .commit(t.commit())
                    .ref("refs/pull/9/head")
                    .image(t.image())
                    .spec(t.spec())
                    .tags(t.tags())
                    .untrusted(true)
                    .jobs(t.jobs())
                    .build());
            BuildRecord trusted = s.createBuild(t);
            assertTrue(s.build(untrusted.id()).orElseThrow().untrusted());
            assertFalse(s.build(trusted.id()).orElseThrow().untrusted());
            assertTrue(s.jobs(untrusted.id()).stream().allMatch(JobRecord::untrusted));
            assertTrue(s.jobs(trusted.id()).stream().noneMatch(JobRecord::untrusted));
            assertEquals(
                    List.of(true, true, false, false),
                    s.queuedJobs().stream().map(JobRecord::untrusted).toList());

            Instant now = Instant.now();
            s.addRunner(new RunnerRecord(
                    "r-1", "forks", "hash-1", List.of(Platform.parse("linux/amd64")), List.of(), now, now, true));
            s.addRunner(new RunnerRecord(
                    "r-2", "main", "hash-2", List.of(Platform.parse("linux/amd64")), List.of(), now, now, false));
            assertTrue(s.runnerByTokenHash("hash-1").orElseThrow().untrustedJobs());
            assertFalse(s.runnerByTokenHash("hash-2").orElseThrow().untrustedJobs());
        }
    }

    private static NewBuild fromGitHub(String repo, String sha, int pr, String delivery) {
        NewBuild t = twoPlatforms();
        return NewBuild.builder()
                .repo(repo)
                .cloneUrl(t.cloneUrl())
                .commit(sha)
                .ref(pr > 0 ? "refs/pull/" + pr + "/head" : "refs/heads/main")
                .image(t.image())
                .spec(t.spec())
                .tags(t.tags())
                .trigger("{\"repo\":\"" + repo + "\",\"sha\":\"" + sha + "\",\"installation\":0,\"pr\":" + pr
                        + ",\"workflow\":\"w\",\"fork\":false,\"delivery\":\"" + delivery + "\"}")
                .jobs(t.jobs())
                .build();
    }

    @Test
    void githubOrigin_findsBuildsByDeliveryCommitAndPullRequest() {
        try (JdbcStore s = db.open()) {
            BuildRecord first = s.createBuild(fromGitHub("octo/app", "a".repeat(40), 7, "d-1"));
            BuildRecord second = s.createBuild(fromGitHub("octo/app", "a".repeat(40), 7, "d-1"));
            BuildRecord rerun = s.createBuild(fromGitHub("octo/app", "a".repeat(40), 7, "d-2"));
            BuildRecord otherRepo = s.createBuild(fromGitHub("octo/lib", "a".repeat(40), 7, "d-3"));
            s.createBuild(twoPlatforms());

            assertEquals(
                    List.of(first.id(), second.id()),
                    s.buildsOfDelivery("d-1").stream().map(BuildRecord::id).toList());
            assertTrue(s.buildsOfDelivery("d-404").isEmpty());
            assertEquals(
                    rerun.id(),
                    s.latestBuildOfCommit("octo/app", "a".repeat(40))
                            .orElseThrow()
                            .id(),
                    "the newest build of the commit");
            assertEquals(
                    otherRepo.id(),
                    s.latestBuildOfCommit("octo/lib", "a".repeat(40))
                            .orElseThrow()
                            .id());
            assertTrue(s.latestBuildOfCommit("octo/app", "b".repeat(40)).isEmpty());

            assertTrue(s.cancelBuild(second.id(), "test"));
            assertEquals(
                    List.of(first.id(), rerun.id()),
                    s.buildsOfPullRequest("octo/app", 7, BuildState.QUEUED, BuildState.RUNNING).stream()
                            .map(BuildRecord::id)
                            .toList(),
                    "the cancelled build and the other repository's are left out");
            assertTrue(s.buildsOfPullRequest("octo/app", 8, BuildState.QUEUED).isEmpty());
        }
    }

    @Test
    void triggerWithoutGitHubOrigin_hasNoOriginKeys() {
        try (JdbcStore s = db.open()) {
            NewBuild t = twoPlatforms();
            s.createBuild(NewBuild.builder()
                    .repo(t.repo())
                    .cloneUrl(t.cloneUrl())
                    .commit(t.commit())
                    .ref(t.ref())
                    .image(t.image())
                    .spec(t.spec())
                    .tags(t.tags())
                    .version(t.version())
                    .push(t.push())
                    .trigger("not json {")
                    .jobs(t.jobs())
                    .build());
            s.createBuild(t);
            assertTrue(s.latestBuildOfCommit(t.repo(), t.commit()).isEmpty());
        }
    }

    @Test
    void queuingJobs_wakesSubscribers_andAFailedBuildDoesNot() throws Exception {
        try (JdbcStore s = db.open()) {
            java.util.concurrent.atomic.AtomicInteger wakes = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.CountDownLatch woken = new java.util.concurrent.CountDownLatch(1);
            Store.Subscription sub = s.onJobsQueued(() -> {
                wakes.incrementAndGet();
                woken.countDown();
            });
            s.createBuild(twoPlatforms());
            assertTrue(woken.await(10, java.util.concurrent.TimeUnit.SECONDS), "woken on " + kind);
            sub.close();
            int before = wakes.get();
            s.createBuild(twoPlatforms());
            if (kind == TestDatabases.Kind.H2) {
                assertEquals(before, wakes.get(), "unsubscribed");
            }
        }
    }

    @Test
    void privateBuild_roundTrips_othersArePublic() {
        try (JdbcStore s = db.open()) {
            NewBuild t = twoPlatforms();
            BuildRecord hidden = s.createBuild(NewBuild.builder()
                    .repo(t.repo())
                    .cloneUrl(t.cloneUrl())
                    .commit(t.commit())
                    .ref(t.ref())
                    .image(t.image())
                    .spec(t.spec())
                    .tags(t.tags())
                    .version(t.version())
                    .push(t.push())
                    .privateRepo(true)
                    .jobs(t.jobs())
                    .build());
            BuildRecord shown = s.createBuild(t);
            assertTrue(s.build(hidden.id()).orElseThrow().privateRepo());
            assertFalse(s.build(shown.id()).orElseThrow().privateRepo());
            assertEquals(
                    List.of(false, true),
                    s.recentBuilds(10).stream().map(BuildRecord::privateRepo).toList());
        }
    }

    /** A clock the test moves. */
    private static final class StepClock extends java.time.Clock {
        private volatile Instant now = Instant.parse("2026-11-28T10:00:00Z");

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
        public Instant instant() {
            return now;
        }
    }

    @Test
    void timings_queueWaitAtEachClaim_thenTheStepsInOrder_perAttempt() {
        StepClock clock = new StepClock();
        try (JdbcStore s = db.open(clock)) {
            BuildRecord b = s.createBuild(twoPlatforms());
            long jobId = s.jobs(b.id()).get(0).id();
            clock.advance(1500);
            s.claimJob(jobId, "r1", clock.instant().plusSeconds(30)).orElseThrow();
            s.recordTimings(jobId, 1, new java.util.LinkedHashMap<>(java.util.Map.of("fetch", 20L)));
            s.recordTimings(jobId, 1, java.util.Map.of("queue", 99L));
            clock.advance(40_000);
            s.expireLeases(clock.instant(), 3);
            clock.advance(250);
            s.claimJob(jobId, "r2", clock.instant().plusSeconds(30)).orElseThrow();
            java.util.LinkedHashMap<String, Long> steps = new java.util.LinkedHashMap<>();
            steps.put("build", 1000L);
            steps.put("push", 300L);
            s.recordTimings(jobId, 2, steps);
            s.recordTimings(jobId, 2, java.util.Map.of("verify", 40L));

            assertEquals(
                    List.of(
                            new Store.StepTime(jobId, 1, "queue", 1500),
                            new Store.StepTime(jobId, 1, "fetch", 20),
                            new Store.StepTime(jobId, 2, "queue", 250),
                            new Store.StepTime(jobId, 2, "build", 1000),
                            new Store.StepTime(jobId, 2, "push", 300),
                            new Store.StepTime(jobId, 2, "verify", 40)),
                    s.timings(List.of(b.id())),
                    "queue waits from the build's creation, then from the lost lease; a step recorded twice keeps "
                            + "its first time");
            assertEquals(List.of(), s.timings(List.of()));
        }
    }
}
