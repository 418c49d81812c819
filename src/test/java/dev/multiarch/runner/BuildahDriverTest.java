package dev.multiarch.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.dispatch.Protocol;
import dev.multiarch.registry.RegistryException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** BuildahDriver's buildah command lines, against a stand-in buildah that records them. */
class BuildahDriverTest {
    private static final String CACHE = "registry.example/o/r/cache/linux-amd64";

    @TempDir
    Path dir;

    private Path calls;
    private Path fake;
    private CacheScopes scopes;
    private final List<String> log = new ArrayList<>();

    /** A buildah that appends its arguments to a file; {@code bud} prints {@code budSays} and exits {@code budExit}. */
    private void fakeBuildah(String budSays, int budExit) throws Exception {
        calls = dir.resolve("calls");
        fake = dir.resolve("buildah");
        Files.writeString(
                fake,
                "#!/bin/sh\n"
                        + "echo \"$*\" >> '" + calls + "'\n"
                        + "for a in \"$@\"; do\n"
                        + "  case \"$a\" in\n"
                        + "    bud) echo '" + budSays + "'; exit " + budExit + ";;\n"
                        + "    inspect) echo '[{\"OCIv1\":{\"rootfs\":{\"diff_ids\":[]}}}]'; exit 0;;\n"
                        + "  esac\n"
                        + "done\n"
                        + "exit 0\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwx------"));
    }

    @BeforeEach
    void setUp() {
        scopes = new CacheScopes(dir.resolve("cache"), 1L << 30, Clock.systemUTC());
    }

    private static Protocol.Assignment job(boolean untrusted, Protocol.LayerCache cache) {
        return Protocol.Assignment.builder()
                .jobId(1)
                .buildId(1)
                .attempt(1)
                .platform("linux/amd64")
                .cloneUrl("https://github.com/o/r.git")
                .commit("a".repeat(40))
                .dockerfile("Dockerfile")
                .context(".")
                .image("registry.example/o/r")
                .format("oci")
                .push(untrusted ? null : new Protocol.PushCredentials("registry.example", false, "u", "p", null))
                .timeoutSeconds(600)
                .heartbeatSeconds(10)
                .untrusted(untrusted)
                .cache(cache)
                .repo("o/r")
                .build();
    }

    private BuildDriver.Built build(Protocol.Assignment job, BuildahDriver.WriteCheck check) throws Exception {
        Path src = Files.createDirectories(dir.resolve("src"));
        Files.writeString(src.resolve("Dockerfile"), "FROM scratch\n");
        Path out = Files.createDirectories(dir.resolve("job"));
        // An earlier build of the image on this runner: nothing to pull from the registry first.
        if (!job.untrusted()) {
            Files.createDirectories(dir.resolve("cache")
                    .resolve(CacheScopes.name("o/r", job.image(), job.platform()))
                    .resolve("storage"));
        }
        BuildahDriver d = new BuildahDriver(scopes, "vfs", List.of(), fake.toString(), check);
        return d.build(
                new BuildDriver.Input(
                        job, src, src.resolve("Dockerfile"), src, out.resolve("auth.json"), Map.of(), () -> {}),
                out,
                log::add,
                Instant.now().plusSeconds(60),
                new Exec.Stop(),
                new Steps());
    }

    private List<String> buds() throws Exception {
        return Files.readAllLines(calls).stream()
                .filter(l -> l.contains(" bud "))
                .toList();
    }

    @Test
    void aBuildThatFailsWhileWritingTheCache_runsOnceMoreWithoutWritingIt_andItsSecondEndIsTheJobs() throws Exception {
        // Whatever it printed (here what buildah prints when a cache push meets a 503, which a RUN could print too):
        // the second run only reads the cache, so nothing the build says can make it write or stop writing it.
        fakeBuildah("failed pushing cache to " + CACHE + ": 503", 125);
        Protocol.Assignment job = job(false, new Protocol.LayerCache(CACHE, false, true));
        Exec.StepFailed failed = assertThrows(Exec.StepFailed.class, () -> build(job, (j, c) -> {}));
        assertEquals("build failed (exit 125)", failed.getMessage());
        List<String> buds = buds();
        assertEquals(2, buds.size(), "once with the cache written, once more without: " + buds);
        assertTrue(buds.get(0).contains("--cache-to " + CACHE), buds.get(0));
        assertFalse(buds.get(1).contains("--cache-to"), buds.get(1));
        assertTrue(buds.get(1).contains("--cache-from " + CACHE), buds.get(1));
        assertTrue(
                log.stream().anyMatch(l -> l.contains("building once more without writing the cache")), log.toString());
    }

    @Test
    void aBuildThatSucceedsOnceMoreWithoutWritingTheCache_isTheJobsImage() throws Exception {
        calls = dir.resolve("calls");
        fake = dir.resolve("buildah");
        Path tries = dir.resolve("tries");
        // The first bud fails as a cache push does, the second succeeds.
        Files.writeString(
                fake,
                "#!/bin/sh\n"
                        + "echo \"$*\" >> '" + calls + "'\n"
                        + "for a in \"$@\"; do\n"
                        + "  case \"$a\" in\n"
                        + "    bud) if [ -e '" + tries + "' ]; then echo built; exit 0; fi; touch '" + tries
                        + "'; echo 'Error: failed pushing cache'; exit 125;;\n"
                        + "    inspect) echo '[{\"OCIv1\":{\"rootfs\":{\"diff_ids\":[]}}}]'; exit 0;;\n"
                        + "  esac\n"
                        + "done\n"
                        + "exit 0\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwx------"));
        build(job(false, new Protocol.LayerCache(CACHE, false, true)), (j, c) -> {});
        assertEquals(2, buds().size(), buds().toString());
        assertTrue(
                log.stream().anyMatch(l -> l.contains("the registry cache is read only for this job")), log.toString());
    }

    @Test
    void aFailingBuildThatWritesNoCache_runsOnce() throws Exception {
        fakeBuildah("failed pushing cache to " + CACHE + ": denied", 1);
        assertThrows(
                Exec.StepFailed.class,
                () -> build(job(false, new Protocol.LayerCache(CACHE, false, false)), (j, c) -> {}));
        assertEquals(1, buds().size(), buds().toString());
        assertThrows(
                Exec.StepFailed.class,
                () -> build(job(true, new Protocol.LayerCache(CACHE, false, true)), (j, c) -> {}));
        assertEquals(2, buds().size(), "an untrusted job never writes, so never runs again: " + buds());
    }

    @Test
    void aCacheTheRegistrySaysCannotBeWritten_isOnlyRead_decidedBeforeTheBuild() throws Exception {
        fakeBuildah("STEP 1/1: FROM scratch", 0);
        Protocol.Assignment job = job(false, new Protocol.LayerCache(CACHE, false, true));
        build(job, (j, c) -> {
            throw RegistryException.builder("start uploading blob to", c.repository())
                    .code("NAME_UNKNOWN")
                    .build();
        });
        List<String> buds = buds();
        assertEquals(1, buds.size(), buds.toString());
        assertTrue(buds.get(0).contains("--cache-from " + CACHE), buds.get(0));
        assertFalse(buds.get(0).contains("--cache-to"), buds.get(0));
        assertTrue(
                log.stream().anyMatch(l -> l.contains("cannot be written") && l.contains("reads it only")),
                log.toString());
    }

    @Test
    void aTrustedBuildInItsKeptStorage_pullsNewerBaseImages_anUntrustedOneStartsEmptyAnyway() throws Exception {
        fakeBuildah("STEP 1/1: FROM scratch", 0);
        build(job(false, null), (j, c) -> {});
        assertTrue(buds().get(0).contains(" --pull=true "), buds().get(0));

        Files.delete(calls);
        CacheScopes.deleteTree(dir.resolve("job"));
        build(job(true, null), (j, c) -> {});
        assertFalse(buds().get(0).contains("--pull"), buds().get(0));
    }

    @Test
    void aRegistryOnThisMachine_isReachedOverPlainHttp_asOurClientDoes_othersAreNot() throws Exception {
        fakeBuildah("STEP 1/1: FROM scratch", 0);
        String local = "127.0.0.1:5000";
        Protocol.Assignment onLoopback = Protocol.Assignment.builder()
                .jobId(1)
                .buildId(1)
                .attempt(1)
                .platform("linux/amd64")
                .cloneUrl("https://github.com/o/r.git")
                .commit("a".repeat(40))
                .dockerfile("Dockerfile")
                .context(".")
                .image(local + "/o/r")
                .format("oci")
                .push(new Protocol.PushCredentials(local, false, "u", "p", null))
                .timeoutSeconds(600)
                .heartbeatSeconds(10)
                .cache(new Protocol.LayerCache(local + "/o/r/cache/linux-amd64", false, true))
                .repo("o/r")
                .build();
        build(onLoopback, (j, c) -> {});
        String bud = buds().get(0);
        assertTrue(bud.contains("--registries-conf "), bud);
        String conf = Files.readString(dir.resolve("job").resolve("registries.conf"));
        assertTrue(conf.contains("location = \"" + local + "\"\ninsecure = true"), conf);

        Files.delete(calls);
        CacheScopes.deleteTree(dir.resolve("job"));
        build(job(false, new Protocol.LayerCache(CACHE, false, true)), (j, c) -> {});
        assertFalse(buds().get(0).contains("--registries-conf"), buds().get(0));

        for (String r : List.of("localhost", "localhost:5000", "127.0.0.1", "127.1.2.3:80", "[::1]:5000")) {
            assertTrue(BuildahDriver.isLoopback(r), r);
        }
        for (String r : List.of("registry.example", "10.0.0.1:5000", "localhost.example.com", "[2001:db8::1]:5000")) {
            assertFalse(BuildahDriver.isLoopback(r), r);
        }
    }

    @Test
    void theBuildsAnnotations_areNotLabelStepsOfTheBuild() throws Exception {
        fakeBuildah("STEP 1/1: FROM scratch", 0);
        Path src = Files.createDirectories(dir.resolve("src"));
        Files.writeString(src.resolve("Dockerfile"), "FROM scratch\n");
        Path out = Files.createDirectories(dir.resolve("job"));
        // What buildah push writes into dir:, for the labels to go into.
        Path layout = Files.createDirectories(out.resolve("image"));
        byte[] config = "{\"os\":\"linux\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        dev.multiarch.registry.Digest cd = dev.multiarch.registry.Digest.sha256(config);
        Files.write(layout.resolve(cd.hex()), config);
        Files.writeString(
                layout.resolve("manifest.json"),
                "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":"
                        + "{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + cd
                        + "\",\"size\":" + config.length + "},\"layers\":[]}");
        BuildahDriver d = new BuildahDriver(scopes, "vfs", List.of(), fake.toString(), (j, c) -> {});
        d.build(
                new BuildDriver.Input(
                        job(false, null),
                        src,
                        src.resolve("Dockerfile"),
                        src,
                        out.resolve("auth.json"),
                        Map.of("org.opencontainers.image.revision", "a".repeat(40)),
                        () -> {}),
                out,
                log::add,
                Instant.now().plusSeconds(60),
                new Exec.Stop(),
                new Steps());
        assertFalse(buds().get(0).contains("--label"), buds().get(0));
        assertFalse(buds().get(0).contains("--annotation"), buds().get(0));
        assertTrue(
                new DirLayout(layout).manifest().json().path("annotations").has("org.opencontainers.image.revision"),
                Files.readString(layout.resolve("manifest.json")));
    }

    @Test
    void theBuildPermit_goesBackWhenTheBuildCommandEnds_beforeTheExport_evenWhenItFails() throws Exception {
        fakeBuildah("STEP 1/1: FROM scratch", 0);
        Path src = Files.createDirectories(dir.resolve("src"));
        Files.writeString(src.resolve("Dockerfile"), "FROM scratch\n");
        Path out = Files.createDirectories(dir.resolve("job"));
        BuildahDriver d = new BuildahDriver(scopes, "vfs", List.of(), fake.toString(), (j, c) -> {});
        Runnable built = () -> {
            try {
                Files.writeString(calls, "build ended\n", java.nio.file.StandardOpenOption.APPEND);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        d.build(
                new BuildDriver.Input(
                        job(false, null),
                        src,
                        src.resolve("Dockerfile"),
                        src,
                        out.resolve("auth.json"),
                        Map.of(),
                        built),
                out,
                log::add,
                Instant.now().plusSeconds(60),
                new Exec.Stop(),
                new Steps());
        List<String> order = Files.readAllLines(calls).stream()
                .map(l -> l.contains(" bud ") ? "bud" : l.contains(" push ") ? "export" : l)
                .filter(l -> l.equals("bud") || l.equals("export") || l.equals("build ended"))
                .toList();
        assertEquals(List.of("bud", "build ended", "export"), order);

        Files.delete(calls);
        CacheScopes.deleteTree(out);
        fakeBuildah("Error: no such file", 1);
        Files.createDirectories(out);
        assertThrows(
                Exec.StepFailed.class,
                () -> d.build(
                        new BuildDriver.Input(
                                job(false, null),
                                src,
                                src.resolve("Dockerfile"),
                                src,
                                out.resolve("auth.json"),
                                Map.of(),
                                built),
                        out,
                        log::add,
                        Instant.now().plusSeconds(60),
                        new Exec.Stop(),
                        new Steps()));
        assertTrue(Files.readAllLines(calls).contains("build ended"), Files.readString(calls));
    }
}
