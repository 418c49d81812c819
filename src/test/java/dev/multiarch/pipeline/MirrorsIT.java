package dev.multiarch.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.registry.Digest;
import dev.multiarch.testing.CliRun;
import dev.multiarch.testing.CoordinatorApi;
import dev.multiarch.testing.GitRepo;
import dev.multiarch.testing.PipelineRig;
import dev.multiarch.testing.Proc;
import dev.multiarch.testing.RegistryProxy;
import dev.multiarch.testing.RegistryServer;
import dev.multiarch.testing.Skopeo;
import dev.multiarch.testing.TestImages;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One build, three registries ({@code image: [A, B, C]}), through the real pipeline (coordinator and runner processes,
 * amd64 native and arm64 through QEMU, signing and provenance on): A is where the runners push; B is a second
 * docker-registry behind htpasswd, its requests counted by a proxy; C is a third one behind a proxy that breaks in the
 * middle of the copy and stays broken. skopeo, not our client, checks what each registry serves.
 */
class MirrorsIT {
    private static final Duration DEADLINE = Duration.ofMinutes(5);
    private static final String USER = "mirror";
    private static final String PASSWORD = "mirror-password-0123";
    private static final String COSIGN_PASSWORD = "multiarch-test-password";
    private static final List<String> TAGS = List.of("1", "1.0", "1.0.0", "latest");

    @TempDir
    Path dir;

    private RegistryServer a;
    private RegistryServer b;
    private RegistryServer c;
    private RegistryProxy bProxy;
    private RegistryProxy cProxy;
    private PipelineRig rig;
    private CoordinatorApi api;
    private Path publicKey;

    @BeforeEach
    void start() throws IOException {
        a = RegistryServer.start();
        b = RegistryServer.start(USER, PASSWORD);
        c = RegistryServer.start();
        bProxy = new RegistryProxy(b.host());
        cProxy = new RegistryProxy(c.host());
        Path key = dir.resolve("cosign.key");
        publicKey = dir.resolve("cosign.pub");
        copy("/signing/test-cosign.key", key);
        copy("/signing/test-cosign.pub", publicKey);
        // More registries: entries after the rig's own (A); B's login comes from the coordinator's environment.
        rig = new PipelineRig(dir, a, 6)
                .withConfig(
                        "  - host: " + bProxy.host() + "\n    username: " + USER
                                + "\n    password: ${TEST_B_PASSWORD}\n"
                                + "  - host: " + cProxy.host() + "\n"
                                + "signing:\n  key-file: " + key + "\n  password-env: TEST_COSIGN_PASSWORD\n",
                        Map.of("TEST_B_PASSWORD", PASSWORD, "TEST_COSIGN_PASSWORD", COSIGN_PASSWORD));
        rig.startCoordinator();
        rig.startRunner("runner-amd64", List.of("linux/amd64"), List.of("linux/arm64"), 2);
        api = rig.api();
    }

