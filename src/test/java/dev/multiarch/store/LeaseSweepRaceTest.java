package dev.multiarch.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.multiarch.platform.Platform;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.testing.Poll;
import dev.multiarch.testing.TestDatabases;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two coordinators sweep expired leases at once on one PostgreSQL: the second read the same expired job as the first,
 * then waited for the build's lock while the first queued the job again and a runner claimed it (attempt 2, a live
 * lease). The second sweep must leave that job alone, not queue it (or fail it) a second time.
 */
@ExtendWith(TestDatabases.class)
class LeaseSweepRaceTest {
    @TempDir
    Path dir;

    @Test
    void aSweepThatReadAJobBeforeAnotherRequeuedIt_leavesItsNewAttemptAlone(TestDatabases databases) throws Exception {
        TestDatabases.TestDatabase db = databases.fresh(TestDatabases.Kind.POSTGRESQL, dir);
        try (JdbcStore a = db.open();
                JdbcStore b = db.open();
                Connection side = db.connect()) {
            BuildRecord build = a.createBuild(NewBuild.builder()
                    .repo("acme/app")
                    .cloneUrl("file:///repo.git")
                    .commit("a".repeat(40))
                    .ref("refs/tags/v1.0.0")
                    .image(ImageReference.parse("reg/acme/app"))
                    .spec("{}")
                    .tags("[]")
                    .version("1.0.0")
                    .push(true)
                    .jobs(List.of(new NewBuild.NewJob(Platform.parse("linux/amd64"), 600)))
                    .build());
            long job = a.jobs(build.id()).get(0).id();
            a.claimJob(job, "r1", Instant.now().minusSeconds(1)).orElseThrow(); // its lease ran out
            // Coordinator A's sweep, played by hand: it holds the build's lock while it queues the job again and a
            // runner claims it.
            side.setAutoCommit(false);
            try (PreparedStatement p = side.prepareStatement("SELECT id FROM builds WHERE id = ? FOR UPDATE")) {
                p.setLong(1, build.id());
                p.executeQuery().close();
            }
            // Coordinator B's sweep reads the expired job, then waits for the build's lock.
            CompletableFuture<List<JobRecord>> swept =
                    CompletableFuture.supplyAsync(() -> b.expireLeases(Instant.now(), 3));
            Poll.until(() -> waitsForALock(db), "B's sweep waits for the build's lock");
            try (PreparedStatement p = side.prepareStatement(
                    "UPDATE jobs SET state = 'RUNNING', runner_id = 'r2', attempt = 2, lease_expires = ? WHERE id = ?")) {
                p.setObject(1, java.time.OffsetDateTime.now().plusMinutes(10));
                p.setLong(2, job);
                p.executeUpdate();
            }
            side.commit();
            assertEquals(List.of(), swept.get(), "B's sweep touched nothing");
            JobRecord j = a.job(job).orElseThrow();
            assertEquals(JobState.RUNNING, j.state());
            assertEquals(2, j.attempt());
            assertEquals("r2", j.runnerId());
        }
    }

    private static boolean waitsForALock(TestDatabases.TestDatabase db) {
        try (Connection c = db.connect();
                ResultSet r = c.createStatement()
                        .executeQuery("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")) {
            r.next();
            return r.getInt(1) > 0;
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
