package dev.multiarch.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.access.AccessPolicy;
import dev.multiarch.config.ServiceConfig;
import dev.multiarch.dispatch.Dispatcher;
import dev.multiarch.dispatch.Protocol;
import dev.multiarch.source.Git;
import dev.multiarch.store.BuildRecord;
import dev.multiarch.store.JdbcStore;
import dev.multiarch.store.JobRecord;
import dev.multiarch.store.NewBuild;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the coordinator hands out for untrusted builds: nothing secret, whatever was asked for. */
class CoordinatorTrustTest {
    private static final String CONFIG = "image: registry.example/o/app\nplatforms: [linux/amd64]\n";

    @TempDir
    Path dir;

    private JdbcStore store;
    private Dispatcher dispatcher;
    private ExecutorService workers;
    private Coordinator coordinator;

    @BeforeEach
    void setUp() {
        store = JdbcStore.embedded(dir.resolve("store"));
        ServiceConfig sc = ServiceConfig.builder(dir.resolve("store"), "0123456789abcdef0123")
                .port(0)
                .publicUrl("http://ci.example")
                .longPoll(Duration.ofSeconds(5))
                .registries(List.of(
                        new ServiceConfig.Registry(null, "other.example", false, "someone", "else", null),
                        new ServiceConfig.Registry(null, "registry.example", false, "ci-bot", "s3cret", null)))
                .sourceCache(dir.resolve("sources"))
                .build();
        dispatcher = new Dispatcher(store, Duration.ofSeconds(30));
        workers = Executors.newSingleThreadExecutor();
        coordinator = new Coordinator(sc, store, dispatcher, new Git.FileReader(dir.resolve("sources")), workers);
        coordinator.sourceCredentials(b -> Optional.of("Bearer ghs_installation_token"));
    }

    @AfterEach
    void tearDown() {
        coordinator.close();
        workers.shutdownNow();
        dispatcher.close();
        store.close();
    }

    private static Trigger trigger(boolean untrusted) {
        return Trigger.builder()
                .repo("o/app")
                .cloneUrl("https://github.com/fork/app.git")
                .commit("b".repeat(40))
                .ref("refs/pull/9/head")
                .push(true)
                .explicitTags(List.of("pr-9"))
                .untrusted(untrusted)
                .build();
    }

    private Protocol.Assignment assignmentFor(BuildRecord b) {
        JobRecord j = store.jobs(b.id()).get(0);
        return coordinator.assignment(j);
    }

    @Test
    void untrustedTrigger_isPlannedWithoutPublishing_evenWhenItAsksToPublish() {
        NewBuild nb =
                Planner.plan(trigger(true), CONFIG, AccessPolicy.of(List.of())).get(0);
        assertTrue(nb.untrusted());
        assertFalse(nb.push(), "a fork never publishes");
        assertEquals("[]", nb.tags(), "and plans no tags");
    }

    @Test
    void untrustedTriggerOfAPrivateRepository_staysPrivate_whenItsPublishingIsTakenAway() {
        NewBuild nb = Planner.plan(trigger(true).withPrivateRepo(true), CONFIG, AccessPolicy.of(List.of()))
                .get(0);
        assertFalse(nb.push());
        assertTrue(nb.privateRepo());
        assertTrue(
                Planner.plan(trigger(false).withPrivateRepo(true), "not: [valid", AccessPolicy.of(List.of()))
                        .get(0)
                        .privateRepo(),
                "a failed plan keeps the flag too");
    }

    @Test
    void untrustedBuild_getsNoPushAndNoSourceCredentials_andIsMarkedUntrusted() {
        BuildRecord b = coordinator.create(trigger(true), CONFIG).get(0);
        Protocol.Assignment a = assignmentFor(b);
        assertTrue(a.untrusted());
        assertNull(a.push());
        assertNull(a.sourceAuth(), "the source credentials provider is not even asked");
    }

    @Test
    void trustedBuild_getsTheCoordinatorsCredentials_forItsRegistryOnly() {
        BuildRecord b = coordinator.create(trigger(false), CONFIG).get(0);
        Protocol.Assignment a = assignmentFor(b);
        assertFalse(a.untrusted());
        assertEquals("registry.example", a.push().registry());
        assertEquals("ci-bot", a.push().username());
        assertEquals("s3cret", a.push().password());
        assertEquals("Bearer ghs_installation_token", a.sourceAuth());
        assertEquals("o/app", a.repo(), "the tenant, which keys the runner's layer cache");
    }