    @AfterEach
    void stop() {
        if (rig != null) {
            rig.close();
        }
        for (AutoCloseable x : new AutoCloseable[] {cProxy, bProxy, c, b, a}) {
            try {
                if (x != null) {
                    x.close();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static void copy(String resource, Path to) throws IOException {
        try (InputStream in = MirrorsIT.class.getResourceAsStream(resource)) {
            Files.copy(in, to);
        }
    }

    private String project(String name, String multiarchYaml) throws IOException {
        GitRepo repo = GitRepo.create(Files.createDirectories(dir.resolve(name)));
        Map<String, String> files = new LinkedHashMap<>();
        files.put(
                "Dockerfile",
                "FROM scratch\nARG TARGETARCH\nCOPY busybox-${TARGETARCH} /bin/busybox\n"
                        + "RUN [\"/bin/busybox\", \"mkdir\", \"-p\", \"/etc\"]\n");
        files.put("busybox-amd64", "@" + TestImages.busybox("amd64"));
        files.put("busybox-arm64", "@" + TestImages.busybox("arm64"));
        files.put(".multiarch.yaml", multiarchYaml);
        String commit = repo.commit("mirrored", files);
        repo.tag("v1.0.0");
        return repo.cloneUrl() + " " + commit;
    }

    private long trigger(String project) {
        String[] urlAndCommit = project.split(" ");
        return api.trigger(urlAndCommit[0], urlAndCommit[1], "refs/tags/v1.0.0", true)
                .get(0);
    }

    private static String sha256(String raw) {
        return Digest.sha256(raw.getBytes(StandardCharsets.UTF_8)).toString();
    }

    /** The tags of a repository as skopeo lists them (with a login when {@code creds} is given). */
    private static List<String> tags(String repo, String creds) {
        List<String> cmd = new ArrayList<>(List.of("skopeo", "list-tags", "--tls-verify=false"));
        if (creds != null) {
            cmd.addAll(List.of("--creds", creds));
        }
        cmd.add("docker://" + repo);
        Proc.Result r = Proc.run(cmd, null, 60);
        if (r.exit() != 0) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        Skopeo.parse(r.out()).path("Tags").forEach(t -> out.add(t.asText()));
        java.util.Collections.sort(out);
        return out;
    }

    private static List<String> states(JsonNode build) {
        List<String> out = new ArrayList<>();
        build.path("registries").forEach(r -> out.add(r.path("state").asText()));
        return out;
    }

    @Test
    void mirrorBreaksMidCopy_othersStayPublished_rerunAfterRestartCopiesOnlyWhatIsMissing() throws IOException {
        String imageA = a.host() + "/app";
        String imageB = bProxy.host() + "/app";
        String imageC = cProxy.host() + "/app";
        String project = project(
                "three",
                "image: [" + imageA + ", " + imageB + ", " + imageC + "]\nplatforms: [linux/amd64, linux/arm64]\n"
                        + "attestations: [provenance]\n");
        // C takes a few requests of the copy (the index HEAD, a child's HEAD, a blob's HEAD and upload…), then breaks.
        cProxy.breakAfter(6, 403, "DENIED");
        long id = trigger(project);
        JsonNode first = api.awaitEnd(id, DEADLINE);

        assertEquals("failed", first.path("state").asText(), first.toString());
        String error = first.path("error").asText();
        assertTrue(error.startsWith("published to " + imageA + ", " + imageB + "; " + imageC + " failed: "), error);
        assertTrue(error.contains("DENIED"), error);
        assertEquals(List.of("published", "published", "failed"), states(first), first.toString());
        assertEquals(imageC, first.path("registries").get(2).path("image").asText());
        String indexDigest = first.path("indexDigest").asText();
        assertTrue(indexDigest.startsWith("sha256:"), first.toString());
        assertTrue(
                cProxy.exchanges().stream().anyMatch(e -> e.method().equals("PUT") && e.status() == 201),
                "C stored something before it broke: " + cProxy.exchanges());

        // A and B: the same index bytes on every tag; C: no tag at all (never an index without its children).
        String rawA = Skopeo.raw(imageA + ":1.0.0", null);
        assertEquals(indexDigest, sha256(rawA));
        for (String tag : TAGS) {
            assertEquals(rawA, Skopeo.raw(imageA + ":" + tag, null), "A:" + tag);
            assertEquals(rawA, Skopeo.raw(b.host() + "/app:" + tag, USER + ":" + PASSWORD), "B:" + tag);
        }
        assertEquals(TAGS, Skopeo.tags(imageA).stream().filter(TAGS::contains).toList());
        assertEquals(List.of(), tags(c.host() + "/app", null), "nothing tagged in the registry that failed");
        String page = api.page("/builds/" + id);
        assertTrue(
                page.contains("<tr class=registry><th>" + imageC + "</th><td><span class=failed>failed</span>: "),
                page);
        assertTrue(
                page.contains("<tr class=registry><th>" + imageB + "</th><td><span class=published>published"), page);

        // A restart forgets nothing: the outcomes are stored. Then the re-run, with C working again.
        rig.coordinator().kill();
        rig.startCoordinator();
        cProxy.heal();
        int bBefore = bProxy.exchanges().size();
        int cBefore = cProxy.exchanges().size();
        Map.Entry<Integer, String> rerun = api.rerun(id);
        assertEquals(202, rerun.getKey(), rerun.getValue());
        JsonNode done = api.awaitEnd(id, DEADLINE);

        assertEquals("published", done.path("state").asText(), done.toString());
        assertEquals(List.of("published", "published", "published"), states(done), done.toString());
        assertEquals(indexDigest, done.path("indexDigest").asText());
        assertEquals(bBefore, bProxy.exchanges().size(), "B was complete and got no request: " + bProxy.exchanges());
        List<RegistryProxy.Exchange> again =
                cProxy.exchanges().subList(cBefore, cProxy.exchanges().size());
        assertFalse(again.isEmpty());
        for (String tag : TAGS) {
            assertEquals(rawA, Skopeo.raw(c.host() + "/app:" + tag, null), "C:" + tag);
        }
        // Every registry serves the same digest for the tag, by skopeo's own reckoning.
        for (String ref : List.of(imageA, c.host() + "/app")) {
            assertEquals(indexDigest, Skopeo.digest(ref + ":latest"), ref);
        }
        // Blobs C already held before it broke were not sent again.
        long uploadsBefore = cProxy.exchanges().subList(0, cBefore).stream()
                .filter(e -> e.method().equals("PUT") && e.path().contains("/blobs/uploads/") && e.status() == 201)
                .count();
        assertTrue(uploadsBefore >= 1, "C stored a blob before breaking");
        long headsFound = again.stream()
                .filter(e -> e.method().equals("HEAD") && e.path().contains("/blobs/sha256:") && e.status() == 200)
                .count();
        assertTrue(headsFound >= uploadsBefore, "the re-run found what C held: " + again);

        // Signatures in each registry name that registry's repository, and verify with the public key.
        for (String image : List.of(imageA, c.host() + "/app")) {
            CliRun.Result v = CliRun.run("verify", image + ":latest", "--key", publicKey.toString(), "--all");
            assertEquals(0, v.exit(), image + ": " + v);
        }
        String sigTag = "sha256-" + indexDigest.substring("sha256:".length()) + ".sig";
        JsonNode bSig = Skopeo.parse(Skopeo.raw(b.host() + "/app:" + sigTag, USER + ":" + PASSWORD));
        assertEquals(
                "application/vnd.oci.image.manifest.v1+json",
                bSig.path("mediaType").asText(),
                bSig.toString());
        // The attestation manifests travelled with the index.
        long attestations = 0;
        for (JsonNode m :
                Skopeo.parse(Skopeo.raw(c.host() + "/app:latest", null)).path("manifests")) {
            if (m.at("/annotations/vnd.docker.reference.type").asText().equals("attestation-manifest")) {
                attestations++;
                assertTrue(Skopeo.exists(c.host() + "/app@" + m.path("digest").asText()), m.toString());
            }
        }
        assertEquals(2, attestations);
    }

    @Test
    void secondRepositoryOnAMirrorRegistry_isMounted_andARerunOfAPublishedBuildIsRefused() throws IOException {
        String imageA = a.host() + "/solo";
        String imageC = cProxy.host() + "/solo";
        String imageC2 = cProxy.host() + "/solo-too";
        long id = trigger(project(
                "solo", "image: [" + imageA + ", " + imageC + ", " + imageC2 + "]\nplatforms: [linux/amd64]\n"));
        JsonNode done = api.awaitEnd(id, DEADLINE);
        assertEquals("published", done.path("state").asText(), done.toString());
        assertEquals(List.of("published", "published", "published"), states(done));
        String digest = Skopeo.digest(imageA + ":1.0.0");
        assertEquals(digest, Skopeo.digest(c.host() + "/solo:1.0.0"));
        assertEquals(digest, Skopeo.digest(c.host() + "/solo-too:1.0.0"));
        // solo-too's image blobs came from solo on the same registry: each one mounted (201), not uploaded. (Its
        // signatures name solo-too, so their payloads are new blobs, uploaded there: 202 then PUT.)
        java.util.Set<String> imageBlobs = new java.util.HashSet<>();
        for (JsonNode m : Skopeo.parse(Skopeo.raw(imageA + ":1.0.0", null)).path("manifests")) {
            JsonNode child =
                    Skopeo.parse(Skopeo.raw(imageA + "@" + m.path("digest").asText(), null));
            imageBlobs.add(child.at("/config/digest").asText());
            child.path("layers").forEach(l -> imageBlobs.add(l.path("digest").asText()));
        }
        long mounted = cProxy.matching("POST", "/v2/solo-too/blobs/uploads/").stream()
                .filter(e -> e.status() == 201)
                .count();
        assertEquals(
                imageBlobs.size(),
                mounted,
                cProxy.matching("POST", "/v2/solo-too/blobs/uploads/").toString());
        long streamedToSolo = cProxy.matching("POST", "/v2/solo/blobs/uploads/").stream()
                .filter(e -> e.status() == 201)
                .count();
        assertEquals(0, streamedToSolo, "solo, on another registry than " + imageA + ", had them streamed");
        Map.Entry<Integer, String> rerun = api.rerun(id);
        assertEquals(409, rerun.getKey(), rerun.getValue());
        assertTrue(rerun.getValue().contains("only a build that failed while publishing"), rerun.getValue());
    }
}
