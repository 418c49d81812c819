package dev.multiarch.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.platform.Platform;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.testing.TestDatabases;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Rows with a key that several coordinators may be first to write (issue 11): a check report's wanted state, a job's
 * step time. Threads released together on two stores (two coordinators; on H2 one store plays both) write the same
 * key; every write must succeed and leave one row. Before the fix, the loser of "read, none there, insert" failed
 * with {@code duplicate key value violates unique constraint "reports_pkey"} (seen in the fault campaign's logs).
 */
@ParameterizedClass(name = "{0}")
@EnumSource(TestDatabases.Kind.class)
@ExtendWith(TestDatabases.class)
class KeyRacesTest {
    /** Rounds of racing writers: each round a fresh key, so each round has a first insert to fight over. */
    static final int ROUNDS = 40;

    static final int WRITERS = 6;

    @Parameter
    TestDatabases.Kind kind;

    @TempDir
    Path dir;

    TestDatabases.TestDatabase db;
    JdbcStore a;
    JdbcStore b;
    ExecutorService pool;

    @BeforeEach
    void open(TestDatabases databases) {
        db = databases.fresh(kind, dir);
        a = db.open();
        b = kind == TestDatabases.Kind.POSTGRESQL ? db.open() : a;
        pool = Executors.newFixedThreadPool(WRITERS);
    }

    @AfterEach
    void close() {
        pool.shutdownNow();
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
                .ref("refs/heads/main")
                .image(ImageReference.parse("reg/octo/app"))
                .spec("{}")
                .tags("[]")
                .version("main")
                .push(false)
                .jobs(List.of(new NewBuild.NewJob(Platform.parse("linux/amd64"), 600)))
                .build();
    }

    /** Runs {@code WRITERS} writes released at once by a barrier, alternating stores; rethrows the first failure. */
    private void race(IntFunction<Callable<Object>> writer) throws Exception {
        CyclicBarrier go = new CyclicBarrier(WRITERS);
        List<Future<Object>> done = new ArrayList<>();
        for (int i = 0; i < WRITERS; i++) {
            Callable<Object> w = writer.apply(i);
            done.add(pool.submit(() -> {
                go.await();
                return w.call();
            }));
        }
        for (Future<Object> f : done) {
            f.get();
        }
    }

    private JdbcStore store(int writer) {
        return writer % 2 == 0 ? a : b;
    }

    @Test
    void aReportWantedByEveryCoordinatorAtOnce_isStoredOnce_withOneOfTheirBodies() throws Exception {
        for (int round = 0; round < ROUNDS; round++) {
            long id = a.createBuild(build()).id();
            race(i -> () -> {
                store(i).wantReport(id, "multiarch", "{\"writer\":" + i + "}");
                return null;
            });
            List<Store.Report> stored = a.reports(id);
            assertEquals(1, stored.size(), "one row for the key");
            assertTrue(
                    stored.get(0).body().startsWith("{\"writer\":"),
                    stored.get(0).body());
        }
    }

    @Test
    void aStepTimeRecordedByTwoCoordinatorsAtOnce_isKeptOnce() throws Exception {
        for (int round = 0; round < ROUNDS; round++) {
            long build = a.createBuild(build()).id();
            long job = a.jobs(build).get(0).id();
            race(i -> () -> {
                store(i).recordTimings(job, 1, Map.of("verify", 100L + i));
                return null;
            });
            List<Store.StepTime> kept = a.timings(List.of(build));
            assertEquals(1, kept.size(), "one row for the key: " + kept);
            assertEquals("verify", kept.get(0).step());
        }
    }

    @Test
    void aLogStartedByTwoAppendsAtOnce_countsTheBytesOfBoth() throws Exception {
        for (int round = 0; round < ROUNDS; round++) {
            long build = a.createBuild(build()).id();
            long job = a.jobs(build).get(0).id();
            race(i -> () -> {
                store(i).appendLog(job, 1, "x".repeat(10 + i), 1 << 20);
                return null;
            });
            long expected = 0;
            for (int i = 0; i < WRITERS; i++) {
                expected += 10 + i;
            }
            try (java.sql.Connection c = db.connect();
                    java.sql.PreparedStatement p =
                            c.prepareStatement("SELECT bytes FROM job_log_totals WHERE job_id = ? AND attempt = 1")) {
                p.setLong(1, job);
                try (java.sql.ResultSet r = p.executeQuery()) {
                    assertTrue(r.next(), "a totals row");
                    assertEquals(expected, r.getLong(1), "the log's size counts every append");
                }
            }
            assertEquals(WRITERS, a.logs(job, 0, 100).size(), "every chunk kept");
        }
    }

    @Test
    void aTagOwnerSetByEveryCoordinatorAtOnce_isOneOfThem() throws Exception {
        for (int round = 0; round < ROUNDS; round++) {
            String tag = "v" + round;
            long[] builds = new long[WRITERS];
            for (int i = 0; i < WRITERS; i++) {
                builds[i] = a.createBuild(build()).id();
            }
            race(i -> () -> {
                store(i).setTagOwner("reg/octo/app", tag, builds[i], "1." + i);
                return null;
            });
            Store.TagOwner owner = a.tagOwner("reg/octo/app", tag).orElseThrow();
            int winner = java.util.stream.IntStream.range(0, WRITERS)
                    .filter(i -> builds[i] == owner.buildId())
                    .findFirst()
                    .orElseThrow();
            assertEquals("1." + winner, owner.version(), "build and version from the same writer");
        }
    }

    @Test
    void aTagClaimedByEveryCoordinatorAtOnce_goesToOne() throws Exception {
        for (int round = 0; round < ROUNDS; round++) {
            String tag = "c" + round;
            long[] builds = new long[WRITERS];
            for (int i = 0; i < WRITERS; i++) {
                builds[i] = a.createBuild(build()).id();
            }
            List<Object> won = new java.util.concurrent.CopyOnWriteArrayList<>();
            race(i -> () -> {
                if (store(i).claimTag("reg/octo/app", tag, null, builds[i], "1." + i)) {
                    won.add(builds[i]);
                }
                return null;
            });
            assertEquals(1, won.size(), "one claim wins");
            assertEquals(
                    won.get(0), a.tagOwner("reg/octo/app", tag).orElseThrow().buildId());
        }
    }
}
