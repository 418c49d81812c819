package dev.multiarch.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.testing.GitHttpServer;
import dev.multiarch.testing.GitRepo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner's source cache against a repository served over git's smart HTTP protocol, as GitHub serves it. */
class SourceCacheTest {
    @TempDir
    Path dir;

    private GitRepo repo;
    private String first;
    private GitHttpServer server;
    private CloneUrl url;
    private final List<String> log = Collections.synchronizedList(new ArrayList<>());

    @BeforeEach
    void repository() throws IOException {
        repo = GitRepo.create(Files.createDirectories(dir.resolve("origin")));
        first = repo.commit("first", Map.of("Dockerfile", "FROM scratch\n", "sub/file", "one\n"));
        server = GitHttpServer.serve(Path.of(repo.cloneUrl()), null);
        url = CloneUrl.parse(server.url(), false);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private SourceCache cache() {
        return new SourceCache(dir.resolve("work/sources"));
    }

    @Test
    void twoProcessesSharingAWorkDirectory_eachUseACacheOfTheirOwn_andCleanOnlyTheirs() throws Exception {
        Path root = dir.resolve("work/sources");
        Process other = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        SourceCacheHolder.class.getName(),
                        root.toString())
                .redirectErrorStream(true)
                .start();
        try {
            String said = new java.io.BufferedReader(
                            new java.io.InputStreamReader(other.getInputStream(), StandardCharsets.UTF_8))
                    .readLine();
            assertEquals("using " + root, said, "the first process takes the directory itself");
            // What the other process is making right now, as a killed runner would have left it.
            Path inFlight = Files.createDirectories(root.resolve(".tmp-" + "a".repeat(32) + "-making"));
            try (SourceCache mine = SourceCache.forProcess(root)) {
                assertEquals(root.resolve("also-1"), mine.root(), "a second process uses a directory of its own");
                assertTrue(Files.isDirectory(inFlight), "and leaves the other's work alone");
                mine.checkout(url, first, dir.resolve("job1/src"), null, log::add);
                assertEquals(List.of(first), mine.commits(10));
            }
            other.getOutputStream().close();
            assertEquals(0, other.waitFor(), "the other process ended");
            try (SourceCache after = SourceCache.forProcess(root)) {
                assertEquals(root, after.root(), "free again once its process ended");
                assertFalse(Files.exists(inFlight), "what a process that ended left half made is removed");
            }
        } finally {
            other.destroyForcibly();
        }
    }

    @Test
    void sameCommitTwice_fetchedOnce_checkedOutTwice_treeOnly() throws IOException {
        SourceCache cache = cache();
        SourceCache.Checkout a = cache.checkout(url, first, dir.resolve("job1/src"), null, log::add);
        int requests = server.authorizations().size();
        SourceCache.Checkout b = cache.checkout(url, first, dir.resolve("job2/src"), null, log::add);

        assertTrue(a.fetched());
        assertFalse(b.fetched(), "the second job found the commit in the cache");
        assertEquals(requests, server.authorizations().size(), "the second checkout asked the server nothing");
        for (String job : List.of("job1", "job2")) {
            assertEquals("one\n", Files.readString(dir.resolve(job + "/src/sub/file")));
            assertFalse(Files.exists(dir.resolve(job + "/src/.git")), "the tree only, no repository in the context");
            assertFalse(Files.exists(dir.resolve(job + "/src.index")), "the private index is gone");
        }
        assertEquals(List.of(first), cache.commits(10));
    }

