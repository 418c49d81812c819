package dev.multiarch.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.multiarch.platform.Platform;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.store.BuildRecord;
import dev.multiarch.store.JdbcStore;
import dev.multiarch.store.JobRecord;
import dev.multiarch.store.JobResult;
import dev.multiarch.store.NewBuild;
import dev.multiarch.testing.TestClock;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The order of a build's platforms from the times of the image's last build, read at most once a second. */
class CriticalPathTest {
    @TempDir
    Path dir;

    private static long build(JdbcStore s) {
        return s.createBuild(NewBuild.builder()
                        .repo("r")
                        .cloneUrl("u")
                        .commit("c")
                        .ref("ref")
                        .image(ImageReference.parse("img"))
                        .spec("{}")
                        .tags("[]")
                        .push(true)
                        .jobs(List.of(
                                new NewBuild.NewJob(Platform.parse("linux/amd64"), 60),
                                new NewBuild.NewJob(Platform.parse("linux/arm64"), 60)))
                        .build())
                .id();
    }

    private static List<String> order(CriticalPath path, JdbcStore s, long buildId) {
        Map<Long, BuildRecord> builds = new HashMap<>();
        s.buildsById(List.of(buildId)).forEach(b -> builds.put(b.id(), b));
        return path.order(s.jobs(buildId), builds, Set.of("linux/amd64")).stream()
                .map(j -> j.platform().toString())
                .toList();
    }

    @Test
    void aBuildQueuedWhileItsPredecessorRan_getsThatOnesTimes_withinASecondOfItsEnd() {
        TestClock clock = new TestClock(Instant.parse("2026-11-28T10:00:00Z"));
        AtomicLong nanos = new AtomicLong();
        try (JdbcStore s = JdbcStore.embedded(dir, clock)) {
            long earlier = build(s);
            List<JobRecord> running = s.jobs(earlier);
            running.forEach(j -> s.claimJob(j.id(), "r", clock.instant().plusSeconds(600)));
            long queued = build(s);
            CriticalPath path = new CriticalPath(s, nanos::get);
            assertEquals(
                    List.of("linux/arm64", "linux/amd64"),
                    order(path, s, queued),
                    "no finished build of the image: the platform no runner builds natively first");

            // The earlier build ends: arm64 took 1 s, amd64 9 s.
            clock.pass(java.time.Duration.ofMillis(1000));
            JobRecord arm = running.stream()
                    .filter(j -> j.platform().toString().equals("linux/arm64"))
                    .findFirst()
                    .orElseThrow();
            JobRecord amd = running.stream()
                    .filter(j -> j.platform().toString().equals("linux/amd64"))
                    .findFirst()
                    .orElseThrow();
            s.completeJob(arm.id(), "r", 1, JobResult.success("sha256:" + "1".repeat(64), "m", 1, 1));
            clock.pass(java.time.Duration.ofMillis(8000));
            s.completeJob(amd.id(), "r", 1, JobResult.success("sha256:" + "2".repeat(64), "m", 1, 1));

            nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(500));
            assertEquals(
                    List.of("linux/arm64", "linux/amd64"),
                    order(path, s, queued),
                    "within a second the newest builds are not read again");
            nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(500));
            assertEquals(
                    List.of("linux/amd64", "linux/arm64"),
                    order(path, s, queued),
                    "a second later the earlier build's times order it: its slowest platform first");
        }
    }
}
