package dev.multiarch.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.multiarch.config.ServiceConfig;
import dev.multiarch.dispatch.Dispatcher;
import dev.multiarch.dispatch.Protocol;
import dev.multiarch.publish.KeyFileException;
import dev.multiarch.source.Git;
import dev.multiarch.store.BuildRecord;
import dev.multiarch.store.JdbcStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the coordinator does with annotations and a signing key before any registry is involved. */
class CoordinatorSigningTest {
    @TempDir
    Path dir;

    private JdbcStore store;
    private Dispatcher dispatcher;
    private ExecutorService workers;

    @BeforeEach
    void setUp() {
        store = JdbcStore.embedded(dir.resolve("store"));
        dispatcher = new Dispatcher(store, Duration.ofSeconds(30));
        workers = Executors.newSingleThreadExecutor();
    }

    @AfterEach
    void tearDown() {
        workers.shutdownNow();
        dispatcher.close();
        store.close();
    }

    private ServiceConfig.Builder config() {
        return ServiceConfig.builder(dir.resolve("store"), "0123456789abcdef0123")
                .port(0)
                .publicUrl("http://ci.example")
                .sourceCache(dir.resolve("sources"));
    }

    private Coordinator coordinator(ServiceConfig sc) {
        return new Coordinator(sc, store, dispatcher, new Git.FileReader(dir.resolve("sources")), workers);
    }

    @Test
    void assignment_carriesAnnotationsFromGitAndTheConfig_withoutCredentials() {
        Coordinator c = coordinator(config().build());
        try {
            BuildRecord b = c.create(
                            Trigger.builder()
                                    .repo("acme/app")
                                    .cloneUrl("https://x-access-token:ghs_secret@github.com/acme/app.git")
                                    .commit("a".repeat(40))
                                    .ref("refs/tags/v2.1.0")
                                    .push(true)
                                    .build(),
                            "image: registry.example/acme/app\nplatforms: [linux/amd64]\n"
                                    + "annotations: {org.opencontainers.image.title: App}\n")
                    .get(0);
            Protocol.Assignment a = c.assignment(store.jobs(b.id()).get(0));
            assertEquals(
                    Map.of(
                            "org.opencontainers.image.source", "https://github.com/acme/app",
                            "org.opencontainers.image.revision", "a".repeat(40),
                            "org.opencontainers.image.version", "2.1.0",
                            "org.opencontainers.image.title", "App"),
                    a.annotations());
            assertFalse(a.annotations().toString().contains("ghs_secret"));
        } finally {
            c.close();
        }
    }

    @Test
    void signingKeyThatCannotBeOpened_stopsTheCoordinatorNamingTheFile() throws IOException {
        Path key = dir.resolve("cosign.key");
        try (InputStream in = getClass().getResourceAsStream("/signing/test-cosign.key")) {
            Files.copy(in, key);
        }
        ServiceConfig sc = config().signing(
                        Optional.of(new ServiceConfig.Signing(key, "COSIGN_PASSWORD", "wrong-password-123")))
                .build();
        KeyFileException e = assertThrows(KeyFileException.class, () -> coordinator(sc));
        assertEquals(
                "the signing key " + key + " cannot be decrypted: wrong password, or the file is damaged",
                e.getMessage());
    }
}
