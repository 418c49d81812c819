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
    private String commit;
    private CloneUrl url;

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
        commit = repo.commit("symlinks", Map.of());
        url = CloneUrl.parse(repo.cloneUrl(), true);
        checkout = dir.resolve("job/src");
        new SourceCache(dir.resolve("sources")).checkout(url, commit, checkout, null, null);
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
    void ignoreFilesBuildahReads_symlinkedOutside_areRefused_insideOnesAreFine() throws Exception {
        GitRepo repo = GitRepo.create(Files.createDirectories(dir.resolve("ignores")));
        Path w = repo.work();
        Files.createDirectories(w.resolve("ign"));
        Files.writeString(w.resolve("ign/Dockerfile"), "FROM scratch\n");
        Files.createSymbolicLink(w.resolve("ign/Dockerfile.dockerignore"), Path.of("/etc/shadow"));
        Files.createDirectories(w.resolve("ctx"));
        Files.createSymbolicLink(
                w.resolve("ctx/.containerignore"), w.resolve("ctx").relativize(secret));
        Files.createDirectories(w.resolve("dangling"));
        Files.createSymbolicLink(w.resolve("dangling/.dockerignore"), Path.of("nothing-here"));
        Files.createDirectories(w.resolve("ok"));
        Files.writeString(w.resolve("ok/Dockerfile"), "FROM scratch\n");
        Files.writeString(w.resolve("ok/patterns"), "*.tmp\n");
        Files.createSymbolicLink(w.resolve("ok/.dockerignore"), Path.of("patterns"));
        Files.createSymbolicLink(w.resolve("ok/Dockerfile.containerignore"), Path.of("../ok/patterns"));
        String c = repo.commit("ignore files", Map.of());
        Path co = dir.resolve("ignores-job/src");
        new SourceCache(dir.resolve("sources")).checkout(CloneUrl.parse(repo.cloneUrl(), true), c, co, null, null);

        Map<String, String[]> refused = Map.of(
                "ign/Dockerfile.dockerignore", new String[] {"ign/Dockerfile", "ign"},
                "ctx/.containerignore", new String[] {"ok/Dockerfile", "ctx"},
                "dangling/.dockerignore", new String[] {"ok/Dockerfile", "dangling"});
        refused.forEach((ignore, build) -> {
            Exec.StepFailed e =
                    assertThrows(Exec.StepFailed.class, () -> Checkout.resolve(co, build[0], build[1]), ignore);
            assertTrue(e.getMessage().contains("'" + ignore + "'"), e.getMessage());
            assertTrue(e.getMessage().startsWith("refused: the ignore file"), e.getMessage());
            assertFalse(e.getMessage().contains(dir.toString()), "the runner's paths stay private: " + e.getMessage());
        });
        Checkout.Resolved r = Checkout.resolve(co, "ok/Dockerfile", "ok");
        assertEquals(co.toRealPath().resolve("ok"), r.context(), "links to files of the repository are fine");
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

    /** A job's checkout of its context only, then the runner's check, as JobRunner does them. */
    private Checkout.Resolved contextOnly(String job, String dockerfile, String context) throws Exec.StepFailed {
        Path src = dir.resolve(job + "/src");
        new SourceCache(dir.resolve("sources"))
                .checkout(url, commit, src, null, null, new SourceCache.Scope(context, dockerfile));
        return Checkout.resolve(src, dockerfile, context);
    }

    @Test
    void contextOnlyCheckouts_keepEveryCheck() throws Exception {
        Checkout.Resolved sub = contextOnly("sub", "sub/Containerfile", "sub");
        assertEquals(sub.root().resolve("sub"), sub.context());
        assertFalse(Files.exists(sub.root().resolve("Dockerfile")), "only the context was written");
        assertFalse(Files.exists(sub.root().resolve("Dockerfile.shadow"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
        // A Dockerfile that is a symlink of the tree: the whole tree, and the link is followed inside it, as before.
        Checkout.Resolved inside = contextOnly("inside", "Dockerfile.inside", "sub");
        assertEquals(inside.root().resolve("sub/Containerfile"), inside.dockerfile());
        for (String[] bad : new String[][] {
            {"Dockerfile", "root", "leads outside the repository"},
            {"Dockerfile.shadow", "sub", "leads outside the repository"},
            {"up/Dockerfile", "up", "leads outside the repository"},
            {"nope/Dockerfile", "nope", "'nope' does not exist at this commit"},
            {"Dockerfile", "Dockerfile", "'Dockerfile' is not a directory of the repository"},
            {"sub", "sub", "the Dockerfile 'sub' is not a file of the repository"},
        }) {
            Exec.StepFailed e = assertThrows(
                    Exec.StepFailed.class, () -> contextOnly("bad", bad[0], bad[1]), String.join(" ", bad));
            assertTrue(e.getMessage().contains(bad[2]), e.getMessage());
        }
    }
}
