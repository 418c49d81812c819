package dev.multiarch.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.testing.GitHttpServer;
import dev.multiarch.testing.GitRepo;
import dev.multiarch.testing.Proc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job checks out its build context (and its Dockerfile), not the whole tree, and fetches only that context's Git LFS
 * objects: a real monorepo with two services, served with the LFS batch API, fetched by the real git and git-lfs.
 */
class ContextCheckoutTest {
    private static final String ATTRIBUTES = "*.bin filter=lfs diff=lfs merge=lfs -text\n*.txt text eol=crlf\n";

    @TempDir
    Path dir;

    private GitRepo repo;
    private GitHttpServer server;
    private CloneUrl url;
    private String commit;
    private SourceCache cache;
    private final List<String> log = Collections.synchronizedList(new ArrayList<>());

    @BeforeEach
    void monorepo() throws IOException {
        repo = GitRepo.create(Files.createDirectories(dir.resolve("origin")));
        Map<String, String> files = new TreeMap<>();
        files.put(".gitattributes", ATTRIBUTES);
        files.put("README.md", "the monorepo\n");
        files.put("services/api/Dockerfile", "FROM scratch\nCOPY . /\n");
        files.put("services/api/.dockerignore", "*.tmp\n");
        files.put("services/api/app.txt", "api\n");
        files.put("services/api/lib/deep.txt", "deep\n");
        files.put("services/api/model.bin", repo.lfs("the api model\n"));
        files.put("services/web/Dockerfile", "FROM scratch\n");
        files.put("services/web/web.txt", "web\n");
        files.put("services/web/model.bin", repo.lfs("the web model\n"));
        files.put("services/apiary/not-the-api.txt", "a sibling whose name starts like the context\n");
        files.put("docker/api.Dockerfile", "FROM scratch\n");
        files.put("docker/api.Dockerfile.dockerignore", "*.bak\n");
        files.put("docker/web.Dockerfile", "FROM scratch\n");
        files.put("lit/*/star.txt", "a directory really named *\n");
        files.put("lit/a/a.txt", "what the glob * would also match\n");
        Path w = repo.work();
        Files.createDirectories(w.resolve("links"));
        Files.createSymbolicLink(w.resolve("links/current"), Path.of("../services/api"));
        Files.createSymbolicLink(w.resolve("links/svc"), Path.of("../services"));
        Files.createSymbolicLink(w.resolve("links/root"), Path.of("/"));
        Files.createSymbolicLink(w.resolve("links/api.Dockerfile"), Path.of("../docker/api.Dockerfile"));
        Files.createDirectories(w.resolve("services/linked"));
        Files.writeString(w.resolve("services/linked/app.txt"), "linked\n");
        Files.createSymbolicLink(w.resolve("services/linked/Dockerfile"), Path.of("../../docker/api.Dockerfile"));
        Files.createDirectories(w.resolve("services/ignored"));
        Files.writeString(w.resolve("services/ignored/Dockerfile"), "FROM scratch\n");
        Files.createSymbolicLink(w.resolve("services/ignored/.dockerignore"), Path.of("../../docker/ignore"));
        repo.commit("two services", files);
        // A submodule (a gitlink): an empty directory in the tree, as git keeps an uninitialised one.
        Files.createDirectories(w.resolve("services/sub"));
        git(w, "update-index", "--add", "--cacheinfo", "160000," + "1".repeat(40) + ",services/sub");
        commit = repo.commit("a submodule", Map.of());
        server = GitHttpServer.serve(Path.of(repo.cloneUrl()), null);
        url = CloneUrl.parse(server.url(), false);
        cache = new SourceCache(dir.resolve("work/sources"));
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
    }

    private static void git(Path w, String... args) {
        List<String> cmd = new ArrayList<>(List.of("git"));
        cmd.addAll(List.of(args));
        Proc.run(cmd, w, 60).check(cmd);
    }

