package dev.multiarch.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CacheScopesTest {
    @TempDir
    Path dir;

    private static final long MIB = 1 << 20;

    /** A clock the test moves: each scope is used at a time of its own. */
    private static final class Ticking extends Clock {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    /** Uses a scope (a job's lease), writing {@code mib} MiB into its storage, and measures it as a job's end does. */
    private static String use(CacheScopes s, Ticking clock, String image, String platform, int mib) throws Exception {
        clock.now = clock.now.plusSeconds(60);
        try (CacheScopes.Lease l = s.acquire("acme/src", image, platform)) {
            Files.write(l.storage().resolve("layer-" + clock.now.getEpochSecond()), new byte[mib * (int) MIB]);
            s.measure(l.name());
            return l.name();
        }
    }

    @Test
    void scopes_perRepositoryImageAndPlatform_neverShared() throws Exception {
        assertNotEquals(
                CacheScopes.name("acme/a", "reg/acme/app", "linux/amd64"),
                CacheScopes.name("acme/a", "reg/acme/app", "linux/arm64"));
        assertNotEquals(
                CacheScopes.name("acme/a", "reg/acme/app", "linux/amd64"),
                CacheScopes.name("acme/a", "reg/acme/web", "linux/amd64"));
        assertNotEquals(
                CacheScopes.name("acme/a", "reg/acme/app", "linux/amd64"),
                CacheScopes.name("acme/b", "reg/acme/app", "linux/amd64"),
                "two repositories allowed to publish one image");
        assertEquals(
                CacheScopes.name("acme/a", "reg/acme/app", "linux/amd64"),
                CacheScopes.name("Acme/A", "reg/acme/app", "linux/amd64"),
                "GitHub's owner/name ignores case");
    }

    @Test
    void aScopesName_isWhatTheCoordinatorComputesForAJob_andNeverChanges() {
        // SHA-256 of "acme/src\nreg/acme/app\nlinux/amd64", first 24 hex digits: the name of storages already on
        // runners' disks, and what the dispatcher matches polls against (Protocol.cacheScope).
        assertEquals("7cc2549e75c97e3da79bdd1d", CacheScopes.name("Acme/Src", "reg/acme/app", "linux/amd64"));
        assertEquals(
                dev.multiarch.dispatch.Protocol.cacheScope("acme/src", "reg/acme/app", "linux/amd64"),
                CacheScopes.name("acme/src", "reg/acme/app", "linux/amd64"));
    }

    @Test
    void recent_listsTheScopesHoldingAStorage_mostRecentlyUsedFirst_capped() throws Exception {
        Ticking clock = new Ticking();
        CacheScopes s = new CacheScopes(dir, 100 * MIB, clock);
        assertEquals(List.of(), s.recent(64), "no cache directory yet");
        String amd64 = use(s, clock, "reg/acme/app", "linux/amd64", 0);
        String arm64 = use(s, clock, "reg/acme/app", "linux/arm64", 0);
        String s390x = use(s, clock, "reg/acme/app", "linux/s390x", 0);
        use(s, clock, "reg/acme/app", "linux/amd64", 0);
        Files.createDirectories(dir.resolve(".removing-" + arm64 + "-1/storage"));
        Files.createDirectories(dir.resolve(".locks"));
        Files.createDirectories(dir.resolve("0123456789abcdef01234567")); // no storage: nothing to find there
        assertEquals(List.of(amd64, s390x, arm64), s.recent(64));
        assertEquals(List.of(amd64, s390x), s.recent(2));
    }

    @Test
    void twoRepositoriesPublishingOneImage_getStoragesOfTheirOwn() throws Exception {
        CacheScopes s = new CacheScopes(dir.resolve("cache"), MIB, Clock.systemUTC());
        Path a;
        try (CacheScopes.Lease l = s.acquire("acme/a", "reg/acme/app", "linux/amd64")) {
            a = l.storage();
            // What buildah leaves there: the scope's last build (BuildahDriver.LAST_BUILD) among the images.
            Files.writeString(a.resolve("multiarch-last-build"), "acme/a's build");
        }
        try (CacheScopes.Lease l = s.acquire("acme/b", "reg/acme/app", "linux/amd64")) {
            assertNotEquals(a, l.storage());
            assertTrue(l.fresh(), "acme/b starts with nothing of acme/a's");
            assertFalse(l.storage().startsWith(a) || a.startsWith(l.storage()), "neither storage root holds the other");
            assertFalse(Files.exists(l.storage().resolve("multiarch-last-build")));
        }
    }

    @Test
    void prune_overTheSize_removesTheLeastRecentlyUsedScopes_untilUnder() throws Exception {
        Ticking clock = new Ticking();
        CacheScopes s =
                new CacheScopes(dir.resolve("cache"), 5 * MIB + 64 * 1024, clock); // files plus scope.json and size
        String a = use(s, clock, "reg/acme/app", "linux/amd64", 2);
        String b = use(s, clock, "reg/acme/app", "linux/arm64", 2);
        String c = use(s, clock, "reg/acme/web", "linux/amd64", 1);
        assertEquals(List.of(), s.prune(l -> {}), "5 MiB of 5: nothing to do");

        use(s, clock, "reg/acme/app", "linux/amd64", 1); // a is now the most recently used, 3 MiB
        List<String> lines = new ArrayList<>();
        assertEquals(List.of(b), s.prune(lines::add), "6 MiB: the oldest (b) goes, and that is enough");
        assertFalse(Files.exists(dir.resolve("cache").resolve(b)));
        assertTrue(Files.exists(dir.resolve("cache").resolve(a)));
        assertTrue(Files.exists(dir.resolve("cache").resolve(c)));
        assertTrue(lines.get(0).contains("removed reg/acme/app linux/arm64 (acme/src), 2.0 MiB"), lines.toString());
        assertEquals(
                List.of(c, a), s.scopes().stream().map(CacheScopes.Scope::name).toList(), "least recent first");
    }

    @Test
    void prune_skipsAScopeInUse() throws Exception {
        Ticking clock = new Ticking();
        CacheScopes s = new CacheScopes(dir.resolve("cache"), 0, clock);
        String old = use(s, clock, "reg/acme/app", "linux/amd64", 1);
        use(s, clock, "reg/acme/app", "linux/arm64", 1);
        try (CacheScopes.Lease held = s.acquire("acme/src", "reg/acme/app", "linux/amd64")) {
            List<String> removed = s.prune(l -> {});
            assertEquals(1, removed.size());
            assertFalse(removed.contains(old), "a running job's storage stays");
            assertTrue(Files.isDirectory(held.storage()));
        }
        assertEquals(List.of(old), s.prune(l -> {}), "and goes once the job is done (cache-size: 0)");
    }

    @Test
    void twoRunnersSharingAWorkDirectory_neitherRemovesAStorageTheOtherUses() throws Exception {
        Ticking clock = new Ticking();
        CacheScopes one = new CacheScopes(dir.resolve("cache"), 0, clock);
        CacheScopes two = new CacheScopes(dir.resolve("cache"), 0, clock);
        String used = use(one, clock, "reg/acme/app", "linux/amd64", 1);
        try (CacheScopes.Lease held = one.acquire("acme/src", "reg/acme/app", "linux/amd64")) {
            assertEquals(List.of(), two.prune(l -> {}), "the other runner's job holds it");
            assertTrue(Files.isDirectory(held.storage()));
        }
        assertEquals(List.of(used), two.prune(l -> {}), "and it goes once that job is done");
    }

    @Test
    void aStorageInUseByAnotherProcess_isSkippedByPruning() throws Exception {
        Ticking clock = new Ticking();
        CacheScopes s = new CacheScopes(dir.resolve("cache"), 0, clock);
        String used = use(s, clock, "reg/acme/app", "linux/amd64", 1);
        Path lock = dir.resolve("cache").resolve(".locks").resolve(used + ".lock");
        assertTrue(Files.exists(lock), "a job's lock file, outside the directory pruning renames");
        // Another runner process's job: a shared lock on the scope's lock file, as CacheScopes takes it.
        Path hold = dir.resolve("Hold.java");
        Files.writeString(
                hold,
                "import java.nio.channels.FileChannel;\nimport java.nio.file.*;\npublic class Hold {\n"
                        + "  public static void main(String[] a) throws Exception {\n"
                        + "    try (FileChannel c = FileChannel.open(Path.of(a[0]), StandardOpenOption.READ)) {\n"
                        + "      c.lock(0, Long.MAX_VALUE, true);\n"
                        + "      System.out.println(\"held\");\n"
                        + "      System.out.flush();\n"
                        + "      System.in.read();\n"
                        + "    }\n  }\n}\n");
        String java = ProcessHandle.current().info().command().orElse("java");
        Process other = new ProcessBuilder(java, hold.toString(), lock.toString())
                .redirectErrorStream(true)
                .start();
        try {
            var out = new java.io.BufferedReader(new java.io.InputStreamReader(other.getInputStream()));
            assertEquals("held", out.readLine());
            assertEquals(List.of(), s.prune(l -> {}), "the other process's job holds it");
            assertTrue(Files.isDirectory(dir.resolve("cache").resolve(used).resolve("storage")));
            try (CacheScopes.Lease l = s.acquire("acme/src", "reg/acme/app", "linux/amd64")) {
                assertFalse(l.fresh(), "jobs of both processes share it");
            }
        } finally {
            other.getOutputStream().close();
            other.waitFor();
        }
        assertEquals(List.of(used), s.prune(l -> {}), "once that process lets go, it goes");
    }

    @Test
    void anInterruptedRemoval_isFinishedAtStart() throws Exception {
        Path left = Files.createDirectories(
                dir.resolve("cache").resolve(".removing-abc-1").resolve("storage"));
        Files.writeString(left.resolve("f"), "x");
        CacheScopes s = new CacheScopes(dir.resolve("cache"), MIB, Clock.systemUTC());
        s.removeLeftovers();
        assertFalse(Files.exists(dir.resolve("cache").resolve(".removing-abc-1")));
        assertEquals(List.of(), s.scopes(), "and it never counted as a scope");
    }
}
