package dev.multiarch.github;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.multiarch.config.ServiceConfig;
import dev.multiarch.dispatch.Dispatcher;
import dev.multiarch.pipeline.Coordinator;
import dev.multiarch.source.Git;
import dev.multiarch.store.BuildRecord;
import dev.multiarch.store.JdbcStore;
import dev.multiarch.store.NewBuild;
import dev.multiarch.testing.GitHubEvents;
import dev.multiarch.testing.GitHubStandIn;
import dev.multiarch.testing.GitRepo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Routing GitHub's real payloads into builds, with a real store and the GitHub stand-in; no runners needed. */
class EventRouterTest {
    @TempDir
    Path dir;

    private JdbcStore store;
    private GitHubStandIn github;
    private Dispatcher dispatcher;
    private ExecutorService workers;
    private GitHubAccess access;
    private EventRouter router;
    private Coordinator coordinator;
    private GitRepo repo;

    @BeforeEach
    void setUp() throws Exception {
        store = JdbcStore.embedded(dir.resolve("store"));
        github = new GitHubStandIn(GitHubStandIn.fixtures().resolve("openapi-subset.json"), null, null, "ghp_t");
        repo = GitRepo.create(Files.createDirectories(dir.resolve("repo")));
        github.repo("octo/app", Path.of(repo.cloneUrl()));
        ServiceConfig sc = ServiceConfig.builder(dir.resolve("store"), "0123456789abcdef0123")
                .port(0)
                .publicUrl("http://ci.example")
                .longPoll(Duration.ofSeconds(5))
                .sourceCache(dir.resolve("sources"))
                .build();
        dispatcher = new Dispatcher(store, Duration.ofSeconds(30));
        workers = Executors.newSingleThreadExecutor();
        coordinator = new Coordinator(sc, store, dispatcher, new Git.FileReader(dir.resolve("sources")), workers);
        access = new GitHubAccess(
                GitHubConfig.of(Map.of("webhook-secret", "s", "token", "ghp_t", "api-url", github.url()), dir),
                Clock.systemUTC());
        router = new EventRouter(coordinator, access, Workflow.load(Path.of("workflows")));
    }

    @AfterEach
    void tearDown() {
        access.close();
        coordinator.close();
        workers.shutdownNow();
        dispatcher.close();
        store.close();
        github.close();
    }

    private ObjectNode tagPush(String commit) {
        ObjectNode p = GitHubEvents.example(
                "push",
                e -> e.path("ref").asText().startsWith("refs/tags/")
                        && e.path("created").asBoolean()
                        && !e.path("deleted").asBoolean());
        GitHubEvents.repoint(p, "octo/app", repo.cloneUrl(), 0);
        p.remove("installation");
        return p.put("ref", "refs/tags/v1.0.0").put("after", commit);
    }

    @Test
    void repositoryNoRuleCovers_getsItsFailedBuild_withoutItsConfigBeingRead() throws Exception {
        String commit =
                repo.commit("c", Map.of(".multiarch.yaml", "image: reg.example/app\nplatforms: [linux/amd64]\n"));
        ServiceConfig ruled = ServiceConfig.builder(dir.resolve("store"), "0123456789abcdef0123")
                .port(0)
                .publicUrl("http://ci.example")
                .sourceCache(dir.resolve("sources"))
                .repositories(
                        List.of(new ServiceConfig.RepositoryRule("other/*", List.of("reg.example/other/*"), null)))
                .build();
        Coordinator strict =
                new Coordinator(ruled, store, dispatcher, new Git.FileReader(dir.resolve("sources")), workers);
        try {
            new EventRouter(strict, access, Workflow.load(Path.of("workflows")))
                    .route("push", tagPush(commit), "delivery-refused");
            BuildRecord b = store.recentBuilds(1).get(0);
            assertEquals("FAILED", b.state().name());
            assertTrue(b.error().contains("octo/app is not allowed to build here"), b.error());
            assertTrue(
                    github.calls().stream().noneMatch(c -> c.path().contains("/contents/")),
                    "nothing read for a repository the rules refuse: " + github.calls());
            assertTrue(
                    github.calls().stream().noneMatch(c -> c.path().contains("/access_tokens")),
                    "no token minted for it: " + github.calls());
        } finally {
            strict.close();
        }
    }