    /** Every file and symlink under {@code root}, relative to it. */
    private static Set<String> files(Path root) throws IOException {
        Set<String> out = new TreeSet<>();
        try (var walk = Files.walk(root)) {
            walk.filter(p -> !Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                    .forEach(p -> out.add(root.relativize(p).toString()));
        }
        return out;
    }

    private Path checkout(String job, String context, String dockerfile) {
        Path w = dir.resolve(job + "/src");
        SourceCache.Checkout c =
                cache.checkout(url, commit, w, null, log::add, new SourceCache.Scope(context, dockerfile));
        assertEquals(Files.isDirectory(w.resolve("links")), c.whole(), "says whether it wrote the whole tree");
        return w;
    }

    /** A tree object written as given (git's own commands would sort it and refuse two entries of one name). */
    private String rawTree(Path gitDir, String... modeNameId) throws IOException {
        java.io.ByteArrayOutputStream raw = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < modeNameId.length; i += 3) {
            raw.writeBytes(
                    (modeNameId[i] + " " + modeNameId[i + 1] + "\0").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            raw.writeBytes(java.util.HexFormat.of().parseHex(modeNameId[i + 2]));
        }
        Path file = Files.write(dir.resolve("tree-" + System.nanoTime()), raw.toByteArray());
        return hash(gitDir, "-t", "tree", "--literally", file.toString());
    }

    private static String hash(Path gitDir, String... args) {
        List<String> cmd = new ArrayList<>(List.of("git", "--git-dir=" + gitDir, "hash-object", "-w"));
        cmd.addAll(List.of(args));
        return Proc.run(cmd, gitDir, 60).check(cmd).out().trim();
    }

    private String blob(Path gitDir, String content) throws IOException {
        Path file = Files.writeString(dir.resolve("blob-" + System.nanoTime()), content);
        return hash(gitDir, file.toString());
    }

    @Test
    void treeWithADirectoryAndASymlinkOfOneName_isRefusedByTheFetch_andNothingOutsideIsWritten() throws IOException {
        // ctx/sub is listed as a directory holding an LFS file, but git's index keeps the later entry: a symlink out of
        // the checkout. Written through it, the LFS file's content would overwrite a file of the runner's.
        Path outside = Files.writeString(
                Files.createDirectories(dir.resolve("outside")).resolve("big.bin"), "the runner's own file\n");
        Path gitDir = Path.of(repo.cloneUrl());
        String pointer = blob(gitDir, repo.lfs("ATTACKER\n"));
        String sub = rawTree(gitDir, "100644", "big.bin", pointer);
        String link = blob(gitDir, outside.getParent().toString());
        String ctx = rawTree(
                gitDir,
                "100644",
                "Dockerfile",
                blob(gitDir, "FROM scratch\n"),
                "40000",
                "sub",
                sub,
                "120000",
                "sub",
                link);
        String root = rawTree(gitDir, "100644", ".gitattributes", blob(gitDir, ATTRIBUTES), "40000", "ctx", ctx);
        List<String> cmd = List.of(
                "git",
                "--git-dir=" + gitDir,
                "-c",
                "user.name=a",
                "-c",
                "user.email=a@b",
                "commit-tree",
                "-m",
                "x",
                root);
        String evil = Proc.run(cmd, gitDir, 60).check(cmd).out().trim();
        git(gitDir, "--git-dir=" + gitDir, "update-ref", "refs/heads/evil", evil);

        for (String context : List.of("ctx", ".")) {
            Path w = dir.resolve("evil-" + context.length() + "/src");
            Git.GitException e = assertThrows(
                    Git.GitException.class,
                    () -> cache.checkout(url, evil, w, null, log::add, new SourceCache.Scope(context, "Dockerfile")));
            assertTrue(e.getMessage().contains("duplicateEntries"), e.getMessage());
            assertEquals("the runner's own file\n", Files.readString(outside));
        }
    }

    @Test
    void lfsContent_isNeverWrittenThroughADirectoryOfTheCheckoutThatIsASymlink() throws IOException {
        // The second guard, should such a checkout ever be written: materialize follows no link on the way.
        Path outside = Files.writeString(
                Files.createDirectories(dir.resolve("outside")).resolve("big.bin"), "mine\n");
        Path w = Files.createDirectories(dir.resolve("linked/src/ctx"));
        Files.createSymbolicLink(w.resolve("sub"), outside.getParent());
        Path gitDir = Files.createDirectories(dir.resolve("mirror.git"));
        byte[] content = "ATTACKER\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        String oid;
        try {
            oid = java.util.HexFormat.of()
                    .formatHex(
                            java.security.MessageDigest.getInstance("SHA-256").digest(content));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Files.createDirectories(Lfs.object(gitDir, oid).getParent());
        Files.write(Lfs.object(gitDir, oid), content);

        Git.GitException e = assertThrows(
                Git.GitException.class,
                () -> Lfs.materialize(
                        gitDir, List.of(new Lfs.File("ctx/sub/big.bin", oid, content.length)), w.getParent()));
        assertTrue(e.getMessage().contains("is not a file of the checkout"), e.getMessage());
        assertEquals("mine\n", Files.readString(outside));
    }

    @Test
    void eachJob_writesOnlyItsContextAndDockerfile_andFetchesOnlyItsContextsLfsObjects() throws IOException {
        Path api = checkout("api", "services/api", "docker/api.Dockerfile");
        assertEquals(
                Set.of(
                        "services/api/Dockerfile",
                        "services/api/.dockerignore",
                        "services/api/app.txt",
                        "services/api/lib/deep.txt",
                        "services/api/model.bin",
                        "docker/api.Dockerfile",
                        "docker/api.Dockerfile.dockerignore"),
                files(api));
        assertEquals("the api model\n", Files.readString(api.resolve("services/api/model.bin")));
        assertEquals(List.of(GitRepo.oid("the api model\n")), server.lfsDownloads(), "the web model is not fetched");
        // The commit's own attributes apply as in a whole checkout (the root .gitattributes is not written).
        assertEquals("api\r\n", Files.readString(api.resolve("services/api/app.txt")));
        assertFalse(Files.exists(api.resolve(".git")), "no .git");

        Path web = checkout("web", "services/web", "services/web/Dockerfile");
        assertEquals(Set.of("services/web/Dockerfile", "services/web/web.txt", "services/web/model.bin"), files(web));
        assertEquals("the web model\n", Files.readString(web.resolve("services/web/model.bin")));
        assertEquals(
                List.of(GitRepo.oid("the api model\n"), GitRepo.oid("the web model\n")),
                server.lfsDownloads(),
                "the web job fetched the web model only");

        // The whole tree (context '.'): everything, each LFS object still fetched once; the context's files are the
        // same bytes either way.
        Path whole = checkout("whole", ".", "Dockerfile");
        assertTrue(Files.isRegularFile(whole.resolve("README.md")));
        assertTrue(Files.isSymbolicLink(whole.resolve("links/current")));
        assertEquals(2, server.lfsDownloads().size(), "nothing fetched again: " + server.lfsDownloads());
        for (String f : files(api)) {
            assertEquals(Files.readString(whole.resolve(f)), Files.readString(api.resolve(f)), f);
        }
    }

    @Test
    void aContextCheckout_leavesTheMirrorAsItWas() throws IOException {
        // The fetches write (under the write lock): the commit, the LFS objects, our commit of their pointers.
        checkout("first", "services/api", "docker/api.Dockerfile");
        checkout("second", "services/web", "services/web/Dockerfile");
        Path mirror = cache.mirrorDir(url);
        Map<String, Long> before = snapshot(mirror);
        // Checkouts only read (under the read lock, side by side).
        checkout("third", "services/api", "docker/api.Dockerfile");
        checkout("fourth", "services/web", "services/web/Dockerfile");
        checkout("fifth", "links/current", "links/current/Dockerfile");
        assertEquals(before, snapshot(mirror), "no index, log, ref or object written into the shared mirror");
    }

    /** Every file under {@code root} with its size and modification time. */
    private static Map<String, Long> snapshot(Path root) throws IOException {
        Map<String, Long> out = new TreeMap<>();
        try (var walk = Files.walk(root)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                out.put(
                        root.relativize(p).toString(),
                        Files.size(p) * 31 + Files.getLastModifiedTime(p).toMillis());
            }
        }
        return out;
    }

    @Test
    void aCachedCommit_fetchesTheLfsObjectsOfAnotherContextWhenAJobNeedsThem() throws IOException {
        checkout("api", "services/api", "services/api/Dockerfile");
        assertEquals(1, server.lfsDownloads().size());
        Path web = checkout("web", "services/web", "services/web/Dockerfile");
        assertEquals("the web model\n", Files.readString(web.resolve("services/web/model.bin")));
        assertEquals(2, server.lfsDownloads().size());
        checkout("api2", "services/api", "services/api/Dockerfile");
        assertEquals(2, server.lfsDownloads().size(), "held already");
    }

    @Test
    void pathspecMagicAndGlobs_areLiteralNames() throws IOException {
        Path star = checkout("star", "lit/*", "lit/*/Dockerfile");
        assertEquals(Set.of("lit/*/star.txt"), files(star), "only the directory really named *");
        for (String magic : List.of(
                ":(glob)services/**",
                ":!services/api",
                "services/*",
                "services/ap?",
                ":/services/api",
                ":(top)services/api")) {
            Path w = checkout("magic", magic, "Dockerfile");
            assertEquals(Set.of(), files(w), magic + " names nothing of the tree");
        }
        assertEquals(List.of(), server.lfsDownloads());
    }

    @Test
    void contextThroughASymlinkOfTheTree_getsTheWholeTree_forTheRunnersCheckToJudge() throws IOException {
        for (String[] scope : new String[][] {
            {"links/current", "links/current/Dockerfile"},
            {"links/svc/api", "links/svc/api/Dockerfile"},
            {"links/root", "Dockerfile"},
            {"services/api", "links/api.Dockerfile"},
            {"services/linked", "services/linked/Dockerfile"},
            {"services/ignored", "services/ignored/Dockerfile"},
        }) {
            Path w = checkout("link", scope[0], scope[1]);
            assertTrue(Files.isRegularFile(w.resolve("README.md")), String.join(" ", scope));
            assertTrue(Files.isSymbolicLink(w.resolve("links/root")));
        }
    }

    @Test
    void contextThatIsAFileOrMissing_isNotWritten_andASubmoduleIsRefused() throws IOException {
        assertEquals(Set.of("README.md"), files(checkout("file", "README.md", "README.md/Dockerfile")));
        assertEquals(Set.of(), files(checkout("missing", "services/nope", "services/nope/Dockerfile")));
        assertEquals(Set.of(), files(checkout("under-a-file", "README.md/x", "README.md/x/Dockerfile")));
        Git.GitException e =
                assertThrows(Git.GitException.class, () -> checkout("sub", "services/sub", "services/sub/Dockerfile"));
        assertTrue(e.getMessage().contains("'services/sub' is a submodule"), e.getMessage());
        // A Dockerfile that is a directory: an empty one, as git writes it, for the runner to say it is not a file.
        Path w = checkout("df-dir", "services/web", "services/api");
        assertTrue(Files.isDirectory(w.resolve("services/api")));
        assertEquals(List.of(), Files.list(w.resolve("services/api")).toList());
        assertEquals(
                List.of(),
                server.lfsDownloads().stream()
                        .filter(o -> o.equals(GitRepo.oid("the api model\n")))
                        .toList());
    }

    @Test
    void pathsThatAreNotPlainRelativePaths_areRefused_namingThem() {
        for (String bad : List.of(
                "..",
                "../x",
                "a/../b",
                "services/api/..",
                "/etc",
                "/",
                "",
                "a//b",
                "./a",
                "a/.",
                "a/",
                ".git",
                "services/.GIT/x",
                "a\0b")) {
            Git.GitException e = assertThrows(
                    Git.GitException.class, () -> new SourceCache.Scope(bad, "Dockerfile"), "context " + bad);
            assertTrue(e.getMessage().contains("build context '"), e.getMessage());
            Git.GitException d =
                    assertThrows(Git.GitException.class, () -> new SourceCache.Scope(".", bad), "dockerfile " + bad);
            assertTrue(d.getMessage().contains("Dockerfile '"), d.getMessage());
        }
        assertEquals(List.of(), server.lfsDownloads());
    }

    @Test
    void jobsOfTwoContexts_sideBySide_eachGetItsFiles_eachObjectFetchedOnce() throws Exception {
        var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<Path>> jobs = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String svc = i % 2 == 0 ? "api" : "web";
                String job = "job" + i;
                jobs.add(pool.submit(() -> checkout(job, "services/" + svc, "services/" + svc + "/Dockerfile")));
            }
            for (int i = 0; i < jobs.size(); i++) {
                String svc = i % 2 == 0 ? "api" : "web";
                Path w = jobs.get(i).get();
                assertEquals("the " + svc + " model\n", Files.readString(w.resolve("services/" + svc + "/model.bin")));
                assertTrue(files(w).stream().allMatch(f -> f.startsWith("services/" + svc + "/")), files(w).toString());
            }
        } finally {
            pool.shutdown();
        }
        assertEquals(
                Set.of(GitRepo.oid("the api model\n"), GitRepo.oid("the web model\n")),
                Set.copyOf(server.lfsDownloads()));
        assertEquals(2, server.lfsDownloads().size(), server.lfsDownloads().toString());
    }
}