    @Test
    void layerCache_writtenOnlyByATrustedBuildThatPublishes_readByTheOthers_perPlatform() {
        Protocol.Assignment trusted =
                assignmentFor(coordinator.create(trigger(false), CONFIG).get(0));
        assertEquals("registry.example/o/app/cache/linux-amd64", trusted.cache().repository());
        assertTrue(trusted.cache().write());

        Protocol.Assignment fork =
                assignmentFor(coordinator.create(trigger(true), CONFIG).get(0));
        assertEquals("registry.example/o/app/cache/linux-amd64", fork.cache().repository());
        assertFalse(fork.cache().write(), "a fork's build reads the cache and never writes it");

        Trigger noPush = Trigger.builder()
                .repo("o/app")
                .cloneUrl("https://github.com/o/app.git")
                .commit("c".repeat(40))
                .ref("refs/pull/3/head")
                .build();
        Protocol.Assignment check =
                assignmentFor(coordinator.create(noPush, CONFIG).get(0));
        assertNull(check.push());
        assertFalse(check.cache().write(), "no push credentials, nothing to write the cache with");

        Protocol.Assignment off = assignmentFor(
                coordinator.create(trigger(false), CONFIG + "cache: false\n").get(0));
        assertNull(off.cache());
    }

    @Test
    void layerCache_anotherRepositorysCache_isRefused_evenWhenAnOwnerWideRuleCoversIt() {
        AccessPolicy acme = AccessPolicy.of(
                List.of(new ServiceConfig.RepositoryRule("acme/*", List.of("registry.example/acme/*"), null)));
        Trigger b = Trigger.builder()
                .repo("acme/b")
                .cloneUrl("https://github.com/acme/b.git")
                .commit("d".repeat(40))
                .ref("refs/tags/v1.0.0")
                .push(true)
                .explicitTags(List.of("v1.0.0"))
                .build();
        String config = "image: registry.example/acme/b\nplatforms: [linux/amd64]\n";
        assertNull(Planner.plan(b, config, acme).get(0).failedWith(), "its own default cache is fine");
        NewBuild theirs = Planner.plan(b, config + "cache: registry.example/acme/a/cache\n", acme)
                .get(0);
        assertTrue(
                theirs.failedWith().startsWith(".multiarch.yaml:3: cache: the cache must be under the image's own"),
                theirs.failedWith());
        assertTrue(theirs.jobs().isEmpty(), "refused before any job exists");
    }

    @Test
    void layerCache_aStoredCacheOutsideItsImage_isNotHandedToARunner() {
        NewBuild planned =
                Planner.plan(trigger(false), CONFIG, AccessPolicy.of(List.of())).get(0);
        BuildSpec spec = BuildSpec.fromJson(planned.spec());
        // As a build stored before caches had to be under their image would be, re-run now.
        String stale = new BuildSpec(
                        spec.dockerfile(),
                        spec.context(),
                        spec.buildArgs(),
                        spec.format(),
                        spec.perArchTags(),
                        spec.annotations(),
                        spec.provenance(),
                        spec.mirrors(),
                        "registry.example/someone-else/cache")
                .toJson();
        BuildRecord b = store.createBuild(NewBuild.builder()
                .repo(planned.repo())
                .cloneUrl(planned.cloneUrl())
                .commit(planned.commit())
                .ref(planned.ref())
                .image(planned.image())
                .spec(stale)
                .tags(planned.tags())
                .version(planned.version())
                .push(planned.push())
                .untrusted(planned.untrusted())
                .privateRepo(planned.privateRepo())
                .trigger(planned.trigger())
                .jobs(planned.jobs())
                .build());
        Protocol.Assignment a = assignmentFor(b);
        assertNotNull(a.push());
        assertNull(a.cache(), "no registry cache rather than one that may be another repository's");
    }

    @Test
    void layerCache_thePolicyDecidesWhereACacheMayGo() {
        AccessPolicy policy = AccessPolicy.of(List.of(new ServiceConfig.RepositoryRule(
                "o/app", List.of("registry.example/o/app", "registry.example/o/app/cache/*"), null)));
        NewBuild ok = Planner.plan(trigger(false), CONFIG, policy).get(0);
        assertNull(ok.failedWith(), ok.failedWith());

        NewBuild elsewhere = Planner.plan(trigger(false), CONFIG + "cache: registry.example/o/app/layers\n", policy)
                .get(0);
        assertTrue(
                elsewhere.failedWith().contains("layer cache")
                        && elsewhere
                                .failedWith()
                                .contains("may not publish to registry.example/o/app/layers/linux-amd64"),
                elsewhere.failedWith());
        assertTrue(elsewhere.jobs().isEmpty(), "refused before any job exists");

        AccessPolicy imageOnly = AccessPolicy.of(
                List.of(new ServiceConfig.RepositoryRule("o/app", List.of("registry.example/o/app"), null)));
        NewBuild noCache = Planner.plan(trigger(false), CONFIG, imageOnly).get(0);
        assertTrue(noCache.failedWith().contains("cache: false"), noCache.failedWith());
        assertNull(Planner.plan(trigger(false), CONFIG + "cache: false\n", imageOnly)
                .get(0)
                .failedWith());
    }
}
