package dev.multiarch.github;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.multiarch.testing.CoordinatorApi;
import dev.multiarch.testing.GitHubEvents;
import dev.multiarch.testing.GitHubStandIn;
import dev.multiarch.testing.GitRepo;
import dev.multiarch.testing.PipelineRig;
import dev.multiarch.testing.Ports;
import dev.multiarch.testing.RegistryServer;
import dev.multiarch.testing.Skopeo;
import dev.multiarch.testing.TestImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The product end to end with nothing mocked but GitHub: GitHub's real webhook payloads, signed as GitHub signs
 * them, delivered to the coordinator (a process of the real jar) running as a GitHub App against a stand-in that
 * checks every request against GitHub's OpenAPI description; real runners, registry and git repositories.
 */
class GitHubIT {
    static final String REPO = "octo-org/hello";
    /** A second tenant: may publish only under its own namespace. */
    static final String OTHER = "octo-org/other";
    /** A private repository: runners fetch it with a token for it alone. */
    static final String SECRET = "octo-org/secret";

    static final String NEW_SECRET = "webhook-secret-new-0123456789";
    static final String OLD_SECRET = "webhook-secret-old-9876543210";
    static final long INSTALLATION = 4711;
    private static final Duration DEADLINE = Duration.ofMinutes(4);

    @TempDir
    static Path dir;

    static RegistryServer registry;
    static GitHubStandIn github;
    static PipelineRig rig;
    static CoordinatorApi api;
    static GitRepo repo;
    static GitRepo other;
    static GitRepo secret;