    @Test
    void pushFromAnInstallationGitHubDoesNotKnow_buildsNothing_andAKnownOneDoes() throws Exception {
        Path pem = dir.resolve("app.pem");
        java.security.KeyPair key = GitHubEvents.appKey(pem);
        GitHubStandIn app = new GitHubStandIn(GitHubStandIn.openApi(), "424242", key.getPublic(), null);
        app.repo("octo/app", Path.of(repo.cloneUrl()));
        GitHubAccess appAccess = new GitHubAccess(TestApp.config(pem, app.url(), dir), Clock.systemUTC());
        try {
            EventRouter appRouter = new EventRouter(coordinator, appAccess, Workflow.load(Path.of("workflows")));
            String commit =
                    repo.commit("c", Map.of(".multiarch.yaml", "image: reg.example/app\nplatforms: [linux/amd64]\n"));
            ObjectNode unknown = GitHubEvents.repoint(tagPush(commit), "octo/app", repo.cloneUrl(), 999);
            java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(
                    java.io.IOException.class, () -> appRouter.route("push", unknown, "d-unknown"));
            assertEquals(List.of(), store.recentBuilds(10), "nothing built: " + e);
            assertTrue(
                    e instanceof GitHubAccess.ApiError a && a.noSuchInstallation(),
                    "recorded as ignored at once, not tried again 8 times: " + e);
            assertEquals(0, app.installationTokensMinted());
            ObjectNode known =
                    GitHubEvents.repoint(tagPush(commit), "octo/app", repo.cloneUrl(), GitHubStandIn.INSTALLATION);
            String note = appRouter.route("push", known, "d-known");
            assertTrue(note.startsWith("release: build(s) #"), note);
            assertTrue(app.installationTokensMinted() > 0);
        } finally {
            appAccess.close();
            app.close();
        }
    }

    @Test
    void sameDeliveryRoutedTwice_buildsOnce() throws Exception {
        String commit =
                repo.commit("c", Map.of(".multiarch.yaml", "image: reg.example/app\nplatforms: [linux/amd64]\n"));
        String first = router.route("push", tagPush(commit), "delivery-1");
        assertTrue(first.startsWith("release: build(s) #1"), first);
        String again = router.route("push", tagPush(commit), "delivery-1");
        assertEquals("already handled: build(s) #1", again);
        assertEquals(1, store.recentBuilds(10).size());
        Origin o = Origin.of(store.recentBuilds(10).get(0).trigger());
        assertEquals("delivery-1", o.delivery());
        assertEquals(List.of(), github.violations());
    }

    @Test
    void forkPullRequest_readsTheBaseConfig_andIsUntrusted() throws Exception {
        String base =
                repo.commit("base", Map.of(".multiarch.yaml", "image: reg.example/app\nplatforms: [linux/amd64]\n"));
        ObjectNode p = GitHubEvents.example(
                "pull_request", e -> e.path("action").asText().equals("opened"));
        GitHubEvents.repoint(p, "octo/app", repo.cloneUrl(), 0);
        p.remove("installation");
        ObjectNode pr = (ObjectNode) p.path("pull_request");
        ((ObjectNode) pr.path("base")).put("sha", base).put("ref", "main");
        ((ObjectNode) pr.path("base").path("repo")).put("full_name", "octo/app");
        ((ObjectNode) pr.path("head")).put("sha", "f".repeat(40));
        ((ObjectNode) pr.path("head").path("repo"))
                .put("full_name", "mallory/app")
                .put("clone_url", "/nonexistent");
        String note = router.route("pull_request", p, "delivery-pr");
        assertTrue(note.contains("fork: untrusted, config from main, no credentials"), note);
        BuildRecord b = store.recentBuilds(1).get(0);
        assertEquals("reg.example/app", b.image().toString());
        assertFalse(b.push());
        assertTrue(Origin.of(b.trigger()).fork());
        assertTrue(
                github.calls().stream()
                        .anyMatch(c -> c.path().endsWith("/contents/.multiarch.yaml")
                                && c.query().contains("ref=" + base)),
                "the config was read at the base commit");
    }

    @Test
    void deletedTag_isRecordedAndBuildsNothing_checkSuiteRequestedIsIgnored() throws Exception {
        ObjectNode deleted = GitHubEvents.example("push", e -> e.path("deleted").asBoolean());
        GitHubEvents.repoint(deleted, "octo/app", repo.cloneUrl(), 0);
        assertTrue(router.route("push", deleted, "d-del").startsWith("recorded: refs/tags/"));
        ObjectNode suite = GitHubEvents.example(
                "check_suite", e -> e.path("action").asText().equals("requested"));
        GitHubEvents.repoint(suite, "octo/app", repo.cloneUrl(), 0);
        assertEquals("ignored: check_suite requested", router.route("check_suite", suite, "d-suite"));
        assertTrue(router.route("star", deleted, "d-star").startsWith("ignored: multiarch does not act on star"));
        assertEquals(0, store.recentBuilds(10).size());
    }

