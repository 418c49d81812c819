package dev.multiarch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.testing.GitRepo;
import dev.multiarch.testing.JavaProcess;
import dev.multiarch.testing.Ports;
import dev.multiarch.testing.Proc;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user sees on stderr from the packaged jar: multiarch's own lines, not SLF4J's "no providers" notice (the
 * provider was once left out of the jar by a BOM's test scope), a connection pool announcing itself, nor Micrometer's
 * warning about Vert.x's per-connection gauges.
 */
class JarLoggingIT {
    @TempDir
    Path dir;

    @Test
    void buildThroughTheJar_printsNoLibraryNoise() throws Exception {
        GitRepo repo = GitRepo.create(Files.createDirectories(dir.resolve("repo")));
        repo.commit(
                "app",
                Map.of(
                        "Dockerfile", "FROM scratch\n",
                        ".multiarch.yaml", "image: 127.0.0.1:1/app\nplatforms: [linux/amd64]\n"));
        List<String> cmd = List.of(
                "java",
                "-jar",
                Path.of("target/multiarch.jar").toAbsolutePath().toString(),
                "build",
                "--data",
                dir.resolve("data").toString(),
                "--tag",
                "not-semver",
                repo.work().toString());
        Proc.Result r = Proc.run(cmd, dir, 120);
        assertEquals(1, r.exit(), r.toString());
        assertTrue(r.out().contains("no tag rule matches") || r.err().contains("no tag rule matches"), r.toString());
        assertFalse(r.err().contains("SLF4J"), r.err());
        assertFalse(r.err().contains("Hikari"), r.err());
    }

    @Test
    void serveThroughTheJar_connectionsPrintNoMeterWarning() throws Exception {
        int port = Ports.free();
        Path cfg = dir.resolve("config.yaml");
        Files.writeString(
                cfg,
                "server:\n  host: 127.0.0.1\n  port: " + port + "\nstore:\n  path: " + dir.resolve("data")
                        + "\nrunners:\n  registration-secret: ${TEST_SECRET}\n");
        try (JavaProcess serve = JavaProcess.start(
                "serve-logging", Map.of("TEST_SECRET", "0123456789abcdef0123"), "serve", "--config", cfg.toString())) {
            Ports.await("serve on port " + port, Duration.ofSeconds(90), () -> {
                if (!serve.alive()) {
                    throw new IllegalStateException("serve exited:\n" + serve.log());
                }
                return Ports.listening(port);
            });
            // Every new connection registers Vert.x's connection gauge again; a few clients, each its own connection.
            for (int i = 0; i < 4; i++) {
                HttpClient client = HttpClient.newHttpClient();
                HttpResponse<String> r = client.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), r.body());
            }
            String log = serve.log();
            assertTrue(log.contains("coordinator listening"), log);
            assertFalse(log.contains("already registered"), log);
            assertFalse(log.contains("WARNING"), log);
        }
    }
}
