package dev.multiarch.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.source.CloneUrl;
import dev.multiarch.source.SourceCache;
import dev.multiarch.testing.GitRepo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A stranger's repository, committed with symlinks and checked out by git as a runner would. */
class CheckoutTest {
    @TempDir
    Path dir;

    private Path checkout;
    private Path secret;

    @BeforeEach
    void repository() throws Exception {
        secret = Files.writeString(dir.resolve("runner-identity.json"), "{\"token\":\"runner-token\"}");
        GitRepo repo = GitRepo.create(Files.createDirectories(dir.resolve("origin")));
        Path w = repo.work();
        Files.writeString(w.resolve("Dockerfile"), "FROM scratch\n");
        Files.createDirectories(w.resolve("sub"));
        Files.writeString(w.resolve("sub/Containerfile"), "FROM scratch\n");
        Files.createSymbolicLink(w.resolve("Dockerfile.shadow"), Path.of("/etc/shadow"));
        Files.createSymbolicLink(w.resolve("Dockerfile.identity"), w.relativize(secret));
        Files.createSymbolicLink(w.resolve("Dockerfile.inside"), Path.of("sub/Containerfile"));
        Files.createSymbolicLink(w.resolve("root"), Path.of("/"));
        Files.createSymbolicLink(w.resolve("up"), Path.of(".."));
        String commit = repo.commit("symlinks", Map.of());
        checkout = dir.resolve("job/src");
        new SourceCache(dir.resolve("sources"))
                .checkout(CloneUrl.parse(repo.cloneUrl(), true), commit, checkout, null, null);
        assertTrue(Files.isSymbolicLink(checkout.resolve("Dockerfile.shadow")), "git made the symlink");
    }

    @Test
    void plainDockerfileAndContext_resolveInsideTheCheckout() throws Exception {
        Checkout.Resolved r = Checkout.resolve(checkout, "Dockerfile", ".");
        assertEquals(checkout.toRealPath(), r.root());
        assertEquals(checkout.toRealPath().resolve("Dockerfile"), r.dockerfile());
        assertEquals(checkout.toRealPath(), r.context());
        Checkout.Resolved inside = Checkout.resolve(checkout, "Dockerfile.inside", "sub");
        assertEquals(checkout.toRealPath().resolve("sub/Containerfile"), inside.dockerfile(), "a link inside is fine");
    }

    @Test
    void dockerfileSymlinkedOutside_isRefused_withoutNamingTheTarget() {
        for (String df : new String[] {"Dockerfile.shadow", "Dockerfile.identity", "../../runner-identity.json"}) {
            Exec.StepFailed e = assertThrows(Exec.StepFailed.class, () -> Checkout.resolve(checkout, df, "."), df);
            assertTrue(e.getMessage().contains("leads outside the repository"), e.getMessage());
            assertFalse(e.getMessage().contains(dir.toString()), "the runner's paths stay private: " + e.getMessage());
        }
    }

    @Test
    void contextSymlinkedOrClimbingOutside_isRefused() {
        for (String ctx : new String[] {"root", "up", "..", "../..", "/"}) {
            Exec.StepFailed e =
                    assertThrows(Exec.StepFailed.class, () -> Checkout.resolve(checkout, "Dockerfile", ctx), ctx);
            assertTrue(e.getMessage().contains("leads outside the repository"), e.getMessage());
        }
    }

    @Test
    void missingDockerfile_saysSo() {
        Exec.StepFailed e =
                assertThrows(Exec.StepFailed.class, () -> Checkout.resolve(checkout, "Nope.Dockerfile", "."));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }
}
