package dev.multiarch.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.testing.GitHttpServer;
import dev.multiarch.testing.GitRepo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Git LFS through the source cache: a real repository whose files are stored in LFS, served over git's smart HTTP
 * protocol and the LFS batch API by one server (as GitHub serves both), fetched by the real git-lfs.
 */
class LfsTest {
    private static final String ATTRIBUTES = "*.bin filter=lfs diff=lfs merge=lfs -text\n";
    private static final String SECRET = "Basic eC1hY2Nlc3MtdG9rZW46c2VjcmV0";

    @TempDir
    Path dir;

    private GitRepo repo;
    private final List<AutoCloseable> servers = new ArrayList<>();
    private final List<String> log = Collections.synchronizedList(new ArrayList<>());

    @BeforeEach
    void repository() throws IOException {
        repo = GitRepo.create(Files.createDirectories(dir.resolve("origin")));
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable s : servers) {
            s.close();
        }
    }

    private GitHttpServer serve(GitRepo r, String authorization) {
        GitHttpServer s = GitHttpServer.serve(Path.of(r.cloneUrl()), authorization);
        servers.add(s);
        return s;
    }

    private SourceCache cache() {
        return new SourceCache(dir.resolve("work/sources"));
    }

    @Test
    void aDamagedObjectInTheCache_failsThatCheckout_andTheNextFetchesItAgain() throws IOException {
        String commit =
                repo.commit("first", Map.of(".gitattributes", ATTRIBUTES, "model.bin", repo.lfs("the real model\n")));
        GitHttpServer server = serve(repo, null);
        CloneUrl url = CloneUrl.parse(server.url(), false);
        SourceCache cache = cache();
        cache.checkout(url, commit, dir.resolve("job1/src"), null, log::add);
        String oid = GitRepo.oid("the real model\n");
        // The disk flips bytes: same size, other content.
        Files.writeString(Lfs.object(cache.mirrorDir(url), oid), "the fake model\n");
        Git.GitException e = assertThrows(
                Git.GitException.class, () -> cache.checkout(url, commit, dir.resolve("job2/src"), null, log::add));
        assertTrue(e.getMessage().contains("a damaged cache"), e.getMessage());
        cache.checkout(url, commit, dir.resolve("job3/src"), null, log::add);
        assertEquals("the real model\n", Files.readString(dir.resolve("job3/src/model.bin")));
        assertEquals(2, Collections.frequency(server.lfsDownloads(), oid), "fetched again, once");
    }

    @Test
    void checkout_writesTheContentOfLfsFiles_fetchingOnlyThatCommitsObjects_once() throws IOException {
        String pointerOnly = repo.lfs("not under filter=lfs\n");
        String first = repo.commit(
                "first",
                Map.of(
                        ".gitattributes",
                        ATTRIBUTES,
                        "Dockerfile",
                        "FROM scratch\nCOPY model.bin /\n",
                        "model.bin",
                        repo.lfs("the real model\n"),
                        "docs/pointer.txt",
                        pointerOnly));
        String second = repo.commit("second", Map.of("later.bin", repo.lfs("only in the second commit\n")));
        GitHttpServer server = serve(repo, null);
        CloneUrl url = CloneUrl.parse(server.url(), false);
        SourceCache cache = cache();

        Path job1 = dir.resolve("job1/src");
        assertTrue(cache.checkout(url, first, job1, null, log::add).fetched());
        assertEquals("the real model\n", Files.readString(job1.resolve("model.bin")));
        assertEquals(pointerOnly, Files.readString(job1.resolve("docs/pointer.txt")), "no filter=lfs: left as it is");
        // git-lfs fetches every pointer of the commit's tree (as `git lfs fetch` does), also one without the attribute.
        String model = GitRepo.oid("the real model\n");
        String later = GitRepo.oid("only in the second commit\n");
        assertEquals(
                List.of(model),
                server.lfsDownloads().stream()
                        .filter(o -> !o.equals(GitRepo.oid("not under filter=lfs\n")))
                        .toList());
        assertFalse(server.lfsBatches().contains(later), "the second commit's object is not asked for");

        int before = server.requests().size();
        Path job2 = dir.resolve("job2/src");
        assertFalse(cache.checkout(url, first, job2, null, log::add).fetched());
        assertEquals("the real model\n", Files.readString(job2.resolve("model.bin")));
        assertEquals(before, server.requests().size(), "a second job of the commit asks the server nothing");

        Path job3 = dir.resolve("job3/src");
        cache.checkout(url, second, job3, null, log::add);
        assertEquals("the real model\n", Files.readString(job3.resolve("model.bin")));
        assertEquals("only in the second commit\n", Files.readString(job3.resolve("later.bin")));
        assertEquals(1, Collections.frequency(server.lfsDownloads(), later));
        assertEquals(
                1,
                Collections.frequency(server.lfsDownloads(), model),
                "what the mirror holds is not downloaded again");
        int downloads = server.lfsDownloads().size();

        // A runner started again: the mirror's objects are found on disk, nothing is downloaded.
        Path job4 = dir.resolve("job4/src");
        cache().checkout(url, first, job4, null, log::add);
        assertEquals("the real model\n", Files.readString(job4.resolve("model.bin")));
        assertEquals(downloads, server.lfsDownloads().size());

        // An untrusted job's own cache (JobRunner: one in its job directory) fetches for itself, the same way.
        Path untrusted = dir.resolve("untrusted-job/src");
        new SourceCache(dir.resolve("untrusted-job/git")).checkout(url, first, untrusted, null, log::add);
        assertEquals("the real model\n", Files.readString(untrusted.resolve("model.bin")));
        assertEquals(2, Collections.frequency(server.lfsDownloads(), model));
    }

    @Test
    void checkout_objectTheServerDoesNotHave_failsNamingTheFile() throws IOException {
        String lost = "version https://git-lfs.github.com/spec/v1\noid sha256:" + "ab".repeat(32) + "\nsize 12\n";
        String commit = repo.commit(
                "lost",
                Map.of(".gitattributes", ATTRIBUTES, "weights/lost.bin", lost, "ok.bin", repo.lfs("present\n")));
        GitHttpServer server = serve(repo, null);
        CloneUrl url = CloneUrl.parse(server.url(), false);
        SourceCache cache = cache();

        Git.GitException e = assertThrows(
                Git.GitException.class, () -> cache.checkout(url, commit, dir.resolve("job/src"), null, log::add));
        assertTrue(e.getMessage().contains("did not give the content of 1 file(s)"), e.getMessage());
        assertTrue(e.getMessage().contains("weights/lost.bin"), e.getMessage());
        assertFalse(e.getMessage().contains("ok.bin"), e.getMessage());
        // The mirror is sound: a commit of the same repository without the lost file checks out.
        String fixed = repo.commit("fixed", Map.of("weights/lost.bin", repo.lfs("found again\n")));
        cache.checkout(url, fixed, dir.resolve("job2/src"), null, log::add);
        assertEquals("found again\n", Files.readString(dir.resolve("job2/src/weights/lost.bin")));
    }

    @Test
    void checkout_withoutGitLfs_failsNamingTheFiles_butCommitsWithoutLfsStillCheckOut() throws IOException {
        String plain = repo.commit("plain", Map.of("Dockerfile", "FROM scratch\n"));
        String lfs = repo.commit(
                "lfs", Map.of(".gitattributes", ATTRIBUTES, "a.bin", repo.lfs("a\n"), "b/c.bin", repo.lfs("c\n")));
        GitHttpServer server = serve(repo, null);
        CloneUrl url = CloneUrl.parse(server.url(), false);
        SourceCache cache = cache();
        cache.lfsProgram(dir.resolve("not-installed/git-lfs").toString());

        cache.checkout(url, plain, dir.resolve("job1/src"), null, log::add);
        Git.GitException e = assertThrows(
                Git.GitException.class, () -> cache.checkout(url, lfs, dir.resolve("job2/src"), null, log::add));
        assertTrue(e.getMessage().contains("git-lfs is not installed on this runner"), e.getMessage());
        assertTrue(e.getMessage().contains("a.bin, b/c.bin"), e.getMessage());
        assertEquals(List.of(), server.lfsBatches());
    }

    /**
     * A repository's {@code .lfsconfig} names another server for LFS, and a custom transfer agent. The mirror's
     * {@code HEAD} is made to name the commit, so that git-lfs does read that file (it reads {@code HEAD:.lfsconfig}
     * in a bare repository): the endpoint pinned to the clone URL must still win.
     */
    @Test
    void checkout_hostileLfsconfig_reachesNoOtherHost_sendsNoCredentialThere_runsNoProgram() throws IOException {
        GitRepo elsewhere = GitRepo.create(Files.createDirectories(dir.resolve("elsewhere")));
        elsewhere.commit("any", Map.of("x", "x\n"));
        String content = "the real model\n";
        elsewhere.lfs(content); // the other server could serve the object too
        GitHttpServer other = serve(elsewhere, null);
        Path marker = dir.resolve("agent-ran");
        String lfsconfig = "[lfs]\n\turl = " + other.url() + "/info/lfs\n"
                + "\tstandalonetransferagent = evil\n"
                + "[lfs \"customtransfer.evil\"]\n\tpath = /bin/sh\n\targs = -c \"touch " + marker + "\"\n"
                + "[remote \"origin\"]\n\tlfsurl = " + other.url() + "/info/lfs\n";
        String commit = repo.commit(
                "hostile",
                Map.of(".gitattributes", ATTRIBUTES, ".lfsconfig", lfsconfig, "model.bin", repo.lfs(content)));
        // Public, so that the commit can be read without credentials first; the checkout still sends one (as for a
        // private repository), which must reach this server only.
        GitHttpServer server = serve(repo, null);
        CloneUrl url = CloneUrl.parse(server.url(), false);
        SourceCache cache = cache();
        // Into the mirror without LFS (as the coordinator reads .multiarch.yaml), then HEAD names it.
        assertEquals(lfsconfig, cache.read(url, commit, ".lfsconfig").orElseThrow());
        Path mirror = cache.mirrorDir(url);
        Git.ok(mirror, null, Git.Call.OWN_REPO, "symbolic-ref", "HEAD", Mirror.REFS + commit);
        assertEquals(
                lfsconfig,
                Git.ok(mirror, null, Git.Call.OWN_REPO, "show", "HEAD:.lfsconfig")
                        .out(),
                "git-lfs finds the .lfsconfig");

        Path job = dir.resolve("job/src");
        cache.checkout(url, commit, job, SECRET, log::add);

        assertEquals(content, Files.readString(job.resolve("model.bin")));
        assertEquals(List.of(), other.requests(), "the host .lfsconfig names gets no request at all");
        assertEquals(List.of(GitRepo.oid(content)), server.lfsDownloads());
        assertTrue(
                server.authorizations().stream().anyMatch(SECRET::equals),
                "the clone URL's server got the credential: " + server.authorizations());
        assertFalse(Files.exists(marker), "no transfer agent of the repository's ran");
        assertTrue(
                String.join("\n", log).contains("lfs.standalonetransferagent"),
                "git-lfs did read the .lfsconfig (and said which keys it ignored): " + log);
        assertFalse(String.join("\n", log).contains(SECRET), "the credential is in no log line");
    }

    /** GitHub's batch API names download links on another host: the credential for the clone URL stays with it. */
    @Test
    void checkout_privateRepository_downloadsFromAnotherHostGetNoCredential() throws IOException {
        String content = "private weights\n";
        String commit = repo.commit("private", Map.of(".gitattributes", ATTRIBUTES, "w.bin", repo.lfs(content)));
        GitRepo cdnSide = GitRepo.create(Files.createDirectories(dir.resolve("cdn")));
        cdnSide.lfs(content);
        GitHttpServer cdn = serve(cdnSide, null);
        GitHttpServer server = serve(repo, SECRET);
        server.lfsDownloadsFrom(cdn);
        CloneUrl url = CloneUrl.parse(server.url(), false);

        Path job = dir.resolve("job/src");
        cache().checkout(url, commit, job, SECRET, log::add);

        assertEquals(content, Files.readString(job.resolve("w.bin")));
        assertTrue(
                server.requests().contains("POST /origin.git/info/lfs/objects/batch"),
                server.requests().toString());
        assertTrue(server.authorizations().stream().allMatch(SECRET::equals), "the server required it");
        assertEquals(List.of(GitRepo.oid(content)), cdn.lfsDownloads());
        assertEquals(List.of(""), cdn.authorizations(), "the other host got no credential");
    }

    @Test
    void evictedCommits_loseTheirLfsObjects_heldOnesKeepThem() throws IOException {
        String a = repo.commit("a", Map.of(".gitattributes", ATTRIBUTES, "m.bin", repo.lfs("model a\n")));
        String b = repo.commit("b", Map.of("m.bin", repo.lfs("model b\n")));
        GitHttpServer server = serve(repo, null);
        CloneUrl url = CloneUrl.parse(server.url(), false);
        SourceCache cache = new SourceCache(dir.resolve("work/sources"), 1);

        cache.checkout(url, a, dir.resolve("job1/src"), null, log::add);
        Path objectA = Lfs.object(cache.mirrorDir(url), GitRepo.oid("model a\n"));
        assertTrue(Files.isRegularFile(objectA));
        cache.checkout(url, b, dir.resolve("job2/src"), null, log::add);
        assertFalse(Files.exists(objectA), "the evicted commit's object is gone");
        assertTrue(Files.isRegularFile(Lfs.object(cache.mirrorDir(url), GitRepo.oid("model b\n"))));
        cache.checkout(url, a, dir.resolve("job3/src"), null, log::add);
        assertEquals("model a\n", Files.readString(dir.resolve("job3/src/m.bin")), "and is fetched again when needed");
    }

    /** A local source ({@code multiarch build DIR}, allow-local-sources): git-lfs's standalone file transfer. */
    @Test
    void checkout_localSource_readsTheRepositorysOwnLfsObjects() throws IOException {
        String commit = repo.commit("local", Map.of(".gitattributes", ATTRIBUTES, "m.bin", repo.lfs("local model\n")));
        CloneUrl url = CloneUrl.parse(repo.cloneUrl(), true);

        Path job = dir.resolve("job/src");
        cache().checkout(url, commit, job, null, log::add);

        assertEquals("local model\n", Files.readString(job.resolve("m.bin")));
    }

    @Test
    void endpoint_isTheCloneUrlsOwn_asGitLfsDerivesIt() {
        assertEquals(
                "https://github.com/o/r.git/info/lfs",
                Lfs.endpoint(CloneUrl.parse("https://github.com/o/r.git", false)));
        assertEquals(
                "https://github.com/o/r.git/info/lfs", Lfs.endpoint(CloneUrl.parse("https://github.com/o/r", false)));
    }

    @Test
    void pointer_onlyTheSpecsForm() {
        String oid = "0".repeat(64);
        String good = "version https://git-lfs.github.com/spec/v1\noid sha256:" + oid + "\nsize 3\n";
        assertEquals(
                new Lfs.File("p", oid, 3), Lfs.pointer("p", good.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        for (String bad : List.of(
                good.strip(),
                good.replace("spec/v1", "spec/v2"),
                good.replace("sha256:", "sha1:"),
                good.replace("size 3", "size -3"),
                "hello\n")) {
            assertEquals(null, Lfs.pointer("p", bad.getBytes(java.nio.charset.StandardCharsets.UTF_8)), bad);
        }
    }
}