    @BeforeAll
    static void start() throws Exception {
        registry = RegistryServer.start();
        Path pem = dir.resolve("app.pem");
        KeyPair key = GitHubEvents.appKey(pem);
        github = new GitHubStandIn(GitHubStandIn.openApi(), "424242", key.getPublic(), null);
        repo = GitRepo.create(Files.createDirectories(dir.resolve("hello")));
        github.repo(REPO, Path.of(repo.cloneUrl()));
        other = GitRepo.create(Files.createDirectories(dir.resolve("other")));
        github.repo(OTHER, Path.of(other.cloneUrl()));
        secret = GitRepo.create(Files.createDirectories(dir.resolve("secret")));
        github.repo(SECRET, Path.of(secret.cloneUrl()));
        github.makePrivate(SECRET);
        rig = new PipelineRig(dir, registry, 6)
                .withConfig(
                        "repositories:\n"
                                + "  - match: " + REPO + "\n    images: [" + registry.host() + "/*]\n"
                                + "  - match: " + OTHER + "\n    images: [" + registry.host() + "/other/*]\n"
                                + "  - match: " + SECRET + "\n    images: [" + registry.host() + "/secret/*]\n"
                                + "github:\n  api-url: " + github.url() + "\n"
                                + "  webhook-secrets: [\"${WH_NEW}\", \"${WH_OLD}\"]\n  app-id: \"424242\"\n"
                                + "  private-key-file: " + pem + "\n  workflows: "
                                + Path.of("workflows").toAbsolutePath() + "\n",
                        Map.of("WH_NEW", NEW_SECRET, "WH_OLD", OLD_SECRET));
        rig.startCoordinator();
        rig.startRunner("gh-amd64", List.of("linux/amd64"), List.of(), 1);
        // Pull requests from forks run only here (untrusted-jobs: true), never on the two runners of trusted builds.
        rig.startRunner("gh-forks", List.of("linux/amd64"), List.of(), 1, true, Map.of());
        rig.startRunner(
                "gh-qemu", List.of(), List.of("linux/arm64", "linux/arm/v7", "linux/ppc64le", "linux/s390x"), 2);
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

    static Map<String, String> project(String image, String platforms, String runStep) {
        Map<String, String> files = new LinkedHashMap<>();
        files.put(
                "Dockerfile",
                "FROM scratch\nARG TARGETARCH\nARG TARGETVARIANT=\n"
                        + "COPY busybox-${TARGETARCH}${TARGETVARIANT} /bin/busybox\n" + runStep);
        files.put("busybox-amd64", "@" + TestImages.busybox("amd64"));
        files.put("busybox-arm64", "@" + TestImages.busybox("arm64"));
        files.put("busybox-armv7", "@" + TestImages.busybox("armhf"));
        files.put("busybox-ppc64le", "@" + TestImages.busybox("ppc64el"));
        files.put("busybox-s390x", "@" + TestImages.busybox("s390x"));
        files.put(".multiarch.yaml", "image: " + registry.host() + "/" + image + "\nplatforms: [" + platforms + "]\n");
        return files;
    }

    static final String RUN = "RUN [\"/bin/busybox\", \"true\"]\n";

    static ObjectNode tagPush(String tag, String commit) {
        ObjectNode p = GitHubEvents.example(
                "push",
                e -> e.path("ref").asText().startsWith("refs/tags/")
                        && e.path("created").asBoolean()
                        && !e.path("deleted").asBoolean());
        GitHubEvents.repoint(p, REPO, repo.cloneUrl(), INSTALLATION);
        p.put("ref", "refs/tags/" + tag).put("after", commit).put("before", "0".repeat(40));
        return p;
    }

    static JsonNode awaitBuild(String commit, String ref) {
        JsonNode[] found = new JsonNode[1];
        Ports.await("a build of " + commit + " " + ref, DEADLINE, () -> {
            for (JsonNode b : api.builds(commit)) {
                if (b.path("ref").asText().equals(ref)) {
                    String s = b.path("state").asText();
                    found[0] = b;
                    return s.equals("published") || s.equals("failed") || s.equals("cancelled");
                }
            }
            return false;
        });
        return found[0];
    }

    @Test
    void tagPush_publishesVerifiedFivePlatformIndex_checkRunsGoPendingToSuccess() {
        String image = "hello";
        String commit = repo.commit(
                "five platforms",
                project(image, "linux/amd64, linux/arm64, linux/arm/v7, linux/ppc64le, linux/s390x", RUN));
        repo.tag("v1.0.0");
        Instant delivered = Instant.now();
        GitHubEvents.Delivered d =
                GitHubEvents.deliver(rig.url() + "/webhook", "push", tagPush("v1.0.0", commit), OLD_SECRET);
        assertEquals(202, d.status(), d.body());
        JsonNode b = awaitBuild(commit, "refs/tags/v1.0.0");
        assertEquals("published", b.path("state").asText(), b.toString());
        assertEquals(List.of("1", "1.0", "1.0.0", "latest"), Skopeo.tags(registry.host() + "/" + image));
        assertEquals(
                5,
                Skopeo.parse(Skopeo.raw(registry.host() + "/" + image + ":1.0.0", null))
                        .get("manifests")
                        .size());
        String page = api.page("/builds/" + b.path("id").asLong());
        assertTrue(page.contains("(with source credentials from the coordinator)"), "a trusted job gets a fetch token");
        assertFalse(page.contains("x-access-token") || page.contains("Basic "), "the token itself is never shown");
        double seconds =
                Duration.between(delivered, Instant.parse(b.path("updatedAt").asText()))
                                .toMillis()
                        / 1000.0;
        String line = String.format(
                java.util.Locale.ROOT, "tag push delivery → index published: %.2f s (5 platforms)%n", seconds);
        System.out.print(line);
        writeMeasurement("github-tag-push.txt", line);

        Ports.await("final check runs", Duration.ofSeconds(60), () -> {
            Map<String, List<String>> runs = CheckRuns.of(github, commit);
            return runs.size() == 6
                    && runs.values().stream().allMatch(l -> l.get(l.size() - 1).equals("completed/success"));
        });
        Map<String, List<String>> runs = CheckRuns.of(github, commit);
        assertTrue(runs.containsKey("multiarch"), runs.toString());
        for (String p : List.of("linux/amd64", "linux/arm64", "linux/arm/v7", "linux/ppc64le", "linux/s390x")) {
            List<String> seq = runs.get("multiarch / " + p);
            assertEquals("in_progress", seq.get(0), p + ": " + seq);
            assertEquals("completed/success", seq.get(seq.size() - 1), p + ": " + seq);
        }
        assertEquals("in_progress", runs.get("multiarch").get(0));
        assertTrue(github.installationTokensMinted() >= 1);
        assertEquals(List.of(), github.violations());
    }

    @Test
    void pullRequest_buildsEveryPlatform_publishesNothing() {
        String base = repo.commit("base for pr", project("hello-pr", "linux/amd64, linux/arm64", RUN));
        String head = repo.commit("pr change", Map.of("CHANGE", "pr\n"));
        ObjectNode p = pullRequest("opened", 7, head, base, REPO, repo.cloneUrl());
        assertEquals(
                202,
                GitHubEvents.deliver(rig.url() + "/webhook", "pull_request", p, NEW_SECRET)
                        .status());
        JsonNode b = awaitBuild(head, "refs/pull/7/head");
        assertEquals("published", b.path("state").asText(), b.toString());
        assertFalse(b.path("push").asBoolean());
        assertEquals(List.of(), Skopeo.tags(registry.host() + "/hello-pr"), "a pull request publishes nothing");
        Ports.await("PR checks", Duration.ofSeconds(60), () -> {
            List<String> overall = CheckRuns.of(github, head).get("multiarch");
            return overall != null && overall.get(overall.size() - 1).equals("completed/success");
        });
        assertEquals(List.of(), github.violations());
    }

    @Test
    void forkPullRequest_isUntrusted_configFromBase_noCredentials_nothingPushed() throws Exception {
        String base = repo.commit("base for fork", project("hello-fork-base", "linux/amd64", RUN));
        GitRepo fork = GitRepo.create(Files.createDirectories(dir.resolve("fork")));
        Map<String, String> files = project("stolen", "linux/amd64", RUN);
        String head = fork.commit("fork wants to publish elsewhere", files);
        // GitHub keeps every pull request's head in the base repository as refs/pull/N/head.
        fork.pushTo(repo, "refs/pull/9/head");
        ObjectNode p = pullRequest("opened", 9, head, base, "forker/hello", "https://evil.example/fork.git");
        ((ObjectNode) p.path("pull_request").path("head").path("repo")).put("fork", true);
        assertEquals(
                202,
                GitHubEvents.deliver(rig.url() + "/webhook", "pull_request", p, NEW_SECRET)
                        .status());
        JsonNode b = awaitBuild(head, "refs/pull/9/head");
        assertEquals("published", b.path("state").asText(), b.toString());
        assertEquals(
                registry.host() + "/hello-fork-base",
                b.path("image").asText(),
                "the base branch's .multiarch.yaml decides, never the fork's");
        assertFalse(b.path("push").asBoolean());
        String page = api.page("/builds/" + b.path("id").asLong());
        assertTrue(page.contains("this job does not publish"), "the runner got no push credentials");
        assertTrue(page.contains("(no source credentials)"), "nor a token to fetch with");
        String digest = b.path("jobs").get(0).path("digest").asText();
        assertFalse(Skopeo.exists(registry.host() + "/hello-fork-base@" + digest), "nothing was pushed");
        assertEquals(List.of(), Skopeo.tags(registry.host() + "/stolen"));
        assertTrue(
                github.gitFetches().stream()
                        .anyMatch(f -> f.repo().equals(REPO) && f.status() == 200 && !f.authorized()),
                "the fork's job fetched from the base repository, without a token: " + github.gitFetches());
        assertTrue(
                github.gitFetches().stream().noneMatch(f -> f.repo().equals("forker/hello")),
                "nothing was fetched from the repository the fork's payload named");
    }

    @Test
    void anotherRepository_namingThisRepositorysImage_isRefusedWithACheck_andTheRegistryIsUnchanged() throws Exception {
        String commit = repo.commit("owner publishes", project("hello-owned", "linux/amd64", RUN));
        GitHubEvents.deliver(rig.url() + "/webhook", "push", tagPush("v7.0.0", commit), NEW_SECRET);
        assertEquals(
                "published",
                awaitBuild(commit, "refs/tags/v7.0.0").path("state").asText());
        List<String> before = Skopeo.tags(registry.host() + "/hello-owned");
        String digestBefore = Skopeo.digest(registry.host() + "/hello-owned:latest");

        String theirs = other.commit("other names hello's image", project("hello-owned", "linux/amd64", RUN));
        ObjectNode push = tagPush("v9.0.0", theirs);
        GitHubEvents.repoint(push, OTHER, "https://evil.example/ignored.git", INSTALLATION);
        assertEquals(
                202,
                GitHubEvents.deliver(rig.url() + "/webhook", "push", push, NEW_SECRET)
                        .status());
        JsonNode b = awaitBuild(theirs, "refs/tags/v9.0.0");
        assertEquals("failed", b.path("state").asText(), b.toString());
        String expected = "repository " + OTHER + " may not publish to " + registry.host() + "/hello-owned: the"
                + " coordinator's repositories: entry '" + OTHER + "' allows only " + registry.host() + "/other/*";
        assertEquals(expected, b.path("error").asText());
        assertEquals(0, b.path("jobs").size(), "refused before any job existed");
        Ports.await("the refusal's check", Duration.ofSeconds(60), () -> {
            List<String> overall = CheckRuns.of(github, theirs).get("multiarch");
            return overall != null && overall.get(overall.size() - 1).equals("completed/failure");
        });
        assertTrue(CheckRuns.lastCall(github, theirs, "multiarch")
                .body()
                .path("output")
                .toString()
                .contains("may not publish to"));
        assertEquals(before, Skopeo.tags(registry.host() + "/hello-owned"));
        assertEquals(digestBefore, Skopeo.digest(registry.host() + "/hello-owned:latest"), "latest did not move");
        assertEquals(List.of(), github.violations());
    }

    @Test
    void repositoryMatchingNoEntry_buildsNothing_andItsCheckSaysHowToAllowIt() throws Exception {
        String name = "stranger/app";
        GitRepo stranger = GitRepo.create(Files.createDirectories(dir.resolve("stranger")));
        github.repo(name, Path.of(stranger.cloneUrl()));
        String commit = stranger.commit("a stranger's app", project("stranger", "linux/amd64", RUN));
        ObjectNode push = tagPush("v1.0.0", commit);
        GitHubEvents.repoint(push, name, "https://evil.example/ignored.git", INSTALLATION);
        assertEquals(
                202,
                GitHubEvents.deliver(rig.url() + "/webhook", "push", push, NEW_SECRET)
                        .status());
        JsonNode b = awaitBuild(commit, "refs/tags/v1.0.0");
        assertEquals("failed", b.path("state").asText());
        assertTrue(
                b.path("error").asText().startsWith("repository stranger/app is not allowed to build here"),
                b.toString());
        assertTrue(b.path("error").asText().contains("- match: stranger/app"));
        assertEquals(0, b.path("jobs").size());
        assertEquals(List.of(), Skopeo.tags(registry.host() + "/stranger"));
        Ports.await("the failed check", Duration.ofSeconds(60), () -> CheckRuns.of(github, commit)
                .containsKey("multiarch"));
        Map<String, List<String>> checks = CheckRuns.of(github, commit);
        assertEquals(List.of("multiarch"), List.copyOf(checks.keySet()), "one check, no platform's: " + checks);
        GitHubStandIn.Call last = CheckRuns.lastCall(github, commit, "multiarch");
        assertEquals(
                "failure", last.body().path("conclusion").asText(), last.body().toString());
        assertTrue(last.body().toString().contains("- match: stranger/app"), "it says how to allow it: " + last.body());
    }

    @Test
    void privateRepository_isFetchedWithATokenForItAlone_readOnly() throws Exception {
        String commit = secret.commit("private fetch", project("secret/app", "linux/amd64", RUN));
        ObjectNode push = tagPush("v8.0.0", commit);
        GitHubEvents.repoint(push, SECRET, "https://evil.example/ignored.git", INSTALLATION);
        ((ObjectNode) push.path("repository")).put("private", true);
        GitHubEvents.deliver(rig.url() + "/webhook", "push", push, NEW_SECRET);
        JsonNode b = awaitBuild(commit, "refs/tags/v8.0.0");
        assertEquals("published", b.path("state").asText(), b.toString());
        assertTrue(
                github.restrictedTokens().contains("secret {contents=read}"),
                "runners get tokens restricted to the repository, contents: read — " + github.restrictedTokens());
        assertTrue(
                github.gitFetches().stream()
                        .anyMatch(f ->
                                f.repo().equals(SECRET) && f.status() == 200 && "secret".equals(f.tokenRepository())),
                github.gitFetches().toString());
        assertTrue(
                github.gitFetches().stream().noneMatch(f -> f.authorized() && f.tokenRepository() == null),
                "the installation's unrestricted token never reaches a runner");
    }

    @Test
    void badOrMissingSignature_isRefused_andNothingIsStored() throws Exception {
        ObjectNode ping = GitHubEvents.example("ping", e -> true);
        byte[] body = CoordinatorApi.JSON.writeValueAsBytes(ping);
        String id = UUID.randomUUID().toString();
        GitHubEvents.Delivered bad = GitHubEvents.deliver(
                rig.url() + "/webhook", "ping", id, body, WebhookSignature.sign("not-the-secret", body));
        assertEquals(403, bad.status());
        assertEquals(
                401,
                GitHubEvents.deliver(rig.url() + "/webhook", "ping", id, body, null)
                        .status());
        GitHubEvents.Delivered good =
                GitHubEvents.deliver(rig.url() + "/webhook", "ping", id, body, WebhookSignature.sign(NEW_SECRET, body));
        assertEquals(202, good.status(), "the refused attempts stored nothing under this delivery id: " + good.body());
        assertEquals(
                200,
                GitHubEvents.deliver(rig.url() + "/webhook", "ping", id, body, WebhookSignature.sign(NEW_SECRET, body))
                        .status(),
                "a redelivery is acknowledged, not processed");
        byte[] form = "payload=%7B%7D".getBytes();
        GitHubEvents.Delivered f = GitHubEvents.deliver(
                rig.url() + "/webhook",
                "ping",
                UUID.randomUUID().toString(),
                form,
                WebhookSignature.sign(NEW_SECRET, form),
                "application/x-www-form-urlencoded");
        assertEquals(415, f.status());
        assertTrue(f.body().contains("must be application/json"), f.body());
    }

    @Test
    void duplicateDelivery_buildsOnce() throws Exception {
        String commit = repo.commit("dup", project("hello-dup", "linux/amd64", RUN));
        byte[] body = CoordinatorApi.JSON.writeValueAsBytes(tagPush("v2.0.0", commit));
        String id = UUID.randomUUID().toString();
        String sig = WebhookSignature.sign(NEW_SECRET, body);
        assertEquals(
                202,
                GitHubEvents.deliver(rig.url() + "/webhook", "push", id, body, sig)
                        .status());
        assertEquals(
                200,
                GitHubEvents.deliver(rig.url() + "/webhook", "push", id, body, sig)
                        .status());
        awaitBuild(commit, "refs/tags/v2.0.0");
        assertEquals(1, api.builds(commit).size());
    }

    @Test
    void invalidMultiarchYaml_failedOverallCheckNamesTheProblem() {
        String commit = repo.commit(
                "bad config",
                Map.of(
                        ".multiarch.yaml",
                        "image: " + registry.host() + "/bad\nplatforms: [linux/amd64]\nplatfroms: oops\n"));
        assertEquals(
                202,
                GitHubEvents.deliver(rig.url() + "/webhook", "push", tagPush("v3.0.0", commit), NEW_SECRET)
                        .status());
        JsonNode b = awaitBuild(commit, "refs/tags/v3.0.0");
        assertEquals("failed", b.path("state").asText());
        Ports.await("the failed check", Duration.ofSeconds(60), () -> CheckRuns.of(github, commit)
                .containsKey("multiarch"));
        GitHubStandIn.Call last = CheckRuns.lastCall(github, commit, "multiarch");
        assertEquals("failure", last.body().path("conclusion").asText());
        assertTrue(
                last.body().at("/output/summary").asText().contains(".multiarch.yaml:3: platfroms: unknown key"),
                last.body().toString());
    }

    @Test
    void gitHubFailingAndRateLimiting_finalStatesStillArrive() {
        String commit = repo.commit("flaky github", project("hello-flaky", "linux/amd64", RUN));
        github.failNext(3, 502, Map.of());
        assertEquals(
                202,
                GitHubEvents.deliver(rig.url() + "/webhook", "push", tagPush("v4.0.0", commit), NEW_SECRET)
                        .status());
        Ports.await("the build to start", DEADLINE, () -> !api.builds(commit).isEmpty());
        github.failNext(
                4,
                403,
                Map.of("X-RateLimit-Remaining", "0", "X-RateLimit-Limit", "5000", "X-RateLimit-Reset", "{now+2}"));
        JsonNode b = awaitBuild(commit, "refs/tags/v4.0.0");
        assertEquals("published", b.path("state").asText(), b.toString());
        Ports.await("final checks despite GitHub's errors", Duration.ofSeconds(90), () -> {
            Map<String, List<String>> runs = CheckRuns.of(github, commit);
            return runs.size() == 2
                    && runs.values().stream().allMatch(l -> l.get(l.size() - 1).equals("completed/success"));
        });
        assertTrue(github.calls().stream().anyMatch(c -> c.status() == 502));
        assertTrue(github.calls().stream().anyMatch(c -> c.status() == 403));
    }

    @Test
    void closedPullRequest_cancelsItsBuild() {
        String base = repo.commit("base for slow pr", project("hello-slow", "linux/amd64", RUN));
        Map<String, String> slow = project("hello-slow", "linux/amd64", "RUN [\"/bin/busybox\", \"sleep\", \"30\"]\n");
        String head = repo.commit("slow pr", slow);
        assertEquals(
                202,
                GitHubEvents.deliver(
                                rig.url() + "/webhook",
                                "pull_request",
                                pullRequest("opened", 11, head, base, REPO, repo.cloneUrl()),
                                NEW_SECRET)
                        .status());
        Ports.await("the PR build to run", DEADLINE, () -> api.builds(head).stream()
                .anyMatch(b -> b.path("state").asText().equals("running")));
        assertEquals(
                202,
                GitHubEvents.deliver(
                                rig.url() + "/webhook",
                                "pull_request",
                                pullRequest("closed", 11, head, base, REPO, repo.cloneUrl()),
                                NEW_SECRET)
                        .status());
        JsonNode b = awaitBuild(head, "refs/pull/11/head");
        assertEquals("cancelled", b.path("state").asText(), b.toString());
        Ports.await("the cancelled check", Duration.ofSeconds(60), () -> {
            List<String> overall = CheckRuns.of(github, head).get("multiarch");
            return overall != null && overall.get(overall.size() - 1).equals("completed/cancelled");
        });
    }

    @Test
    void newerPushToAPullRequest_cancelsTheOlderBuild() {
        String base = repo.commit("base for pushed-to pr", project("hello-sync", "linux/amd64", RUN));
        String first = repo.commit(
                "slow first version",
                project("hello-sync", "linux/amd64", "RUN [\"/bin/busybox\", \"sleep\", \"30\"]\n"));
        assertEquals(
                202,
                GitHubEvents.deliver(
                                rig.url() + "/webhook",
                                "pull_request",
                                pullRequest("opened", 13, first, base, REPO, repo.cloneUrl()),
                                NEW_SECRET)
                        .status());
        Ports.await("the first PR build to run", DEADLINE, () -> api.builds(first).stream()
                .anyMatch(b -> b.path("state").asText().equals("running")));
        String second = repo.commit("fixed version", project("hello-sync", "linux/amd64", RUN));
        assertEquals(
                202,
                GitHubEvents.deliver(
                                rig.url() + "/webhook",
                                "pull_request",
                                pullRequest("synchronize", 13, second, base, REPO, repo.cloneUrl()),
                                NEW_SECRET)
                        .status());
        assertEquals(
                "cancelled",
                awaitBuild(first, "refs/pull/13/head").path("state").asText());
        assertEquals(
                "published",
                awaitBuild(second, "refs/pull/13/head").path("state").asText());
    }

    @Test
    void checkRunRerequested_buildsTheCommitAgain() {
        String commit = repo.commit("rerun", project("hello-rerun", "linux/amd64", RUN));
        assertEquals(
                202,
                GitHubEvents.deliver(rig.url() + "/webhook", "push", tagPush("v5.0.0", commit), NEW_SECRET)
                        .status());
        awaitBuild(commit, "refs/tags/v5.0.0");
        ObjectNode rerun =
                GitHubEvents.example("check_run", e -> e.path("action").asText().equals("rerequested"));
        GitHubEvents.repoint(rerun, REPO, repo.cloneUrl(), INSTALLATION);
        ((ObjectNode) rerun.path("check_run")).put("head_sha", commit);
        assertEquals(
                202,
                GitHubEvents.deliver(rig.url() + "/webhook", "check_run", rerun, NEW_SECRET)
                        .status());
        Ports.await(
                "a second build",
                DEADLINE,
                () -> api.builds(commit).size() == 2
                        && api.builds(commit).stream()
                                .allMatch(b -> b.path("state").asText().equals("published")));
    }

    @Test
    void burstOfDeliveries_acknowledgedInMilliseconds() throws Exception {
        ObjectNode star = GitHubEvents.example("star", e -> true);
        GitHubEvents.repoint(star, REPO, repo.cloneUrl(), INSTALLATION);
        byte[] body = CoordinatorApi.JSON.writeValueAsBytes(star);
        String sig = WebhookSignature.sign(NEW_SECRET, body);
        for (int i = 0; i < 50; i++) {
            GitHubEvents.deliver(
                    rig.url() + "/webhook", "star", UUID.randomUUID().toString(), body, sig);
        }
        List<Long> micros = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            GitHubEvents.Delivered d = GitHubEvents.deliver(
                    rig.url() + "/webhook", "star", UUID.randomUUID().toString(), body, sig);
            assertEquals(202, d.status());
            micros.add(d.micros());
        }
        micros.sort(null);
        String line = String.format(
                java.util.Locale.ROOT,
                "webhook acknowledgement over 300 deliveries "
                        + "(%d bytes, signed, stored): median %.2f ms, p99 %.2f ms, max %.2f ms%n",
                body.length,
                micros.get(150) / 1000.0,
                micros.get(296) / 1000.0,
                micros.get(299) / 1000.0);
        System.out.print(line);
        writeMeasurement("webhook-ack.txt", line);
    }

    static ObjectNode pullRequest(
            String action, int number, String headSha, String baseSha, String headRepo, String headClone) {
        ObjectNode p = GitHubEvents.example(
                "pull_request", e -> e.path("action").asText().equals("opened"));
        GitHubEvents.repoint(p, REPO, repo.cloneUrl(), INSTALLATION);
        p.put("action", action).put("number", number);
        ObjectNode pr = (ObjectNode) p.path("pull_request");
        pr.put("number", number).put("state", action.equals("closed") ? "closed" : "open");
        ObjectNode head = (ObjectNode) pr.path("head");
        head.put("sha", headSha).put("ref", "feature-" + number);
        ((ObjectNode) head.path("repo"))
                .put("full_name", headRepo)
                .put("clone_url", headClone)
                .put("fork", !headRepo.equals(REPO));
        ObjectNode base = (ObjectNode) pr.path("base");
        base.put("sha", baseSha).put("ref", "main");
        ((ObjectNode) base.path("repo")).put("full_name", REPO).put("clone_url", repo.cloneUrl());
        return p;
    }

    static void writeMeasurement(String name, String line) {
        try {
            Files.createDirectories(Path.of("target", "it-logs"));
            Files.writeString(Path.of("target", "it-logs", name), line);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
