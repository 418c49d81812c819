package dev.multiarch.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import dev.multiarch.testing.Skopeo;
import dev.multiarch.testing.TestImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pull requests from forks, end to end: a GitHub stand-in delivers the webhook, the coordinator marks the build
 * untrusted, a trusted runner never gets it (it builds a newer trusted build instead), a runner with
 * {@code untrusted-jobs: true} does, and the stranger's Dockerfile sees none of the runner's secrets. A registry
 * with a password, so that there is a password to leak.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UntrustedBuildIT {
    private static final Duration DEADLINE = Duration.ofMinutes(4);
    private static final String REPO = "octo/hello";
    private static final String FORK = "stranger/hello";
    private static final long INSTALLATION = 4711;
    private static final String WEBHOOK_SECRET = "webhook-secret-0123456789";
    private static final String REGISTRY_USER = "ci-bot";
    private static final String REGISTRY_PASSWORD = "registry-pass-" + UUID.randomUUID();
    private static final String CANARY = "canary-" + UUID.randomUUID();
    private static final String BUILD_ARG_SECRET = "npm-secret-" + UUID.randomUUID();

    @TempDir
    static Path dir;

    private static RegistryServer registry;
    private static GitHubStandIn github;
    private static PipelineRig rig;
    private static CoordinatorApi api;
    private static GitRepo repo;
    private static JavaProcess forksRunner;

    @BeforeAll
    static void start() throws Exception {
        registry = RegistryServer.start(REGISTRY_USER, REGISTRY_PASSWORD);
        Path pem = dir.resolve("app.pem");
        KeyPair key = GitHubEvents.appKey(pem);
        github = new GitHubStandIn(GitHubStandIn.openApi(), "424242", key.getPublic(), null);
        repo = GitRepo.create(Files.createDirectories(dir.resolve("hello")));
        github.repo(REPO, Path.of(repo.cloneUrl()));
        rig = new PipelineRig(dir, registry, 6)
                .withRegistryLogin(REGISTRY_USER, REGISTRY_PASSWORD)
                .withConfig(
                        "repositories:\n  - match: \"*/*\"\n    images: [" + registry.host() + "/*]\n"
                                + "github:\n  api-url: " + github.url() + "\n  webhook-secrets: [\"${WH}\"]\n"
                                + "  app-id: \"424242\"\n  private-key-file: " + pem + "\n  workflows: "
                                + Path.of("workflows").toAbsolutePath() + "\n",
                        Map.of("WH", WEBHOOK_SECRET));
        rig.startCoordinator();
        rig.startRunner("trusted-amd64", List.of("linux/amd64"), List.of(), 1);
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

    /** The base repository's files: its .multiarch.yaml decides for forks too (with a secret-looking build arg). */
    private static Map<String, String> base(String image) {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("Dockerfile", "FROM scratch\nARG TARGETARCH\nCOPY busybox-${TARGETARCH} /bin/busybox\n");
        files.put("busybox-amd64", "@" + TestImages.busybox("amd64"));
        files.put(
                ".multiarch.yaml",
                "image: " + registry.host() + "/" + image + "\nplatforms: [linux/amd64]\n"
                        + "build-args: {NPM_TOKEN: \"" + BUILD_ARG_SECRET + "\", VERSION: \"1.0\"}\n");
        return files;
    }

    /** A stranger's Dockerfile: prints its whole environment (and the secret build arg) into the build log. */
    private static final String SNOOPING_DOCKERFILE = "FROM scratch\nARG TARGETARCH\nARG NPM_TOKEN\n"
            + "COPY busybox-${TARGETARCH} /bin/busybox\n"
            + "RUN [\"/bin/busybox\", \"sh\", \"-c\", "
            + "\"echo ENV-BEGIN; /bin/busybox env; echo ENV-END; echo token is $NPM_TOKEN\"]\n";

    private static ObjectNode forkPullRequest(int number, String headSha, String baseSha, GitRepo fork) {
        // GitHub keeps a pull request's head in the base repository (refs/pull/N/head); runners fetch it from there.
        fork.pushTo(repo, "refs/pull/" + number + "/head");
        ObjectNode p = GitHubEvents.example(
                "pull_request", e -> e.path("action").asText().equals("opened"));
        GitHubEvents.repoint(p, REPO, repo.cloneUrl(), INSTALLATION);
        p.put("action", "opened").put("number", number);
        ObjectNode pr = (ObjectNode) p.path("pull_request");
        pr.put("number", number).put("state", "open");
        ObjectNode head = (ObjectNode) pr.path("head");
        head.put("sha", headSha).put("ref", "feature-" + number);
        ((ObjectNode) head.path("repo"))
                .put("full_name", FORK)
                .put("clone_url", fork.cloneUrl())
                .put("fork", true);
        ObjectNode b = (ObjectNode) pr.path("base");
        b.put("sha", baseSha).put("ref", "main");
        ((ObjectNode) b.path("repo")).put("full_name", REPO).put("clone_url", repo.cloneUrl());
        return p;
    }

    private static JsonNode awaitBuild(String commit, String ref, java.util.function.Predicate<JsonNode> until) {
        JsonNode[] found = new JsonNode[1];
        Ports.await("a build of " + commit + " " + ref, DEADLINE, () -> {
            for (JsonNode b : api.builds(commit)) {
                if (b.path("ref").asText().equals(ref)) {
                    found[0] = b;
                    return until.test(b);
                }
            }
            return false;
        });
        return found[0];
    }

    private static boolean ended(JsonNode b) {
        String s = b.path("state").asText();
        return s.equals("published") || s.equals("failed") || s.equals("cancelled");
    }

    private static String runnerName(String runnerId) {
        return rig.coordinator()
                .log()
                .lines()
                .filter(l -> l.contains("registered " + runnerId + " "))
                .findFirst()
                .orElse("(not registered: " + runnerId + ")");
    }

    private static void startForksRunner() {
        if (forksRunner == null) {
            forksRunner = rig.startRunner(
                    "forks",
                    List.of("linux/amd64"),
                    List.of(),
                    1,
                    true,
                    Map.of(
                            "MULTIARCH_RUNNER_SECRET", PipelineRig.UNTRUSTED_SECRET,
                            "MULTIARCH_CANARY", CANARY,
                            "REGISTRY_PASSWORD", REGISTRY_PASSWORD));
        }
    }

    private static GitRepo fork(String name) throws Exception {
        return GitRepo.create(Files.createDirectories(dir.resolve(name)));
    }

    @Test
    @Order(1)
    void forkBuild_waitsForAnUntrustedRunner_thenRunsThere_seeingNoSecret() throws Exception {
        String baseSha = repo.commit("base", base("hello-pr"));
        GitRepo fork = fork("fork-env");
        Map<String, String> files = new LinkedHashMap<>(base("hello-pr"));
        files.put("Dockerfile", SNOOPING_DOCKERFILE);
        files.remove(".multiarch.yaml");
        String head = fork.commit("print everything", files);
        assertEquals(
                202,
                GitHubEvents.deliver(
                                rig.url() + "/webhook",
                                "pull_request",
                                forkPullRequest(21, head, baseSha, fork),
                                WEBHOOK_SECRET)
                        .status());
        JsonNode queued = awaitBuild(head, "refs/pull/21/head", b -> true);
        assertTrue(queued.path("untrusted").asBoolean(), queued.toString());
        assertFalse(queued.path("push").asBoolean());

        // A newer, trusted build: the trusted runner (waiting all along) takes it, and the older fork job is passed
        // over, though the dispatcher offers the oldest queued job first.
        String trusted = repo.commit("trusted release", base("hello-trusted"));
        repo.tag("v1.0.0");
        long trustedId =
                api.trigger(repo.cloneUrl(), trusted, "refs/tags/v1.0.0", true).get(0);
        JsonNode t = api.awaitEnd(trustedId, DEADLINE);
        assertEquals("published", t.path("state").asText(), t.toString());
        assertTrue(runnerName(t.path("jobs").get(0).path("runner").asText()).contains("(trusted-amd64)"));
        assertEquals(
                1,
                Skopeo.parse(Skopeo.raw(
                                registry.host() + "/hello-trusted:1.0.0", REGISTRY_USER + ":" + REGISTRY_PASSWORD))
                        .path("manifests")
                        .size(),
                "published with the coordinator's login, which the runner got with its job (it has none of its own)");
        JsonNode still = api.build(queued.path("id").asLong());
        assertEquals("queued", still.path("state").asText(), still.toString());
        assertEquals(0, still.path("jobs").get(0).path("attempt").asInt(), "never handed out");

        startForksRunner();
        JsonNode b = awaitBuild(head, "refs/pull/21/head", UntrustedBuildIT::ended);
        assertEquals("published", b.path("state").asText(), b.toString());
        assertTrue(runnerName(b.path("jobs").get(0).path("runner").asText()).contains("(forks)"), b.toString());

        String page = api.page("/builds/" + b.path("id").asLong());
        assertTrue(page.contains("this job does not publish"), "no push credentials");
        assertTrue(page.contains("(no source credentials)"));
        assertTrue(page.contains("untrusted job: a fresh image storage"), page);
        int from = page.indexOf("ENV-BEGIN\n");
        int to = page.indexOf("ENV-END", from);
        assertTrue(from >= 0 && to > from, "the build printed its environment: " + page);
        String env = page.substring(from, to);
        assertTrue(env.contains("PATH="), env);
        assertFalse(env.contains("MULTIARCH_"), env);
        assertFalse(page.contains(CANARY), "the runner's environment stays the runner's");
        assertFalse(page.contains(REGISTRY_PASSWORD), "no registry password anywhere");
        assertFalse(page.contains(PipelineRig.SECRET), "no registration secret anywhere");
        assertFalse(page.contains(PipelineRig.UNTRUSTED_SECRET), "nor the untrusted runners' one");
        assertFalse(page.contains(BUILD_ARG_SECRET), "a secret-looking build arg is never shown");
        assertTrue(page.contains("NPM_TOKEN=***"), "it is shown as NAME=***");

        Path work = rig.runnerWork("forks");
        assertFalse(Files.exists(work.resolve("storage")), "the shared image storage was never used");
        try (var jobs = Files.list(work.resolve("jobs"))) {
            assertEquals(List.of(), jobs.toList(), "the job directory, with its own storage, is gone");
        }
        for (String runner : List.of("forks", "trusted-amd64")) {
            assertEquals(
                    "rw-------",
                    PosixFilePermissions.toString(
                            Files.getPosixFilePermissions(rig.runnerWork(runner).resolve("runner-identity.json"))));
        }
    }

    @Test
    @Order(2)
    void forkDockerfileSymlinkedToTheRunnersIdentity_isRefused() throws Exception {
        startForksRunner();
        String baseSha = repo.commit("base again", base("hello-symlink"));
        GitRepo fork = fork("fork-symlink");
        Map<String, String> files = new LinkedHashMap<>(base("hello-symlink"));
        files.remove("Dockerfile");
        files.remove(".multiarch.yaml");
        // From <work>/jobs/<job>/src/Dockerfile up to <work>/runner-identity.json.
        Files.createSymbolicLink(fork.work().resolve("Dockerfile"), Path.of("../../../runner-identity.json"));
        String head = fork.commit("steal the runner's token", files);
        assertEquals(
                202,
                GitHubEvents.deliver(
                                rig.url() + "/webhook",
                                "pull_request",
                                forkPullRequest(22, head, baseSha, fork),
                                WEBHOOK_SECRET)
                        .status());
        JsonNode b = awaitBuild(head, "refs/pull/22/head", UntrustedBuildIT::ended);
        assertEquals("failed", b.path("state").asText(), b.toString());
        assertTrue(b.path("error").asText().contains("leads outside the repository"), b.toString());
        String token = CoordinatorApi.JSON
                .readTree(
                        rig.runnerWork("forks").resolve("runner-identity.json").toFile())
                .path("token")
                .asText();
        assertFalse(token.isEmpty());
        assertFalse(api.page("/builds/" + b.path("id").asLong()).contains(token), "the token was not read");
        assertFalse(b.toString().contains(rig.runnerWork("forks").toString()), "nor the runner's paths shown");
    }
}
