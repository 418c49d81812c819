package dev.multiarch.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.platform.Platform;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.store.BuildRecord;
import dev.multiarch.store.JdbcStore;
import dev.multiarch.store.JobRecord;
import dev.multiarch.store.JobState;
import dev.multiarch.store.NewBuild;
import dev.multiarch.testing.TestDatabases;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Two coordinators' stores on one PostgreSQL database: wake-ups across them, and claims that never collide. */
@ExtendWith(TestDatabases.class)
class SharedStoreTest {
    @TempDir
    Path dir;

    TestDatabases.TestDatabase db;

    @BeforeEach
    void database(TestDatabases databases) {
        db = databases.fresh(TestDatabases.Kind.POSTGRESQL, dir);
    }

    private static NewBuild build(String... platforms) {
        List<NewBuild.NewJob> jobs = new ArrayList<>();
        for (String p : platforms) {
            jobs.add(new NewBuild.NewJob(Platform.parse(p), 600));
        }
        return NewBuild.builder()
                .repo("octo/app")
                .cloneUrl("https://github.example/octo/app.git")
                .commit("a".repeat(40))
                .ref("refs/heads/main")
                .image(ImageReference.parse("reg/octo/app"))
                .spec("{}")
                .tags("[]")
                .jobs(jobs)
                .build();
    }

    @Test
    void jobQueuedThroughCoordinatorB_reachesARunnerLongPollingCoordinatorA_atOnce() throws Exception {
        try (JdbcStore a = db.open();
                JdbcStore b = db.open();
                Dispatcher dispatcherA = new Dispatcher(a, Duration.ofSeconds(30))) {
            // A's listening connection calls its listeners once when it is up: wait for that, so that the wake-up
            // below can only be B's NOTIFY.
            CountDownLatch listening = new CountDownLatch(1);
            a.onJobsQueued(listening::countDown);
            assertTrue(listening.await(10, TimeUnit.SECONDS), "A listens");
            a.onJobsQueued(dispatcherA::kick);
            Dispatcher.Waiter waiter =
                    dispatcherA.await("runner-on-a", List.of(Platform.parse("linux/arm64")), List.of(), false);
            long t0 = System.nanoTime();
            BuildRecord queued = b.createBuild(build("linux/arm64"));
            Optional<JobRecord> job = waiter.result().get(10, TimeUnit.SECONDS);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(queued.id(), job.orElseThrow().buildId());
            assertEquals("runner-on-a", job.get().runnerId());
            assertTrue(ms < 2_000, "woken through NOTIFY in " + ms + " ms, not by the next poll");
        }
    }

    @Test
    void twoStoresClaimingTheSameJobsAtOnce_claimEachJobExactlyOnce() throws Exception {
        try (JdbcStore a = db.open();
                JdbcStore b = db.open()) {
            for (int i = 0; i < 10; i++) {
                a.createBuild(build("linux/amd64", "linux/arm64", "linux/arm/v7", "linux/ppc64le", "linux/s390x"));
            }
            List<Long> ids = a.queuedJobs().stream().map(JobRecord::id).toList();
            assertEquals(50, ids.size());
            Map<Long, String> claims = new ConcurrentHashMap<>();
            List<String> doubles = Collections.synchronizedList(new ArrayList<>());
            ExecutorService pool = Executors.newFixedThreadPool(8);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> runs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                JdbcStore s = t % 2 == 0 ? a : b;
                String runner = (t % 2 == 0 ? "a-" : "b-") + t;
                List<Long> order = new ArrayList<>(ids);
                Collections.shuffle(order, new java.util.Random(t));
                runs.add(pool.submit(() -> {
                    go.await();
                    for (long id : order) {
                        s.claimJob(id, runner, Instant.now().plusSeconds(60)).ifPresent(j -> {
                            String before = claims.putIfAbsent(j.id(), runner);
                            if (before != null) {
                                doubles.add(j.id() + ": " + before + " and " + runner);
                            }
                        });
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : runs) {
                f.get(60, TimeUnit.SECONDS);
            }
            pool.shutdown();
            assertEquals(List.of(), doubles);
            assertEquals(50, claims.size(), "every job claimed");
            for (long id : ids) {
                JobRecord j = b.job(id).orElseThrow();
                assertEquals(JobState.RUNNING, j.state());
                assertEquals(1, j.attempt(), "claimed once: attempt 1");
                assertEquals(claims.get(id), j.runnerId());
            }
            assertTrue(
                    claims.values().stream().anyMatch(r -> r.startsWith("a-"))
                            && claims.values().stream().anyMatch(r -> r.startsWith("b-")),
                    "both coordinators claimed some: " + claims.values());
        }
    }
}
