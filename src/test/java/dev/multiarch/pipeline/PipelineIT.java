package dev.multiarch.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.platform.Platform;
import dev.multiarch.registry.Digest;
import dev.multiarch.testing.CoordinatorApi;
import dev.multiarch.testing.GitRepo;
import dev.multiarch.testing.PipelineRig;
import dev.multiarch.testing.RegistryServer;
import dev.multiarch.testing.Skopeo;
import dev.multiarch.testing.TestImages;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end, nothing mocked: a bare git repository, the coordinator and two runner processes (one native amd64, one
 * building arm64, arm/v7, ppc64le and s390x through QEMU), a real registry, and skopeo checking what was published.
 */
class PipelineIT {
    private static final Duration DEADLINE = Duration.ofMinutes(5);
    private static final Map<String, String> UNAME = Map.of(
            "linux/amd64",
            "x86_64",
            "linux/arm64",
            "aarch64",
            "linux/arm/v7",
            "armv7l",
            "linux/ppc64le",
            "ppc64le",
            "linux/s390x",
            "s390x");

    @TempDir
    static Path dir;

    private static RegistryServer registry;
    private static PipelineRig rig;
    private static CoordinatorApi api;

    @BeforeAll
    static void start() {
        registry = RegistryServer.start();
        rig = new PipelineRig(dir, registry, 6);
        rig.startCoordinator();
        rig.startRunner("runner-amd64", List.of("linux/amd64"), List.of(), 1);
        rig.startRunner(
                "runner-qemu", List.of(), List.of("linux/arm64", "linux/arm/v7", "linux/ppc64le", "linux/s390x"), 2);
        api = rig.api();
    }

    @AfterAll
    static void stop() {
        if (rig != null) {
            rig.close();
        }
        if (registry != null) {
            registry.close();
        }
    }

    /** The Dockerfile, busybox for every architecture, and a .multiarch.yaml. */
    private static Map<String, String> project(String multiarchYaml, String runStep) {
        Map<String, String> files = new LinkedHashMap<>();
        files.put(
                "Dockerfile",
                "FROM scratch\nARG TARGETARCH\nARG TARGETVARIANT=\n"
                        + "COPY busybox-${TARGETARCH}${TARGETVARIANT} /bin/busybox\n"
                        + "RUN [\"/bin/busybox\", \"mkdir\", \"-p\", \"/etc\"]\n" + runStep);
        files.put("busybox-amd64", "@" + TestImages.busybox("amd64"));
        files.put("busybox-arm64", "@" + TestImages.busybox("arm64"));
        files.put("busybox-armv7", "@" + TestImages.busybox("armhf"));
        files.put("busybox-ppc64le", "@" + TestImages.busybox("ppc64el"));
        files.put("busybox-s390x", "@" + TestImages.busybox("s390x"));
        files.put(".multiarch.yaml", multiarchYaml);
        return files;
    }

    private static final String UNAME_STEP =
            "RUN [\"/bin/busybox\", \"sh\", \"-c\", \"/bin/busybox uname -m > /etc/built-on-arch\"]\n";

