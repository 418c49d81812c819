package dev.multiarch.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.config.ServiceConfig;
import dev.multiarch.dispatch.Dispatcher;
import dev.multiarch.platform.Platform;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.source.Git;
import dev.multiarch.store.BuildRecord;
import dev.multiarch.store.BuildState;
import dev.multiarch.store.JdbcStore;
import dev.multiarch.store.NewBuild;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code repositories:} rules are checked again right before a build publishes (finishing, after a restart, on a
 * re-run): an operator who took a registry out of a rule, or the repository out of every rule, since the build was
 * planned stops it. Nothing here reaches a registry: a refused build fails before any request.
 */
class CoordinatorPolicyTest {
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
                // Shared credentials for both hosts: a repository no rule covers must not fall back to them.
                .registries(List.of(
                        new ServiceConfig.Registry(null, "registry.example", false, "ci-bot", "s3cret", null),
                        new ServiceConfig.Registry(null, "mirror.example", false, "ci-bot", "s3cret", null)))
                // The mirror was taken out of o/app's rule after its build was planned.
                .repositories(List.of(new ServiceConfig.RepositoryRule("o/app", List.of("registry.example/o/*"), null)))
                .sourceCache(dir.resolve("sources"))
                .build();
        dispatcher = new Dispatcher(store, Duration.ofSeconds(30));
        workers = Executors.newSingleThreadExecutor();
        coordinator = new Coordinator(sc, store, dispatcher, new Git.FileReader(dir.resolve("sources")), workers);
    }

    @AfterEach
    void tearDown() {
        coordinator.close();
        workers.shutdownNow();
        dispatcher.close();
        store.close();
    }

    private BuildRecord publishing(String repo, List<String> mirrors) {
        BuildSpec spec = new BuildSpec("Dockerfile", ".", Map.of(), "oci", false, Map.of(), false, mirrors, null);
        BuildRecord b = store.createBuild(NewBuild.builder()
                .repo(repo)
                .cloneUrl("https://github.com/" + repo + ".git")
                .commit("c".repeat(40))
                .ref("refs/tags/v1.0.0")
                .image(ImageReference.parse("registry.example/o/app"))
                .spec(spec.toJson())
                .tags("[]")
                .version("1.0.0")
                .push(true)
                .jobs(List.of(new NewBuild.NewJob(Platform.parse("linux/amd64"), 60)))
                .build());
        assertTrue(
                store.moveBuild(b.id(), b.state(), BuildState.PUBLISHING, null),
                b.state().toString());
        return b;
    }

    @Test
    void mirrorTakenOutOfTheRule_refusesThePublish_namingTheMirror() {
        BuildRecord b = publishing("o/app", List.of("mirror.example/o/app"));
        coordinator.finish(b.id());
        BuildRecord after = store.build(b.id()).orElseThrow();
        assertEquals(BuildState.FAILED, after.state());
        assertEquals(
                "publishing refused: repository o/app may not publish to mirror.example/o/app: the coordinator's"
                        + " repositories: entry 'o/app' allows only registry.example/o/*",
                after.error());
        assertTrue(store.publications(b.id()).isEmpty(), "nothing was published anywhere");
    }

    @Test
    void repositoryNoRuleCoversAnyMore_refusesThePublish_insteadOfUsingSharedCredentials() {
        BuildRecord b = publishing("gone/app", List.of());
        coordinator.finish(b.id());
        BuildRecord after = store.build(b.id()).orElseThrow();
        assertEquals(BuildState.FAILED, after.state());
        assertTrue(
                after.error().startsWith("publishing refused: repository gone/app is not allowed to build here"),
                after.error());
    }

    @Test
    void allowedBuild_isNotRefused() {
        BuildRecord b = publishing("o/app", List.of("registry.example/o/app-mirror"));
        assertEquals(
                java.util.Optional.empty(),
                coordinator.publishRefusal(store.build(b.id()).orElseThrow()));
    }
}
