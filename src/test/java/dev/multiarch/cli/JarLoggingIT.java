package dev.multiarch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.testing.GitRepo;
import dev.multiarch.testing.Proc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user sees on stderr from the packaged jar: multiarch's own lines, not SLF4J's "no providers" notice (the
 * provider was once left out of the jar by a BOM's test scope) nor a connection pool announcing itself.
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
}
