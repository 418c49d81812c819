package dev.multiarch.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.multiarch.base.ChildEnvironment;
import dev.multiarch.testing.GitRepo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GitTest {
    @TempDir
    Path dir;

    private GitRepo repo(String commitText) {
        GitRepo r;
        try {
            r = GitRepo.create(Files.createDirectories(dir.resolve("repo")));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        r.commit("first", Map.of("README", commitText));
        return r;
    }

    private String headOf(GitRepo r) {
        return Git.head(r.work());
    }

    // ---- the URL check, before git runs

    @Test
    void uploadPackOptionAsUrl_isRefused_andExecutesNothing() {
        Path marker = dir.resolve("marker");
        String evil = "--upload-pack=touch " + marker;
        Git.GitException e = assertThrows(Git.GitException.class, () -> CloneUrl.parse(evil, true));
        assertTrue(e.getMessage().contains("starts with '-'"), e.getMessage());
        Git.FileReader reader = new Git.FileReader(dir.resolve("cache"), true);
        assertThrows(Git.GitException.class, () -> reader.read(evil, "a".repeat(40), ".multiarch.yaml"));
        assertFalse(Files.exists(marker), "nothing ran");
    }

    @Test
    void extTransport_isRefused_andExecutesNothing() {
        Path marker = dir.resolve("marker");
        String evil = "ext::sh -c touch% " + marker;
        Git.GitException e = assertThrows(Git.GitException.class, () -> CloneUrl.parse(evil, true));
        assertTrue(e.getMessage().contains("remote helper"), e.getMessage());
        assertFalse(Files.exists(marker));
    }

    @Test
    void localSources_onlyWhereAllowed() {
        for (String local : List.of("/srv/repo.git", "file:///srv/repo.git")) {
            Git.GitException e = assertThrows(Git.GitException.class, () -> CloneUrl.parse(local, false));
            assertTrue(e.getMessage().contains("allow-local-sources is off"), e.getMessage());
            assertEquals(CloneUrl.Kind.LOCAL, CloneUrl.parse(local, true).kind());
        }
        assertThrows(Git.GitException.class, () -> CloneUrl.parse("repo.git", true), "relative path");
    }

    @Test
    void onlyHttps_andPlainHttpToLoopback() {
        assertEquals(
                CloneUrl.Kind.HTTPS,
                CloneUrl.parse("https://github.com/o/r.git", false).kind());
        assertEquals(
                CloneUrl.Kind.HTTPS,
                CloneUrl.parse("https://ghe.example:8443/o/r", false).kind());
        for (String ok : List.of(
                "http://127.0.0.1:8080/r.git",
                "http://127.1.2.3/r",
                "http://localhost/r",
                "http://LOCALHOST:9/r",
                "http://[::1]:8080/r")) {
            assertEquals(CloneUrl.Kind.LOOPBACK_HTTP, CloneUrl.parse(ok, false).kind(), ok);
        }
        for (String bad : List.of(
                "http://github.com/o/r",
                "http://127.0.0.1.evil.example/r",
                "http://localhost.evil.example/r",
                "http://127.0.0.1@evil.example/r",
                "http://evil.example#@127.0.0.1/r",
                "http://128.0.0.1/r",
                "http://127.0.0.256/r",
                "http://[::2]/r",
                "git://github.com/o/r",
                "ssh://git@github.com/o/r",
                "git@github.com:o/r.git",
                "fd::17",
                "https://github.com/o/r?x=1",
                "https://github.com/o/r\n--upload-pack=x",
                "https:///r",
                "")) {
            assertThrows(Git.GitException.class, () -> CloneUrl.parse(bad, true), bad);
        }
    }

    @Test
    void credentialsInTheUrl_areRefused_andNotEchoed() {
        Git.GitException e = assertThrows(
                Git.GitException.class, () -> CloneUrl.parse("https://bot:ghp_secret123456@github.com/o/r", false));
        assertFalse(e.getMessage().contains("ghp_secret123456"), e.getMessage());
        assertTrue(e.getMessage().contains("https://***@github.com/o/r"), e.getMessage());
    }

    @Test
    void protocolConfig_allowsOnlyTheTransportTheUrlNeeds() {
        assertEquals(
                List.of("-c", "protocol.allow=never", "-c", "protocol.https.allow=always"),
                CloneUrl.parse("https://github.com/o/r", false).protocolConfig());
        assertEquals(
                "protocol.http.allow=always",
                CloneUrl.parse("http://127.0.0.1/r", false).protocolConfig().get(5));
        assertEquals(
                "protocol.file.allow=always",
                CloneUrl.parse("/srv/r.git", true).protocolConfig().get(5));
    }

    // ---- git's own refusals, when a URL got past the check

    @Test
    void gitRefusesATransportTheUrlsKindDoesNotAllow() {
        GitRepo r = repo("x\n");
        String commit = headOf(r);
        Path marker = dir.resolve("marker");
        Git.GitException ext = assertThrows(Git.GitException.class, () -> new SourceCache(dir.resolve("cache1"))
                .checkout(
                        CloneUrl.unchecked("ext::sh -c touch% " + marker, CloneUrl.Kind.HTTPS),
                        commit,
                        dir.resolve("co1"),
                        null,
                        null));
        assertTrue(ext.getMessage().contains("not allowed"), ext.getMessage());
        assertFalse(Files.exists(marker), "protocol.allow=never stopped the ext transport");
        Git.GitException file = assertThrows(Git.GitException.class, () -> new SourceCache(dir.resolve("cache2"))
                .checkout(
                        CloneUrl.unchecked(r.cloneUrl(), CloneUrl.Kind.HTTPS), commit, dir.resolve("co2"), null, null));
        assertTrue(file.getMessage().contains("transport 'file' not allowed"), file.getMessage());
    }

    @Test
    void optionAfterDoubleDash_isARepositoryName_notAnOption() {
        GitRepo r = repo("x\n");
        Path marker = dir.resolve("marker");
        assertThrows(Git.GitException.class, () -> new SourceCache(dir.resolve("cache"))
                .checkout(
                        CloneUrl.unchecked("--upload-pack=touch " + marker, CloneUrl.Kind.LOCAL),
                        headOf(r),
                        dir.resolve("co"),
                        null,
                        null));
        assertFalse(Files.exists(marker), "git read it after '--': a (strange) repository path, not an option");
    }

    // ---- what does work

    @Test
    void checkout_ofALocalRepository_whereAllowed() throws Exception {
        GitRepo r = repo("hello\n");
        String commit = headOf(r);
        Path co = dir.resolve("co");
        new SourceCache(dir.resolve("cache")).checkout(CloneUrl.parse(r.cloneUrl(), true), commit, co, null, null);
        assertEquals("hello\n", Files.readString(co.resolve("README")));
        assertFalse(Files.exists(co.resolve(".git")), "the tree only, as BuildKit's git contexts");
    }

    @Test
    void fileReader_readsAFileAtACommit_andRefusesLocalSourcesByDefault() {
        GitRepo r = repo("v1\n");
        String commit = headOf(r);
        assertEquals(
                "v1\n",
                new Git.FileReader(dir.resolve("cache"), true)
                        .read(r.cloneUrl(), commit, "README")
                        .orElseThrow());
        Git.GitException e = assertThrows(Git.GitException.class, () -> new Git.FileReader(dir.resolve("cache2"))
                .read(r.cloneUrl(), commit, "README"));
        assertTrue(e.getMessage().contains("allow-local-sources is off"), e.getMessage());
    }

    @Test
    void onlyFullHexCommits() {
        GitRepo r = repo("x\n");
        CloneUrl url = CloneUrl.parse(r.cloneUrl(), true);
        String head = headOf(r);
        for (String bad : List.of("HEAD", head.substring(0, 12), "--orphan", "-" + head.substring(1), head + "~1")) {
            Git.GitException e = assertThrows(
                    Git.GitException.class,
                    () -> new SourceCache(dir.resolve("cache")).checkout(url, bad, dir.resolve("co"), null, null),
                    bad);
            assertTrue(e.getMessage().contains("not a full commit id"), e.getMessage());
        }
    }

    // ---- git's environment

    @Test
    void gitSeesOnlyTheAllowListedEnvironment() {
        assumeTrue(
                System.getenv("MULTIARCH_TEST_CANARY") != null,
                "the canary variable (set by surefire in pom.xml) is missing; the test would prove nothing");
        GitRepo r = repo("x\n");
        // A shell alias: git runs it with the environment git itself got (plus git's own GIT_* and the shell's own).
        String env = Git.ok(r.work(), null, Git.Call.LOCAL, "-c", "alias.showenv=!env", "showenv")
                .out();
        Set<String> names = new TreeSet<>();
        env.lines().filter(l -> l.contains("=")).forEach(l -> names.add(l.substring(0, l.indexOf('='))));
        Set<String> shell = Set.of("PWD", "OLDPWD", "SHLVL", "_");
        assertFalse(env.contains("canary-7f3a9c1e"), env);
        for (String n : names) {
            assertTrue(
                    ChildEnvironment.INHERITED.contains(n) || n.startsWith("GIT_") || shell.contains(n),
                    n + " reached git from the JVM's environment: " + names);
        }
    }
}