    @Test
    void concurrentJobsOfOneCommit_fetchItOnce() throws Exception {
        SourceCache cache = cache();
        server.hold();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<SourceCache.Checkout>> jobs = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Path w = dir.resolve("job" + i + "/src");
                jobs.add(pool.submit(() -> cache.checkout(url, first, w, null, log::add)));
            }
            assertTrue(server.awaitHeld(60), "a fetch reached the server");
            server.release();
            int fetched = 0;
            for (Future<SourceCache.Checkout> f : jobs) {
                fetched += f.get().fetched() ? 1 : 0;
            }
            assertEquals(1, fetched, "one job fetched, three waited for it and checked out");
            for (int i = 0; i < 4; i++) {
                assertEquals("FROM scratch\n", Files.readString(dir.resolve("job" + i + "/src/Dockerfile")));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void sourceCredentials_reachTheServer_andAreStoredNowhere() throws IOException {
        String token = "x-access-token:ghs_" + "s3cr3t".repeat(6);
        String header = "Basic " + java.util.Base64.getEncoder().encodeToString(token.getBytes(StandardCharsets.UTF_8));
        server.close();
        server = GitHttpServer.serve(Path.of(repo.cloneUrl()), header);
        url = CloneUrl.parse(server.url(), false);
        SourceCache cache = cache();

        cache.checkout(url, first, dir.resolve("job/src"), header, log::add);

        assertTrue(server.authorizations().contains(header), "git sent the header");
        Path mirror = cache.mirrorDir(url);
        try (var files = Files.walk(dir.resolve("work"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                assertFalse(text.contains("s3cr3t") || text.contains(header.substring(6)), "credential in " + f);
                assertFalse(text.toLowerCase(java.util.Locale.ROOT).contains("extraheader"), "header config in " + f);
            }
        }
        assertTrue(Files.isDirectory(mirror));
        String second = repo.commit("second", Map.of("sub/file", "two\n"));
        Git.GitException e = assertThrows(
                Git.GitException.class, () -> cache.checkout(url, second, dir.resolve("job2/src"), null, log::add));
        assertTrue(e.getMessage().contains("failed"), "without the header the server refuses: " + e.getMessage());
    }

    @Test
    void fetchStoppedMidway_leavesTheMarker_andTheNextJobMakesTheMirrorAgain() throws Exception {
        SourceCache cache = cache();
        server.hold();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread job = new Thread(() -> {
            try {
                cache.checkout(url, first, dir.resolve("job1/src"), null, log::add);
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        job.start();
        assertTrue(server.awaitHeld(60), "the fetch reached the server");
        job.interrupt(); // the job was cancelled: git is killed mid-fetch
        job.join();
        assertTrue(failure.get() instanceof Git.GitException, String.valueOf(failure.get()));
        Path mirror = cache.mirrorDir(url);
        assertTrue(Files.exists(mirror.resolve(Mirror.MARKER)), "the unfinished write is visible to the next job");
        Files.writeString(mirror.resolve("shallow.lock"), ""); // what a killed git leaves behind
        server.release();

        SourceCache.Checkout c = cache.checkout(url, first, dir.resolve("job2/src"), null, log::add);

        assertTrue(c.fetched());
        assertEquals("one\n", Files.readString(dir.resolve("job2/src/sub/file")));
        assertTrue(log.stream().anyMatch(l -> l.contains("making the mirror again")), String.join("\n", log));
        assertFalse(Files.exists(mirror.resolve(Mirror.MARKER)));
        assertFalse(Files.exists(mirror.resolve("shallow.lock")));
    }

    @Test
    void aRunnerKilledMidway_leavesNothingTheNextRunCannotUse() throws IOException {
        SourceCache before = cache();
        before.checkout(url, first, dir.resolve("job1/src"), null, log::add);
        Path root = dir.resolve("work/sources");
        Path mirror = before.mirrorDir(url);
        // The state a SIGKILL leaves: a mirror half made, one half deleted, one written to when the runner died.
        Files.createDirectories(root.resolve(".tmp-abc-1/objects"));
        Files.createDirectories(root.resolve(".trash-abc-2/objects"));
        Files.writeString(mirror.resolve(Mirror.MARKER), "");
        Files.writeString(mirror.resolve("packed-refs.lock"), "");

        SourceCache after = cache();

        assertFalse(Files.exists(root.resolve(".tmp-abc-1")));
        assertFalse(Files.exists(root.resolve(".trash-abc-2")));
        assertEquals(List.of(), after.commits(10), "a mirror written to when the runner died holds nothing");
        SourceCache.Checkout c = after.checkout(url, first, dir.resolve("job2/src"), null, log::add);
        assertTrue(c.fetched(), "made again and fetched");
        assertEquals(List.of(first), after.commits(10));
    }

    @Test
    void reopened_knowsItsCommits_newestFirst() {
        SourceCache cache = cache();
        cache.checkout(url, first, dir.resolve("a/src"), null, log::add);
        String second = repo.commit("second", Map.of("sub/file", "two\n"));
        cache.checkout(url, second, dir.resolve("b/src"), null, log::add);
        cache.checkout(url, first, dir.resolve("c/src"), null, log::add);
        assertEquals(List.of(first, second), cache.commits(10), "most recently used first");
        assertEquals(List.of(first), cache.commits(1), "bounded");
        assertEquals(2, cache().commits(10).size(), "a runner started again knows what it holds");
    }

    @Test
    void oldestCommits_loseTheirPlace() {
        SourceCache cache = new SourceCache(dir.resolve("work/sources"), 2);
        List<String> commits = new ArrayList<>(List.of(first));
        for (int i = 2; i <= 3; i++) {
            commits.add(repo.commit("c" + i, Map.of("sub/file", i + "\n")));
        }
        for (String c : commits) {
            cache.checkout(url, c, dir.resolve(c + "/src"), null, log::add);
        }
        assertEquals(List.of(commits.get(2), commits.get(1)), cache.commits(10));
        String refs = Git.ok(cache.mirrorDir(url), null, Git.Call.OWN_REPO, "for-each-ref", Mirror.REFS)
                .out();
        assertFalse(refs.contains(first), refs);
    }

    @Test
    void mirrorsAreNamedByAHash_neverByTheUrl() {
        SourceCache cache = cache();
        CloneUrl sneaky = CloneUrl.parse("http://127.0.0.1:1/../../../etc/cron.d.git", false);
        Path m = cache.mirrorDir(sneaky);
        assertEquals(dir.resolve("work/sources"), m.getParent());
        assertTrue(m.getFileName().toString().matches("[0-9a-f]{32}\\.git"), m.toString());
        assertNotEquals(m, cache.mirrorDir(url));
    }

    @Test
    void localSource_borrowsItsObjects_andFetchesNothing() throws IOException {
        CloneUrl local = CloneUrl.parse(repo.cloneUrl(), true);
        SourceCache cache = cache();
        SourceCache.Checkout c = cache.checkout(local, first, dir.resolve("job/src"), null, log::add);
        assertFalse(c.fetched());
        assertEquals("one\n", Files.readString(dir.resolve("job/src/sub/file")));
        assertEquals(
                Path.of(repo.cloneUrl()).resolve("objects").toRealPath().toString(),
                Files.readString(cache.mirrorDir(local).resolve("objects/info/alternates"))
                        .strip());
    }

    @Test
    void commitNotInTheRepository_failsNamingIt() {
        String missing = "0123456789abcdef0123456789abcdef01234567";
        Git.GitException e = assertThrows(
                Git.GitException.class, () -> cache().checkout(url, missing, dir.resolve("job/src"), null, log::add));
        assertTrue(e.getMessage().contains(missing), e.getMessage());
    }
}