    @Test
    void tagPush_fivePlatforms_publishesVerifiedIndexToEveryTag() throws IOException {
        GitRepo repo = GitRepo.create(Files.createDirectories(dir.resolve("five")));
        String image = registry.host() + "/five";
        String commit = repo.commit(
                "five platforms",
                project(
                        "image: " + image + "\n"
                                + "platforms: [linux/amd64, linux/arm64, linux/arm/v7, linux/ppc64le, linux/s390x]\n",
                        UNAME_STEP));
        repo.tag("v1.2.3");
        long id = api.trigger(repo.cloneUrl(), commit, "refs/tags/v1.2.3", true).get(0);
        JsonNode b = api.awaitEnd(id, DEADLINE);
        assertEquals("published", b.path("state").asText(), b.toString());

        assertEquals(List.of("1", "1.2", "1.2.3", "latest"), Skopeo.tags(image), "no per-arch tag clutter");
        String indexDigest = b.path("indexDigest").asText();
        for (String tag : List.of("1.2.3", "1.2", "1", "latest")) {
            String raw = Skopeo.raw(image + ":" + tag, null);
            assertEquals(
                    indexDigest,
                    Digest.sha256(raw.getBytes(StandardCharsets.UTF_8)).toString(),
                    tag);
            assertEquals(5, Skopeo.parse(raw).get("manifests").size());
        }
        Map<String, String> digests = new HashMap<>();
        b.path("jobs")
                .forEach(j -> digests.put(
                        j.path("platform").asText(), j.path("digest").asText()));
        for (Map.Entry<String, String> e : UNAME.entrySet()) {
            Platform p = Platform.parse(e.getKey());
            String config = Skopeo.rawConfig(image + ":1.2.3", p);
            JsonNode c = Skopeo.parse(config);
            assertEquals(p.architecture(), c.path("architecture").asText(), e.getKey());
            String wantConfig = Skopeo.parse(Skopeo.raw(image + "@" + digests.get(e.getKey()), null))
                    .at("/config/digest")
                    .asText();
            assertEquals(
                    wantConfig,
                    Digest.sha256(config.getBytes(StandardCharsets.UTF_8)).toString(),
                    e.getKey() + " resolves to the image its job built");
            assertEquals(
                    e.getValue(),
                    Skopeo.fileInImage(image + ":latest", p, "/etc/built-on-arch")
                            .strip(),
                    "the RUN step ran on " + e.getKey());
        }
        b.path("jobs").forEach(j -> {
            String runner = j.path("runner").asText();
            assertEquals(
                    j.path("platform").asText().equals("linux/amd64"),
                    runner.startsWith("runner-") && isAmd64Runner(runner),
                    j.toString());
        });

        String page = api.page("/builds/" + id);
        assertTrue(page.contains("published"), page);
        for (String p : UNAME.keySet()) {
            assertTrue(page.contains(p), p);
            assertTrue(page.contains(digests.get(p)), digests.get(p));
        }
        assertTrue(page.contains("verified "), "the log shows the verification");

        Instant created = Instant.parse(b.path("createdAt").asText());
        Instant done = Instant.parse(b.path("updatedAt").asText());
        double slowest = 0;
        Instant lastJob = created;
        for (JsonNode j : b.path("jobs")) {
            slowest = Math.max(slowest, j.path("seconds").asDouble());
            Instant f = Instant.parse(j.path("finishedAt").asText());
            lastJob = f.isAfter(lastJob) ? f : lastJob;
        }
        double total = Duration.between(created, done).toMillis() / 1000.0;
        String timing = String.format(
                java.util.Locale.ROOT,
                "5-platform build: created → published %.2f s; "
                        + "slowest platform %.2f s; last platform reported → published (verify + publish) %.2f s%n",
                total,
                slowest,
                Duration.between(lastJob, done).toMillis() / 1000.0);
        StringBuilder steps = new StringBuilder();
        for (JsonNode j : b.path("jobs")) {
            List<String> names = new java.util.ArrayList<>();
            j.path("timings").fieldNames().forEachRemaining(names::add);
            assertTrue(
                    names.containsAll(
                            List.of("queue", "fetch", "checkout", "build", "export", "audit", "push", "verify")),
                    "every step of " + j.path("platform").asText() + " is accounted for: " + names);
            assertEquals("queue", names.get(0), names.toString());
            assertEquals("verify", names.get(names.size() - 1), names.toString());
            steps.append(j.path("platform").asText())
                    .append(": ")
                    .append(j.path("timings"))
                    .append('\n');
        }
        assertTrue(page.contains("Where the time went"), "the page shows the step times");
        System.out.print(timing + steps);
        Files.writeString(Path.of("target", "it-logs", "pipeline-timing.txt"), timing + steps);
    }

    private static final Map<String, String> RUNNER_NAMES = new HashMap<>();

    private static boolean isAmd64Runner(String runnerId) {
        return RUNNER_NAMES
                .computeIfAbsent(runnerId, id -> rig.coordinator()
                        .log()
                        .lines()
                        .filter(l -> l.contains("registered " + id))
                        .findFirst()
                        .orElse(""))
                .contains("(runner-amd64)");
    }