    @Test
    void deliveryOlderThanAThousandBuilds_isStillRecognised_andAReRunStillFindsItsCommit() throws Exception {
        String commit =
                repo.commit("c", Map.of(".multiarch.yaml", "image: reg.example/app\nplatforms: [linux/amd64]\n"));
        String first = router.route("push", tagPush(commit), "delivery-old");
        assertTrue(first.startsWith("release: build(s) #1"), first);
        // Older than the 500 newest builds the delivery lookup used to scan and the 1,000 the re-run lookup did.
        for (int i = 0; i < 1_001; i++) {
            String sha = String.format("%040x", i);
            store.createBuild(NewBuild.builder()
                    .repo("octo/other")
                    .cloneUrl("https://github.example/octo/other.git")
                    .commit(sha)
                    .ref("refs/heads/main")
                    .trigger(new Origin("octo/other", sha, 0, 0, "main", false, "delivery-" + i, sha).toJson())
                    .failedWith("not built: filler")
                    .build());
        }
        assertEquals("already handled: build(s) #1", router.route("push", tagPush(commit), "delivery-old"));

        ObjectNode suite = GitHubEvents.example(
                "check_suite", e -> e.path("action").asText().equals("requested"));
        GitHubEvents.repoint(suite, "octo/app", repo.cloneUrl(), 0);
        suite.remove("installation");
        suite.put("action", "rerequested");
        ((ObjectNode) suite.path("check_suite")).put("head_sha", commit);
        String rerun = router.route("check_suite", suite, "delivery-rerun");
        assertTrue(rerun.startsWith("re-run of " + commit.substring(0, 12) + ": build(s) #1003"), rerun);
    }

    @Test
    void reRunOfACheckRunOrSuite_reRunsItsOwnBuild_notTheNewestOfTheCommit() throws Exception {
        String commit =
                repo.commit("c", Map.of(".multiarch.yaml", "image: reg.example/app\nplatforms: [linux/amd64]\n"));
        router.route("push", tagPush(commit), "d-v1");
        BuildRecord v1 = store.recentBuilds(1).get(0);
        router.route("push", tagPush(commit).put("ref", "refs/tags/v2.0.0"), "d-v2");
        BuildRecord v2 = store.recentBuilds(1).get(0);
        assertTrue(v2.id() > v1.id() && v2.ref().equals("refs/tags/v2.0.0"), v2.ref());

        ObjectNode run =
                GitHubEvents.example("check_run", e -> e.path("action").asText().equals("rerequested"));
        GitHubEvents.repoint(run, "octo/app", repo.cloneUrl(), 0);
        run.remove("installation");
        ((ObjectNode) run.path("check_run")).put("head_sha", commit).put("external_id", v1.id() + "/multiarch");
        assertTrue(router.route("check_run", run, "d-rerun-run").startsWith("re-run of "));
        assertEquals("refs/tags/v1.0.0", store.recentBuilds(1).get(0).ref(), "the check run's own build");

        // Its check suite, once the reporter recorded it; a suite nothing recorded falls back to the commit's newest.
        store.recordCheckSuite(v1.id(), 555);
        ObjectNode suite = GitHubEvents.example(
                "check_suite", e -> e.path("action").asText().equals("requested"));
        GitHubEvents.repoint(suite, "octo/app", repo.cloneUrl(), 0);
        suite.remove("installation");
        suite.put("action", "rerequested");
        ((ObjectNode) suite.path("check_suite")).put("head_sha", commit).put("id", 555);
        assertTrue(router.route("check_suite", suite, "d-rerun-suite").startsWith("re-run of "));
        assertEquals("refs/tags/v1.0.0", store.recentBuilds(1).get(0).ref(), "the suite's build");
        ((ObjectNode) suite.path("check_suite")).put("id", 556);
        router.route("check_suite", suite, "d-rerun-other-suite");
        BuildRecord newest = store.recentBuilds(1).get(0);
        assertEquals("refs/tags/v1.0.0", newest.ref(), "the newest build of the commit: the last re-run");

        // An external id naming a build of another commit (or not a build id at all) names nothing.
        String other = repo.commit("d", Map.of("x", "y"));
        router.route("push", tagPush(other).put("ref", "refs/tags/v3.0.0"), "d-v3");
        ((ObjectNode) run.path("check_run"))
                .put("external_id", store.recentBuilds(1).get(0).id() + "/multiarch");
        router.route("check_run", run, "d-rerun-wrong-commit");
        assertEquals("refs/tags/v1.0.0", store.recentBuilds(1).get(0).ref(), "not the other commit's v3 build");
        ((ObjectNode) run.path("check_run")).put("external_id", "99999999999999999999999/x");
        assertTrue(router.route("check_run", run, "d-rerun-junk").startsWith("re-run of "));
    }

