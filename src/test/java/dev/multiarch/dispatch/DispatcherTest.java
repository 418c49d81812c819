package dev.multiarch.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.platform.Platform;
import dev.multiarch.store.JdbcStore;
import dev.multiarch.store.JobRecord;
import dev.multiarch.store.NewBuild;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DispatcherTest {
    @TempDir
    Path dir;

    private static List<Platform> ps(String... s) {
        return java.util.Arrays.stream(s).map(Platform::parse).toList();
    }

    private static void build(JdbcStore s, String... platforms) {
        s.createBuild(new NewBuild(
                "r",
                "u",
                "c",
                "ref",
                "img",
                "{}",
                "[]",
                null,
                true,
                null,
                java.util.Arrays.stream(platforms)
                        .map(p -> new NewBuild.NewJob(p, 60))
                        .toList(),
                null));
    }

    @Test
    void nativeRunnerIsPreferred_qemuRunnerTakesWhatNoNativeOneWaitsFor() throws Exception {
        try (JdbcStore s = JdbcStore.embedded(dir);
                Dispatcher d = new Dispatcher(s, Duration.ofSeconds(30))) {
            Dispatcher.Waiter qemu = d.await("qemu", ps(), ps("linux/arm64", "linux/s390x"));
            Dispatcher.Waiter arm = d.await("arm64-native", ps("linux/arm64", "linux/arm/v7"), ps());
            assertEquals(2, d.waitingCount(), "both runners wait before the work arrives");
            build(s, "linux/arm64", "linux/s390x");
            d.kick();
            Optional<JobRecord> a = arm.result().get(5, TimeUnit.SECONDS);
            Optional<JobRecord> q = qemu.result().get(5, TimeUnit.SECONDS);
            assertEquals("linux/arm64", a.orElseThrow().platform());
            assertEquals("linux/s390x", q.orElseThrow().platform());
        }
    }

    @Test
    void qemuRunnerTakesTheJobWhenNoNativeRunnerWaits() throws Exception {
        try (JdbcStore s = JdbcStore.embedded(dir);
                Dispatcher d = new Dispatcher(s, Duration.ofSeconds(30))) {
            build(s, "linux/arm/v7");
            Dispatcher.Waiter qemu = d.await("qemu", ps(), ps("linux/arm/v7"));
            assertEquals(
                    "linux/arm/v7",
                    qemu.result().get(5, TimeUnit.SECONDS).orElseThrow().platform());
        }
    }

    @Test
    void aRunnerNeverGetsAPlatformItCannotBuild_andStopWaitingGivesNothing() throws Exception {
        try (JdbcStore s = JdbcStore.embedded(dir);
                Dispatcher d = new Dispatcher(s, Duration.ofSeconds(30))) {
            build(s, "linux/ppc64le");
            Dispatcher.Waiter amd = d.await("amd64", ps("linux/amd64"), ps("linux/arm64"));
            d.kick();
            d.stopWaiting(amd);
            assertTrue(amd.result().get(5, TimeUnit.SECONDS).isEmpty());
            assertEquals(1, s.queuedJobs().size(), "the job is still queued");
        }
    }

    @Test
    void aliasesMatch_aarch64RunnerBuildsArm64() throws Exception {
        try (JdbcStore s = JdbcStore.embedded(dir);
                Dispatcher d = new Dispatcher(s, Duration.ofSeconds(30))) {
            build(s, "linux/arm64");
            Dispatcher.Waiter w = d.await("r", ps("linux/aarch64"), ps());
            assertEquals(
                    "linux/arm64",
                    w.result().get(5, TimeUnit.SECONDS).orElseThrow().platform());
        }
    }
}