    @Test
    void latest_neverMovesBackwards() throws IOException {
        GitRepo repo = GitRepo.create(Files.createDirectories(dir.resolve("rollback")));
        String image = registry.host() + "/rollback";
        Map<String, String> files =
                project("image: " + image + "\nplatforms: [linux/amd64, linux/arm64]\n", UNAME_STEP);
        String c2 = repo.commit("2.0.0", files);
        long b2 = api.trigger(repo.cloneUrl(), c2, "refs/tags/v2.0.0", true).get(0);
        JsonNode two = api.awaitEnd(b2, DEADLINE);
        assertEquals("published", two.path("state").asText(), two.toString());
        String c1 = repo.commit("backport 1.4.1", Map.of("BACKPORT", "1.4.1\n"));
        long b1 = api.trigger(repo.cloneUrl(), c1, "refs/tags/v1.4.1", true).get(0);
        JsonNode one = api.awaitEnd(b1, DEADLINE);
        assertEquals("published", one.path("state").asText(), one.toString());

        String d2 = two.path("indexDigest").asText();
        String d1 = one.path("indexDigest").asText();
        Map<String, String> want =
                Map.of("latest", d2, "2", d2, "2.0", d2, "2.0.0", d2, "1.4.1", d1, "1.4", d1, "1", d1);
        for (Map.Entry<String, String> e : want.entrySet()) {
            String raw = Skopeo.raw(image + ":" + e.getKey(), null);
            assertEquals(
                    e.getValue(),
                    Digest.sha256(raw.getBytes(StandardCharsets.UTF_8)).toString(),
                    e.getKey());
        }
        assertTrue(
                one.path("published").asText().contains("latest: stays at 2.0.0 (newer than 1.4.1)"),
                one.path("published").asText());
    }

    @Test
    void failedPlatform_publishesNothing() throws IOException {
        GitRepo repo = GitRepo.create(Files.createDirectories(dir.resolve("fails")));
        String image = registry.host() + "/fails";
        String commit = repo.commit(
                "fails on s390x",
                project(
                        "image: " + image + "\n" + "platforms: [linux/amd64, linux/s390x]\n",
                        "RUN [\"/bin/busybox\", \"sh\", \"-c\", \"[ \\\"$(/bin/busybox uname -m)\\\" != s390x ]\"]\n"));
        long id = api.trigger(repo.cloneUrl(), commit, "refs/tags/v1.0.0", true).get(0);
        JsonNode b = api.awaitEnd(id, DEADLINE);
        assertEquals("failed", b.path("state").asText(), b.toString());
        assertTrue(
                b.path("error").asText().startsWith("linux/s390x: build failed (exit"),
                b.path("error").asText());
        assertEquals(List.of(), Skopeo.tags(image), "no tag was published");
    }

    @Test
    void fromPlatformAmd64_copiedBinary_isCaughtByTheElfAudit() throws IOException {
        TestImages.push(Platform.parse("linux/amd64"), registry.host() + "/base:amd64", TestImages.Format.OCI);
        GitRepo repo = GitRepo.create(Files.createDirectories(dir.resolve("pinned")));
        String image = registry.host() + "/pinned";
        Map<String, String> files = new LinkedHashMap<>();
        files.put(
                "Dockerfile",
                "FROM --platform=linux/amd64 " + registry.host() + "/base:amd64\n" + "COPY busybox-amd64 /bin/tool\n");
        files.put("busybox-amd64", "@" + TestImages.busybox("amd64"));
        files.put(".multiarch.yaml", "image: " + image + "\nplatforms: [linux/arm64]\n");
        String commit = repo.commit("pinned amd64", files);
        long id = api.trigger(repo.cloneUrl(), commit, "refs/tags/v1.0.0", true).get(0);
        JsonNode b = api.awaitEnd(id, DEADLINE);
        assertEquals("failed", b.path("state").asText(), b.toString());
        String error = b.path("error").asText();
        assertTrue(error.contains("/bin/tool is x86-64"), error);
        assertTrue(error.startsWith("linux/arm64: "), error);
        assertEquals(List.of(), Skopeo.tags(image));
        String log = api.page("/builds/" + id);
        assertTrue(log.contains("the build added 1"), "only the added layer was audited:\n" + log);
    }

