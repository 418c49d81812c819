package dev.multiarch.github;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.multiarch.config.ServiceConfig;
import dev.multiarch.dispatch.Dispatcher;
import dev.multiarch.pipeline.Coordinator;
import dev.multiarch.registry.RegistryClient;
import dev.multiarch.source.Git;
import dev.multiarch.store.BuildRecord;
import dev.multiarch.store.JdbcStore;
import dev.multiarch.testing.GitHubEvents;
import dev.multiarch.testing.GitHubStandIn;
import dev.multiarch.testing.GitRepo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
    private RegistryClient registry;
    private GitHubAccess access;
    private EventRouter router;
    private GitRepo repo;

    @BeforeEach
    void setUp() throws Exception {
        store = JdbcStore.embedded(dir.resolve("store"));
        github = new GitHubStandIn(GitHubStandIn.fixtures().resolve("openapi-subset.json"), null, null, "ghp_t");
        repo = GitRepo.create(Files.createDirectories(dir.resolve("repo")));
        github.repo("octo/app", Path.of(repo.cloneUrl()));
        ServiceConfig sc = new ServiceConfig(
                "127.0.0.1",
                0,
                "http://ci.example",
                dir.resolve("store"),
                "0123456789abcdef0123",
                Duration.ofSeconds(30),
                3,
                Duration.ofSeconds(5),
                List.of(),
                dir.resolve("sources"),
                Optional.empty());
        dispatcher = new Dispatcher(store, Duration.ofSeconds(30));
        workers = Executors.newSingleThreadExecutor();
        registry = RegistryClient.builder().create();
        Coordinator coordinator =
                new Coordinator(sc, store, dispatcher, new Git.FileReader(dir.resolve("sources")), registry, workers);
        access = new GitHubAccess(
                GitHubConfig.of(Map.of("webhook-secret", "s", "token", "ghp_t", "api-url", github.url()), dir),
                Clock.systemUTC());
        router = new EventRouter(coordinator, access, Workflow.load(Path.of("workflows")));
    }

    @AfterEach
    void tearDown() {
        access.close();
        registry.close();
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
        assertEquals("reg.example/app", b.image());
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
    void payloadWhoseCommitRefOrCloneUrlCannotBeStored_isIgnored() throws Exception {
        ObjectNode p = tagPush("d".repeat(90));
        assertTrue(router.route("push", p, "d-1").startsWith("ignored: 'ddd"), router.route("push", p, "d-1b"));
        p.put("after", "e".repeat(40)).put("ref", "refs/heads/" + "b".repeat(600));
        assertEquals("ignored: the ref is 611 characters long; at most 500", router.route("push", p, "d-2"));
        p.put("ref", "refs/tags/v1.0.0");
        ((ObjectNode) p.path("repository")).put("clone_url", "https://x.example/" + "c".repeat(2000));
        assertEquals("ignored: the clone URL is 2018 characters long; at most 2,000", router.route("push", p, "d-3"));
        assertEquals(0, store.recentBuilds(10).size());
    }
}
