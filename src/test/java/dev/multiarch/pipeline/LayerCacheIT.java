package dev.multiarch.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.multiarch.testing.CoordinatorApi;
import dev.multiarch.testing.GitHubEvents;
import dev.multiarch.testing.GitHubStandIn;
import dev.multiarch.testing.GitRepo;
import dev.multiarch.testing.JavaProcess;
import dev.multiarch.testing.PipelineRig;
import dev.multiarch.testing.Ports;
import dev.multiarch.testing.RegistryServer;
import dev.multiarch.testing.Scrape;
import dev.multiarch.testing.Skopeo;
import dev.multiarch.testing.TestImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The layer cache, end to end with real buildah builds: a rebuild of a changed commit on the same runner reuses the
 * steps that did not change (buildah says "Using cache", the layers keep their digests, the expensive RUN is not run
 * again); a second runner with an empty storage gets them from the registry cache; a fork's pull request reads the
 * registry cache but leaves nothing in the registry; a runner over its {@code cache-size} removes its least recently
 * used image storage. A registry without authentication, so that a build that tried to write the cache could.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LayerCacheIT {
    private static final Duration DEADLINE = Duration.ofMinutes(4);
    private static final String REPO = "octo/cached";
    private static final String WEBHOOK_SECRET = "webhook-secret-0123456789";
    private static final long INSTALLATION = 4711;
    /** The expensive step: 2 s of sleep, under QEMU for arm64, that a cached rebuild does not run again. */
    private static final String RUN =
            "RUN [\"/bin/busybox\", \"sh\", \"-c\", \"/bin/busybox sleep 2; /bin/busybox uname -m > /etc/built-on\"]\n";

    @TempDir
    static Path dir;

    private static RegistryServer registry;
    private static GitHubStandIn github;
    private static PipelineRig rig;
    private static CoordinatorApi api;
    private static GitRepo repo;
    private static JavaProcess warm;
    private static JavaProcess fresh;
    private static JavaProcess small;

    private static final String METRICS_TOKEN = "metrics-token-0123456789abcdef";

    @BeforeAll
    static void start() throws Exception {
        registry = RegistryServer.start();
        Path pem = dir.resolve("app.pem");
        KeyPair key = GitHubEvents.appKey(pem);
        github = new GitHubStandIn(GitHubStandIn.openApi(), "424242", key.getPublic(), null);
        repo = GitRepo.create(Files.createDirectories(dir.resolve("cached")));
        github.repo(REPO, Path.of(repo.cloneUrl()));
        rig = new PipelineRig(dir, registry, 6)
                .withConfig(
                        "repositories:\n  - match: \"*/*\"\n    images: [" + registry.host() + "/*]\n"
                                + "github:\n  api-url: " + github.url() + "\n  webhook-secrets: [\"${WH}\"]\n"
                                + "  app-id: \"424242\"\n  private-key-file: " + pem + "\n  workflows: "
                                + Path.of("workflows").toAbsolutePath() + "\n",
                        Map.of("WH", WEBHOOK_SECRET, "TEST_METRICS", METRICS_TOKEN))
                .withServerConfig("  metrics-token: ${TEST_METRICS}\n");
        rig.startCoordinator();
        warm = rig.startRunner("warm", List.of("linux/amd64"), List.of("linux/arm64"), 2);
        api = rig.api();
    }

    @AfterAll
    static void stop() {
        if (rig != null) {
            rig.close();
        }
        if (github != null) {
            github.close();
        }
        if (registry != null) {
            registry.close();
        }
    }

    /** Two platforms, the platform's busybox through ARG TARGETARCH, a 2 s RUN, then the file that changes. */
    private static Map<String, String> twoPlatforms(String message) {
        Map<String, String> files = new LinkedHashMap<>();
        files.put(
                "Dockerfile",
                "FROM scratch\nARG TARGETARCH\nCOPY busybox-${TARGETARCH} /bin/busybox\n" + RUN
                        + "COPY message.txt /message.txt\n");
        files.put("busybox-amd64", "@" + TestImages.busybox("amd64"));
        files.put("busybox-arm64", "@" + TestImages.busybox("arm64"));
        files.put("message.txt", message + "\n");
        files.put(
                ".multiarch.yaml", "image: " + registry.host() + "/cache-app\nplatforms: [linux/amd64, linux/arm64]\n");
        return files;
    }

    /**
     * linux/arm64 only, with an ARG before the RUN: buildah 1.28 never looks an ARG step up in the registry cache, nor
     * anything after it (containers/buildah#4315), so a runner without the image finds the steps only through the
     * list of steps the runner pulls first ({@code CacheSteps}).
     */
    private static Map<String, String> arm64(String image, String message, String extra) {
        Map<String, String> files = new LinkedHashMap<>();
        files.put(
                "Dockerfile",
                "FROM scratch\nARG TARGETARCH\nCOPY busybox-${TARGETARCH} /bin/busybox\n" + RUN
                        + "COPY message.txt /m.txt\n");
        files.put("busybox-arm64", "@" + TestImages.busybox("arm64"));
        files.put("message.txt", message + "\n");
        files.put(
                ".multiarch.yaml", "image: " + registry.host() + "/" + image + "\nplatforms: [linux/arm64]\n" + extra);
        return files;
    }

    private static JsonNode release(Map<String, String> files, String tag) {
        String commit = repo.commit("release " + tag, files);
        repo.tag(tag);
        long id = api.trigger(repo.cloneUrl(), commit, "refs/tags/" + tag, true).get(0);
        JsonNode b = api.awaitEnd(id, DEADLINE);
        assertEquals("published", b.path("state").asText(), b.toString());
        return b;
    }

    private static JsonNode job(JsonNode build, String platform) {
        for (JsonNode j : build.path("jobs")) {
            if (j.path("platform").asText().equals(platform)) {
                return j;
            }
        }
        throw new AssertionError("no job for " + platform + ": " + build);
    }

    private static long buildMillis(JsonNode build, String platform) {
        return job(build, platform).path("timings").path("build").asLong(-1);
    }

    private static String page(JsonNode build) {
        return api.page("/builds/" + build.path("id").asLong());
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    /** The layer digests of one platform's image, as the registry serves its manifest. */
    private static List<String> layers(String image, JsonNode build, String platform) {
        String digest = job(build, platform).path("digest").asText();
        List<String> out = new ArrayList<>();
        Skopeo.parse(Skopeo.raw(registry.host() + "/" + image + "@" + digest, null))
                .path("layers")
                .forEach(l -> out.add(l.path("digest").asText()));
        return out;
    }

    private static String runnerOf(JsonNode build, String platform) {
        String id = job(build, platform).path("runner").asText();
        return rig.coordinator()
                .log()
                .lines()
                .filter(l -> l.contains("registered " + id + " "))
                .findFirst()
                .orElse("(not registered: " + id + ")");
    }

    @Test
    @Order(1)
    void rebuildOfAChangedCommit_reusesTheStepsBeforeTheChange_onEachPlatform() {
        JsonNode cold = release(twoPlatforms("one"), "v1.0.0");
        JsonNode again = release(twoPlatforms("two"), "v1.0.1");

        String coldPage = page(cold);
        String warmPage = page(again);
        assertEquals(2, count(coldPage, "layer cache: 0 step(s) reused"), coldPage);
        // ARG, COPY busybox, RUN: found in the runner's storage for that image and platform.
        assertEquals(2, count(warmPage, "layer cache: 3 step(s) reused"), warmPage);
        assertTrue(warmPage.contains("Using cache"), warmPage);
        for (String platform : List.of("linux/amd64", "linux/arm64")) {
            List<String> before = layers("cache-app", cold, platform);
            List<String> after = layers("cache-app", again, platform);
            assertEquals(3, before.size(), before.toString());
            assertEquals(before.subList(0, 2), after.subList(0, 2), platform + ": the cached layers, byte for byte");
            assertNotEquals(before.get(2), after.get(2), platform + ": the changed file's layer is new");
            long c = buildMillis(cold, platform);
            long w = buildMillis(again, platform);
            System.out.println("[layer cache] " + platform + ": build step cold " + c + " ms, rebuild " + w + " ms");
            assertTrue(
                    w + 1000 < c, platform + ": the 2 s RUN was not run again: cold " + c + " ms, warm " + w + " ms");
        }
        for (String slug : List.of("linux-amd64", "linux-arm64")) {
            assertFalse(
                    Skopeo.tags(registry.host() + "/cache-app/cache/" + slug).isEmpty(),
                    "the release wrote the registry cache of " + slug);
        }
    }

    @Test
    @Order(2)
    void aSecondRunnerWithAnEmptyStorage_getsTheStepsFromTheRegistryCache() throws Exception {
        JsonNode first = release(arm64("cache-remote", "one", ""), "v2.0.0");
        assertTrue(runnerOf(first, "linux/arm64").contains("(warm)"));
        String cacheRepo = registry.host() + "/cache-remote/cache/linux-arm64";
        assertTrue(Skopeo.tags(cacheRepo).contains("multiarch-steps"), "written by the first release, with its steps");
        warm.kill();

        fresh = rig.startRunner("fresh", List.of("linux/amd64"), List.of("linux/arm64"), 2);
        assertFalse(Files.exists(rig.runnerWork("fresh").resolve("cache")), "a runner that never built: nothing local");
        JsonNode second = release(arm64("cache-remote", "two", ""), "v2.0.1");
        assertTrue(runnerOf(second, "linux/arm64").contains("(fresh)"), runnerOf(second, "linux/arm64"));
        String p = page(second);
        assertTrue(p.contains("step(s) of the last build from " + cacheRepo), p);
        assertTrue(p.contains("layer cache: 3 step(s) reused"), "ARG, COPY, RUN: " + p);
        assertEquals(
                layers("cache-remote", first, "linux/arm64").subList(0, 2),
                layers("cache-remote", second, "linux/arm64").subList(0, 2),
                "the layers another runner built");
        long c = buildMillis(first, "linux/arm64");
        long w = buildMillis(second, "linux/arm64");
        System.out.println(
                "[layer cache] registry cache, linux/arm64: build step cold " + c + " ms, other runner " + w + " ms");
        assertTrue(w + 1000 < c, "the 2 s RUN was not run again: cold " + c + " ms, other runner " + w + " ms");
    }

    @Test
    @Order(3)
    void aForksPullRequest_readsTheRegistryCache_andWritesNothing() throws Exception {
        rig.startRunner("forks", List.of("linux/amd64"), List.of("linux/arm64"), 1, true, Map.of());
        String baseSha = repo.commit("base", arm64("cache-remote", "two", ""));
        GitRepo fork = GitRepo.create(Files.createDirectories(dir.resolve("fork")));
        Map<String, String> files = arm64("cache-remote", "a stranger's change", "");
        files.remove(".multiarch.yaml");
        String head = fork.commit("change", files);
        fork.pushTo(repo, "refs/pull/31/head");

        String cacheRepo = registry.host() + "/cache-remote/cache/linux-arm64";
        List<String> tagsBefore = Skopeo.tags(cacheRepo);
        long blobsBefore = registry.blobCount();
        assertEquals(
                202,
                GitHubEvents.deliver(
                                rig.url() + "/webhook",
                                "pull_request",
                                forkPullRequest(31, head, baseSha, fork),
                                WEBHOOK_SECRET)
                        .status());
        JsonNode[] found = new JsonNode[1];
        Ports.await("the fork's build", DEADLINE, () -> {
            for (JsonNode b : api.builds(head)) {
                String s = b.path("state").asText();
                found[0] = b;
                return s.equals("published") || s.equals("failed") || s.equals("cancelled");
            }
            return false;
        });
        JsonNode b = api.build(found[0].path("id").asLong());
        assertEquals("published", b.path("state").asText(), b.toString());
        assertTrue(b.path("untrusted").asBoolean());
        assertTrue(runnerOf(b, "linux/arm64").contains("(forks)"), runnerOf(b, "linux/arm64"));
        String p = page(b);
        assertTrue(p.contains("step(s) of the last build from " + cacheRepo), "it read the cache: " + p);
        assertTrue(p.contains("layer cache: 3 step(s) reused"), p);
        assertTrue(p.contains("the registry cache is read only for this job"), p);
        assertFalse(p.contains("--cache-to"), "buildah was not asked to write it");
        assertFalse(p.contains("Pushing cache"), p);
        assertEquals(tagsBefore, Skopeo.tags(cacheRepo), "no new cache tag");
        assertEquals(blobsBefore, registry.blobCount(), "not one blob more in the registry");
    }

    @Test
    @Order(4)
    void aRunnerOverItsCacheSize_removesItsLeastRecentlyUsedImageStorage() throws Exception {
        // Only this runner builds trusted jobs now.
        warm.kill();
        if (fresh != null) {
            fresh.kill();
        }
        small = rig.startRunner("small", List.of("linux/amd64"), List.of("linux/arm64"), 1);
        release(arm64("prune-a", "a", "cache: false\n"), "v3.0.0");
        Path cache = rig.runnerWork("small").resolve("cache");
        assertEquals(List.of(registry.host() + "/prune-a"), images(cache));
        // Restarted with room for one such storage, not two: what it holds stays until it is over the size.
        long one = sizes(cache).values().iterator().next();
        small.kill();
        small = rig.startRunner(
                "small",
                List.of("linux/amd64"),
                List.of("linux/arm64"),
                1,
                false,
                Map.of(),
                "cache-size: " + one * 3 / 2 + "\n");
        assertEquals(List.of(registry.host() + "/prune-a"), images(cache), "kept across the restart");
        JsonNode b = release(arm64("prune-b", "b", "cache: false\n"), "v3.0.1");
        assertEquals(List.of(registry.host() + "/prune-b"), images(cache), "the older one went, the newer stays");
        String p = page(b);
        assertTrue(p.contains("layer cache: removed " + registry.host() + "/prune-a linux/arm64"), p);
        System.out.println(
                "[layer cache] one arm64 storage of the fixture: " + one + " bytes; after pruning " + sizes(cache));
    }

    @Test
    @Order(5)
    void aRebuild_goesToTheRunnerHoldingItsWarmCache_beforeOneHoldingOnlyItsCommit() throws Exception {
        // small holds test/repo's prune-b arm64 storage (Order 4). cold builds the next commit for another repository
        // (the same clone, so the same commit): it holds the commit, and a storage of another tenant.
        small.kill();
        JavaProcess cold = rig.startRunner("cold", List.of("linux/amd64"), List.of("linux/arm64"), 1);
        String commit = repo.commit("release v3.0.2", arm64("prune-b", "c", "cache: false\n"));
        JsonNode other = api.awaitEnd(triggerAs("test/other", commit), DEADLINE);
        assertTrue(runnerOf(other, "linux/arm64").contains("(cold)"), runnerOf(other, "linux/arm64"));
        cold.kill(); // restarted below, after small: the one waiting longer is no reason to get the job

        // small again, with its storage, registering anew: it polls right after saying so.
        Files.delete(rig.runnerWork("small").resolve("runner-identity.json"));
        cold = rig.startRunner("cold", List.of("linux/amd64"), List.of("linux/arm64"), 1);
        small = rig.startRunner(
                "small", List.of("linux/amd64"), List.of("linux/arm64"), 1, false, Map.of(), "cache-size: 1GiB\n");
        JavaProcess restarted = small;
        Ports.await("small registering", Duration.ofSeconds(60), () -> restarted
                .log()
                .contains("registered as"));
        // Its first poll reached the dispatcher: forks, cold and small each wait in a long poll (killed runners' polls
        // ended with their connections long before small had started).
        Ports.await(
                "three runners waiting",
                Duration.ofSeconds(60),
                () -> Scrape.get(rig.url() + "/metrics", METRICS_TOKEN).sum("multiarch_runners_waiting") == 3);
        JsonNode rebuild = api.awaitEnd(triggerAs("test/repo", commit), DEADLINE);
        String p = page(rebuild);
        assertTrue(runnerOf(rebuild, "linux/arm64").contains("(small)"), runnerOf(rebuild, "linux/arm64") + "\n" + p);
        assertTrue(p.contains("layer cache: 3 step(s) reused"), "ARG, COPY, RUN from small's storage: " + p);
        cold.kill();
    }

    /** A build of {@code commit} (not published) for {@code repository}: the tenant whose cache scope it uses. */
    private static long triggerAs(String repository, String commit) throws Exception {
        var body = CoordinatorApi.JSON
                .createObjectNode()
                .put("repo", repository)
                .put("cloneUrl", repo.cloneUrl())
                .put("commit", commit)
                .put("ref", "refs/heads/main")
                .put("push", false);
        okhttp3.OkHttpClient http = new okhttp3.OkHttpClient();
        okhttp3.Request req = new okhttp3.Request.Builder()
                .url(api.base() + "/api/builds")
                .header("Authorization", "Bearer " + PipelineRig.ADMIN_TOKEN)
                .post(okhttp3.RequestBody.create(
                        CoordinatorApi.JSON.writeValueAsBytes(body), okhttp3.MediaType.get("application/json")))
                .build();
        try (okhttp3.Response r = http.newCall(req).execute()) {
            String text = r.body().string();
            assertEquals(201, r.code(), text);
            return CoordinatorApi.JSON.readTree(text).get(0).path("id").asLong();
        } finally {
            http.connectionPool().evictAll();
            http.dispatcher().executorService().shutdown();
        }
    }

    /** Image → the size the runner measured for its storage. */
    private static Map<String, Long> sizes(Path cache) throws Exception {
        Map<String, Long> out = new LinkedHashMap<>();
        try (var scopes = Files.list(cache)) {
            for (Path s : scopes.toList()) {
                if (!s.getFileName().toString().startsWith(".")) {
                    out.put(
                            CoordinatorApi.JSON
                                    .readTree(s.resolve("scope.json").toFile())
                                    .path("image")
                                    .asText(),
                            Long.parseLong(Files.readString(s.resolve("size")).trim()));
                }
            }
        }
        return out;
    }

    /** The images whose storage a runner's cache holds. */
    private static List<String> images(Path cache) throws Exception {
        List<String> out = new ArrayList<>();
        try (var scopes = Files.list(cache)) {
            for (Path s : scopes.toList()) {
                if (!s.getFileName().toString().startsWith(".")) {
                    out.add(CoordinatorApi.JSON
                            .readTree(s.resolve("scope.json").toFile())
                            .path("image")
                            .asText());
                }
            }
        }
        return out;
    }

    private static ObjectNode forkPullRequest(int number, String headSha, String baseSha, GitRepo fork) {
        ObjectNode p = GitHubEvents.example(
                "pull_request", e -> e.path("action").asText().equals("opened"));
        GitHubEvents.repoint(p, REPO, repo.cloneUrl(), INSTALLATION);
        p.put("action", "opened").put("number", number);
        ObjectNode pr = (ObjectNode) p.path("pull_request");
        pr.put("number", number).put("state", "open");
        ObjectNode head = (ObjectNode) pr.path("head");
        head.put("sha", headSha).put("ref", "feature-" + number);
        ((ObjectNode) head.path("repo"))
                .put("full_name", "stranger/cached")
                .put("clone_url", fork.cloneUrl())
                .put("fork", true);
        ObjectNode b = (ObjectNode) pr.path("base");
        b.put("sha", baseSha).put("ref", "main");
        ((ObjectNode) b.path("repo")).put("full_name", REPO).put("clone_url", repo.cloneUrl());
        return p;
    }
}