    @Test
    void invalidMultiarchYaml_failsTheBuildNamingFileLineAndReason() throws IOException {
        GitRepo repo = GitRepo.create(Files.createDirectories(dir.resolve("invalid")));
        String commit = repo.commit(
                "bad config",
                Map.of(".multiarch.yaml", "image: " + registry.host() + "/invalid\nplatforms:\n  - linux/arm64/v7\n"));
        long id = api.trigger(repo.cloneUrl(), commit, "refs/tags/v1.0.0", true).get(0);
        JsonNode b = api.awaitEnd(id, Duration.ofSeconds(60));
        assertEquals("failed", b.path("state").asText());
        assertEquals(
                ".multiarch.yaml:3: platforms[0]: invalid platform linux/arm64/v7: variant 'v7' is not a variant "
                        + "of arm64; valid: v8, v8.0, v8.1, v8.2, v8.3, v8.4, …",
                b.path("error").asText());
        String stillBad = repo.commit("a commit that leaves the config alone", Map.of());
        Files.delete(repo.work().resolve(".multiarch.yaml"));
        String gone = repo.commit("config removed", Map.of());
        JsonNode m = api.awaitEnd(
                api.trigger(repo.cloneUrl(), gone, "refs/tags/v1.0.1", true).get(0), Duration.ofSeconds(60));
        assertTrue(m.path("error").asText().startsWith(".multiarch.yaml: not found at "), m.toString());
        // Built after the file was removed from the branch, an older commit still gets the file as it was there.
        JsonNode older = api.awaitEnd(
                api.trigger(repo.cloneUrl(), stillBad, "refs/tags/v1.0.2", true).get(0), Duration.ofSeconds(60));
        assertEquals("failed", older.path("state").asText(), older.toString());
        assertEquals(
                b.path("error").asText(), older.path("error").asText(), "the config is read at the build's commit");
    }

    /**
     * A runner that reports an amd64 image for an riscv64 job (a bug, or a lie): the coordinator reads the image's
     * config from the registry and fails the platform.
     */
    @Test
    void imageReportedUnderTheWrongPlatform_isRefused() throws Exception {
        GitRepo repo = GitRepo.create(Files.createDirectories(dir.resolve("liar")));
        String image = registry.host() + "/liar";
        String commit =
                repo.commit("riscv", Map.of(".multiarch.yaml", "image: " + image + "\nplatforms: [linux/riscv64]\n"));
        Digest amd64 = TestImages.push(Platform.parse("linux/amd64"), image + ":not-riscv", TestImages.Format.OCI);
        OkHttpClient http =
                new OkHttpClient.Builder().readTimeout(Duration.ofSeconds(30)).build();
        MediaType json = MediaType.get("application/json");
        String token;
        try (Response r = http.newCall(new Request.Builder()
                        .url(api.base() + "/api/runners/register")
                        .post(RequestBody.create(
                                "{\"name\":\"liar\",\"secret\":\"" + PipelineRig.SECRET
                                        + "\",\"nativePlatforms\":[\"linux/riscv64\"],\"qemuPlatforms\":[]}",
                                json))
                        .build())
                .execute()) {
            assertEquals(201, r.code());
            token = CoordinatorApi.JSON
                    .readTree(r.body().string())
                    .path("token")
                    .asText();
        }
        long id = api.trigger(repo.cloneUrl(), commit, "refs/tags/v1.0.0", true).get(0);
        JsonNode job = null;
        for (int i = 0; i < 10 && job == null; i++) {
            try (Response r = http.newCall(new Request.Builder()
                            .url(api.base() + "/api/runners/poll")
                            .header("Authorization", "Bearer " + token)
                            .post(RequestBody.create(new byte[0], json))
                            .build())
                    .execute()) {
                if (r.code() == 200) {
                    job = CoordinatorApi.JSON.readTree(r.body().string());
                }
            }
        }
        assertNotNull(job, "the fake runner got the riscv64 job");
        assertEquals("linux/riscv64", job.path("platform").asText());
        assertFalse(job.path("push").isNull(), "a tag build gets push credentials");
        String complete = "{\"attempt\":" + job.path("attempt").asInt() + ",\"digest\":\"" + amd64
                + "\",\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"size\":1,\"addedLayers\":1}";
        try (Response r = http.newCall(new Request.Builder()
                        .url(api.base() + "/api/jobs/" + job.path("jobId").asLong() + "/complete")
                        .header("Authorization", "Bearer " + token)
                        .post(RequestBody.create(complete, json))
                        .build())
                .execute()) {
            assertEquals(204, r.code());
        }
        JsonNode b = api.awaitEnd(id, DEADLINE);
        assertEquals("failed", b.path("state").asText(), b.toString());
        assertEquals(
                "linux/riscv64: the image reported for it (" + amd64 + ") is linux/amd64 by its config; "
                        + "refusing to publish it as linux/riscv64",
                b.path("error").asText());
        assertEquals(List.of("not-riscv"), Skopeo.tags(image), "nothing but the test's own source tag");
        http.dispatcher().executorService().shutdown();
    }
}