    @Test
    void closedPullRequest_cancelsItsQueuedBuilds_andNoOtherPullRequests() throws Exception {
        String head =
                repo.commit("pr", Map.of(".multiarch.yaml", "image: reg.example/app\nplatforms: [linux/amd64]\n"));
        ObjectNode opened = GitHubEvents.example(
                "pull_request", e -> e.path("action").asText().equals("opened"));
        GitHubEvents.repoint(opened, "octo/app", repo.cloneUrl(), 0);
        opened.remove("installation");
        ObjectNode pr = (ObjectNode) opened.path("pull_request");
        ((ObjectNode) pr.path("base")).put("sha", head).put("ref", "main");
        ((ObjectNode) pr.path("base").path("repo")).put("full_name", "octo/app");
        ((ObjectNode) pr.path("head")).put("sha", head);
        ((ObjectNode) pr.path("head").path("repo")).put("full_name", "octo/app");
        int number = pr.path("number").asInt();
        router.route("pull_request", opened, "d-open");
        ObjectNode other = opened.deepCopy();
        ((ObjectNode) other.path("pull_request")).put("number", number + 1);
        router.route("pull_request", other, "d-other");
        assertEquals(2, store.buildsIn(dev.multiarch.store.BuildState.QUEUED).size());

        ObjectNode closed = opened.deepCopy().put("action", "closed");
        assertEquals(
                "pull request #" + number + " closed: cancelled 1 build(s)",
                router.route("pull_request", closed, "d-close"));
        assertEquals(
                List.of(number + 1),
                store.buildsIn(dev.multiarch.store.BuildState.QUEUED).stream()
                        .map(b -> Origin.of(b.trigger()).pr())
                        .toList(),
                "the other pull request's build is still queued");
    }

    @Test
    void privateRepository_pushAndPullRequestCarryPayloadFlag_reRunKeepsIt() throws Exception {
        String commit =
                repo.commit("c", Map.of(".multiarch.yaml", "image: reg.example/app\nplatforms: [linux/amd64]\n"));
        ObjectNode push = tagPush(commit);
        ((ObjectNode) push.path("repository")).put("private", true);
        router.route("push", push, "d-private");
        BuildRecord pushed = store.recentBuilds(1).get(0);
        assertTrue(pushed.privateRepo(), "repository.private: true");

        ObjectNode rerun =
                GitHubEvents.example("check_run", e -> e.path("action").asText().equals("rerequested"));
        GitHubEvents.repoint(rerun, "octo/app", repo.cloneUrl(), 0);
        rerun.remove("installation");
        ((ObjectNode) rerun.path("check_run")).put("head_sha", commit);
        ((ObjectNode) rerun.path("repository")).put("private", false);
        String note = router.route("check_run", rerun, "d-rerun");
        assertTrue(note.startsWith("re-run of "), note);
        BuildRecord again = store.recentBuilds(1).get(0);
        assertTrue(again.id() > pushed.id());
        assertTrue(again.privateRepo(), "a re-run is never more visible than its first run");

        ObjectNode pr = GitHubEvents.example(
                "pull_request", e -> e.path("action").asText().equals("opened"));
        GitHubEvents.repoint(pr, "octo/app", repo.cloneUrl(), 0);
        pr.remove("installation");
        ((ObjectNode) pr.path("repository")).put("private", true);
        ((ObjectNode) pr.path("pull_request").path("base")).put("ref", "main");
        ((ObjectNode) pr.path("pull_request").path("base").path("repo")).put("full_name", "octo/app");
        ((ObjectNode) pr.path("pull_request").path("head")).put("sha", commit);
        ((ObjectNode) pr.path("pull_request").path("head").path("repo")).put("full_name", "octo/app");
        router.route("pull_request", pr, "d-pr");
        assertTrue(store.recentBuilds(1).get(0).privateRepo(), "the base repository is private");

        ObjectNode publicPush = tagPush(commit);
        router.route("push", publicPush, "d-public");
        assertFalse(store.recentBuilds(1).get(0).privateRepo(), "repository.private: false");
        ObjectNode unsaid = tagPush(commit);
        ((ObjectNode) unsaid.path("repository")).remove("private");
        router.route("push", unsaid, "d-unsaid");
        assertTrue(store.recentBuilds(1).get(0).privateRepo(), "a payload that does not say is taken as private");
        assertEquals(List.of(), github.violations());
    }

