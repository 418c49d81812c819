package dev.multiarch.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.testing.CoordinatorApi;
import dev.multiarch.testing.GitRepo;
import dev.multiarch.testing.JavaProcess;
import dev.multiarch.testing.PipelineRig;
import dev.multiarch.testing.RegistryServer;
import dev.multiarch.testing.Skopeo;
import dev.multiarch.testing.TestImages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Crashes in the middle of a build: a runner killed mid-job, the coordinator killed and restarted mid-build. */
class FailoverIT {
    private static final Duration DEADLINE = Duration.ofMinutes(5);

    @TempDir
    Path dir;

    private RegistryServer registry;
    private PipelineRig rig;
    private CoordinatorApi api;

    @BeforeEach
    void start() {
        registry = RegistryServer.start();
        rig = new PipelineRig(dir, registry, 3);
        rig.startCoordinator();
        api = rig.api();
    }

    @AfterEach
    void stop() {
        rig.close();
        registry.close();
    }

    /** A build whose one amd64 job takes a few seconds (a RUN sleep), long enough to crash something during it. */
    private long slowBuild(String name) throws IOException {
        GitRepo repo = GitRepo.create(Files.createDirectories(dir.resolve(name)));
        Map<String, String> files = new LinkedHashMap<>();
        files.put(
                "Dockerfile",
                "FROM scratch\nCOPY busybox /bin/busybox\n"
                        + "RUN [\"/bin/busybox\", \"sh\", \"-c\", \"/bin/busybox sleep 6 && /bin/busybox mkdir -p /etc "
                        + "&& /bin/busybox echo done > /etc/slow\"]\n");
        files.put("busybox", "@" + TestImages.busybox("amd64"));
        files.put(".multiarch.yaml", "image: " + registry.host() + "/" + name + "\nplatforms: [linux/amd64]\n");
        String commit = repo.commit("slow", files);
        return api.trigger(repo.cloneUrl(), commit, "refs/tags/v1.0.0", true).get(0);
    }

    private static boolean running(JsonNode b) {
        return b.path("jobs").get(0).path("state").asText().equals("running");
    }

    @Test
    void runnerKilledMidJob_jobGoesToAnotherRunner_buildPublishes() throws IOException {
        JavaProcess first = rig.startRunner("runner-first", List.of("linux/amd64"), List.of(), 1);
        long id = slowBuild("killed-runner");
        JsonNode b = api.await(id, DEADLINE, FailoverIT::running);
        String firstRunner = b.path("jobs").get(0).path("runner").asText();
        api.await(id, Duration.ofSeconds(30), x -> api.page("/builds/" + id).contains("sleep 6"));
        first.kill();
        rig.startRunner("runner-second", List.of("linux/amd64"), List.of(), 1);
        JsonNode done = api.awaitEnd(id, DEADLINE);
        assertEquals("published", done.path("state").asText(), done.toString());
        JsonNode job = done.path("jobs").get(0);
        assertEquals(2, job.path("attempt").asInt(), job.toString());
        assertTrue(!job.path("runner").asText().equals(firstRunner), "the second attempt ran elsewhere: " + job);
        assertEquals(List.of("1", "1.0", "1.0.0", "latest"), Skopeo.tags(registry.host() + "/killed-runner"));
        assertTrue(
                rig.coordinator().log().contains("stopped reporting (lease expired) on attempt 1; queued again"),
                rig.coordinator().log());
    }

    @Test
    void coordinatorKilledMidBuild_restartedOnItsData_buildFinishes() throws IOException {
        rig.startRunner("runner-steady", List.of("linux/amd64"), List.of(), 1);
        long id = slowBuild("restarted");
        api.await(id, DEADLINE, FailoverIT::running);
        rig.coordinator().kill();
        rig.startCoordinator();
        JsonNode done = api.awaitEnd(id, DEADLINE);
        assertEquals("published", done.path("state").asText(), done.toString());
        assertEquals(List.of("1", "1.0", "1.0.0", "latest"), Skopeo.tags(registry.host() + "/restarted"));
        assertEquals(
                "done",
                Skopeo.fileInImage(
                                registry.host() + "/restarted:latest",
                                dev.multiarch.platform.Platform.parse("linux/amd64"),
                                "/etc/slow")
                        .strip());
    }
}