    @Test
    void reRunOfABuildThatFailedWhilePublishing_publishesWhereMissing_insteadOfBuildingAgain() throws Exception {
        // Nothing listens on port 9: the republish's own registry requests fail at once, no DNS involved.
        String commit = repo.commit(
                "c",
                Map.of(".multiarch.yaml", "image: [127.0.0.1:9/app, 127.0.0.1:9/mirror]\nplatforms: [linux/amd64]\n"));
        router.route("push", tagPush(commit), "d-mirrors");
        BuildRecord b = store.recentBuilds(1).get(0);
        // Built, verified, published to the first registry, failed at the mirror.
        dev.multiarch.store.JobRecord j = store.jobs(b.id()).get(0);
        store.claimJob(j.id(), "r1", java.time.Instant.now().plusSeconds(60)).orElseThrow();
        store.completeJob(
                j.id(), "r1", 1, dev.multiarch.store.JobResult.success("sha256:" + "1".repeat(64), "m", 10, 1));
        store.moveBuild(
                b.id(), dev.multiarch.store.BuildState.VERIFYING, dev.multiarch.store.BuildState.PUBLISHING, null);
        String digest = "sha256:" + "a".repeat(64);
        store.setPublication(
                b.id(),
                0,
                "127.0.0.1:9/app",
                dev.multiarch.store.PublicationState.PUBLISHED,
                dev.multiarch.registry.Digest.parse(digest),
                null);
        store.setPublication(
                b.id(), 1, "127.0.0.1:9/mirror", dev.multiarch.store.PublicationState.FAILED, null, "DENIED");
        store.markPartlyPublished(
                b.id(),
                dev.multiarch.registry.Digest.parse(digest),
                "{}",
                "published to 127.0.0.1:9/app; 127.0.0.1:9/mirror failed");

        ObjectNode rerun =
                GitHubEvents.example("check_run", e -> e.path("action").asText().equals("rerequested"));
        GitHubEvents.repoint(rerun, "octo/app", repo.cloneUrl(), 0);
        rerun.remove("installation");
        ((ObjectNode) rerun.path("check_run")).put("head_sha", commit);
        String note = router.route("check_run", rerun, "d-rerun-mirrors");
        assertEquals(
                "re-run of " + commit.substring(0, 12) + ": publishing build(s) [" + b.id()
                        + "] where the index is missing",
                note);
        assertEquals(1, store.recentBuilds(10).size(), "nothing is built again");
    }

    /** EventRouterFuzzTest found it: github-api threw IllegalArgumentException, and the delivery was marked failed. */
    @Test
    void payloadWithoutAnOwnerSlashName_isIgnored() throws Exception {
        ObjectNode p = tagPush("a".repeat(40));
        ((ObjectNode) p.path("repository")).put("full_name", "no-owner");
        assertEquals(
                "ignored: the payload's repository 'no-owner' is not an owner/name", router.route("push", p, "d-1"));
        p.remove("repository");
        assertEquals("ignored: the payload's repository '' is not an owner/name", router.route("push", p, "d-2"));
        p.putObject("repository").put("full_name", "octo/..");
        assertTrue(router.route("push", p, "d-3").startsWith("ignored: the payload's repository 'octo/..'"));
        assertEquals(0, store.recentBuilds(10).size());
        assertEquals(List.of(), github.calls());
    }

    /**
     * EventRouterFuzzTest found it: a push whose commit was longer than the store's 64 characters failed the delivery
     * with the store's "Value too long for column".
     */
    @Test
    void payloadWhoseCommitOrRefCannotBeStored_isIgnored() throws Exception {
        ObjectNode p = tagPush("d".repeat(90));
        assertTrue(router.route("push", p, "d-1").startsWith("ignored: 'ddd"), router.route("push", p, "d-1b"));
        p.put("after", "e".repeat(40)).put("ref", "refs/heads/" + "b".repeat(600));
        assertEquals("ignored: the ref is 611 characters long; at most 500", router.route("push", p, "d-2"));
        assertEquals(0, store.recentBuilds(10).size());
    }
}
