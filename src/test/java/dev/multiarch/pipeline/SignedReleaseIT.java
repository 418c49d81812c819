package dev.multiarch.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.platform.Platform;
import dev.multiarch.registry.Digest;
import dev.multiarch.testing.CliRun;
import dev.multiarch.testing.GitRepo;
import dev.multiarch.testing.JsonSchemas;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A release through the real pipeline (coordinator and two runner processes, one native amd64, one arm64 through QEMU;
 * distribution 2.8) with a cosign-format signing key in config.yaml and {@code attestations: [provenance]}: what the
 * registry then holds is read back with skopeo and judged with openssl and the in-toto and SLSA schemas.
 */
class SignedReleaseIT {
    private static final Duration DEADLINE = Duration.ofMinutes(5);
    private static final String PASSWORD = "multiarch-test-password";

    @TempDir
    static Path dir;

    private static RegistryServer registry;
    private static PipelineRig rig;
    private static Path publicKey;

    @BeforeAll
    static void start() throws IOException {
        registry = RegistryServer.start();
        Path key = dir.resolve("cosign.key");
        publicKey = dir.resolve("cosign.pub");
        copy("/signing/test-cosign.key", key);
        copy("/signing/test-cosign.pub", publicKey);
        rig = new PipelineRig(dir, registry, 6)
                .withConfig(
                        "signing:\n  key-file: " + key + "\n  password-env: TEST_COSIGN_PASSWORD\n",
                        Map.of("TEST_COSIGN_PASSWORD", PASSWORD));
        rig.startCoordinator();
        rig.startRunner("runner-amd64", List.of("linux/amd64"), List.of(), 1);
        rig.startRunner("runner-qemu", List.of(), List.of("linux/arm64"), 1);
    }

    @AfterAll
    static void stop() {
        if (rig != null) {
            rig.close();
        }
        if (registry != null) {
            registry.close();
        }
    }

    private static void copy(String resource, Path to) throws IOException {
        try (InputStream in = SignedReleaseIT.class.getResourceAsStream(resource)) {
            Files.copy(in, to);
        }
    }

    private static Map<String, String> project(String multiarchYaml) {
        Map<String, String> files = new LinkedHashMap<>();
        files.put(
                "Dockerfile",
                "FROM scratch\nARG TARGETARCH\nCOPY busybox-${TARGETARCH} /bin/busybox\n"
                        + "RUN [\"/bin/busybox\", \"mkdir\", \"-p\", \"/etc\"]\n");
        files.put("busybox-amd64", "@" + TestImages.busybox("amd64"));
        files.put("busybox-arm64", "@" + TestImages.busybox("arm64"));
        files.put(".multiarch.yaml", multiarchYaml);
        return files;
    }

    private static JsonNode json(byte[] b) {
        return Skopeo.parse(new String(b, StandardCharsets.UTF_8));
    }

    /** The blobs of {@code ref} (one manifest), by hex digest, copied out by skopeo. */
    private static Path blobs(String ref) throws IOException {
        Path out = Files.createTempDirectory(dir, "blobs");
        Files.delete(out);
        Proc.ok(List.of("skopeo", "copy", "-q", "--src-tls-verify=false", "docker://" + ref, "dir:" + out));
        return out;
    }

    private static byte[] blob(Path blobs, String digest) throws IOException {
        return Files.readAllBytes(blobs.resolve(digest.substring("sha256:".length())));
    }

    @Test
    void release_signedIndexAndImages_provenancePerPlatform_annotationsFromGit() throws IOException {
        GitRepo repo = GitRepo.create(Files.createDirectories(dir.resolve("release")));
        String image = registry.host() + "/release";
        String commit = repo.commit(
                "release",
                project("image: " + image + "\n"
                        + "platforms: [linux/amd64, linux/arm64]\n"
                        + "build-args: {VERSION: '1.0.0', NPM_TOKEN: not-for-provenance}\n"
                        + "attestations: [provenance]\n"
                        + "annotations:\n"
                        + "  org.opencontainers.image.title: Release\n"
                        + "  org.opencontainers.image.description: A signed release\n"
                        + "  org.opencontainers.image.licenses: Apache-2.0\n"));
        repo.tag("v1.0.0");
        String created = Instant.ofEpochSecond(Long.parseLong(
                        Proc.ok(List.of("git", "-C", repo.work().toString(), "show", "-s", "--format=%ct", commit))
                                .out()
                                .strip()))
                .toString();
        long id = rig.api()
                .trigger(repo.cloneUrl(), commit, "refs/tags/v1.0.0", true)
                .get(0);
        JsonNode b = rig.api().awaitEnd(id, DEADLINE);
        assertEquals("published", b.path("state").asText(), b.toString());
        String indexDigest = b.path("indexDigest").asText();
        Map<String, JsonNode> jobs = new HashMap<>();
        b.path("jobs").forEach(j -> jobs.put(j.path("digest").asText(), j));

        // The index: two images, then their attestations; annotations from git and .multiarch.yaml.
        String raw = Skopeo.raw(image + ":1.0.0", null);
        assertEquals(
                indexDigest, Digest.sha256(raw.getBytes(StandardCharsets.UTF_8)).toString());
        JsonNode index = Skopeo.parse(raw);
        assertEquals(4, index.path("manifests").size(), raw);
        Map<String, String> wantAnnotations = Map.of(
                "org.opencontainers.image.revision", commit,
                "org.opencontainers.image.version", "1.0.0",
                "org.opencontainers.image.created", created,
                "org.opencontainers.image.title", "Release",
                "org.opencontainers.image.description", "A signed release",
                "org.opencontainers.image.licenses", "Apache-2.0");
        wantAnnotations.forEach(
                (k, v) -> assertEquals(v, index.path("annotations").path(k).asText(), k));
        assertTrue(
                index.path("annotations")
                        .path("org.opencontainers.image.source")
                        .isMissingNode(),
                "a local clone URL is no source page");

        List<String> images = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            JsonNode e = index.path("manifests").get(i);
            String d = e.path("digest").asText();
            images.add(d);
            assertTrue(jobs.containsKey(d), "entry " + i + " is a job's image");
            // Each platform's manifest carries them too (its runner wrote them), and its config as labels.
            JsonNode m = Skopeo.parse(Skopeo.raw(image + "@" + d, null));
            wantAnnotations.forEach(
                    (k, v) -> assertEquals(v, m.path("annotations").path(k).asText(), d + " " + k));
            Platform p = Platform.parse(jobs.get(d).path("platform").asText());
            JsonNode labels =
                    Skopeo.parse(Skopeo.rawConfig(image + ":1.0.0", p)).at("/config/Labels");
            wantAnnotations.forEach((k, v) -> assertEquals(v, labels.path(k).asText(), p + " label " + k));
        }

        // Provenance: one attestation per image, statement valid by the in-toto and SLSA schemas.
        for (int i = 2; i < 4; i++) {
            JsonNode e = index.path("manifests").get(i);
            assertEquals("unknown", e.at("/platform/os").asText());
            assertEquals("unknown", e.at("/platform/architecture").asText());
            assertEquals(
                    "attestation-manifest",
                    e.at("/annotations/vnd.docker.reference.type").asText());
            String subject = e.at("/annotations/vnd.docker.reference.digest").asText();
            assertEquals(images.get(i - 2), subject, "attestations follow their images' order");
            String ref = image + "@" + e.path("digest").asText();
            JsonNode m = Skopeo.parse(Skopeo.raw(ref, null));
            JsonNode layer = m.at("/layers/0");
            assertEquals("application/vnd.in-toto+json", layer.path("mediaType").asText());
            assertEquals(
                    "https://slsa.dev/provenance/v1",
                    layer.at("/annotations/in-toto.io~1predicate-type").asText());
            JsonNode st = json(blob(blobs(ref), layer.path("digest").asText()));
            assertEquals(List.of(), JsonSchemas.errors(JsonSchemas.IN_TOTO_STATEMENT, st), st.toString());
            assertEquals(List.of(), JsonSchemas.errors(JsonSchemas.SLSA_PROVENANCE, st.path("predicate")));
            JsonNode job = jobs.get(subject);
            assertEquals(
                    subject.substring("sha256:".length()),
                    st.at("/subject/0/digest/sha256").asText());
            JsonNode def = st.at("/predicate/buildDefinition");
            assertEquals(
                    job.path("platform").asText(),
                    def.at("/externalParameters/platform").asText());
            assertEquals("Dockerfile", def.at("/externalParameters/dockerfile").asText());
            assertEquals(
                    "1.0.0", def.at("/externalParameters/buildArgs/VERSION").asText());
            assertEquals(
                    "[\"NPM_TOKEN\"]",
                    def.at("/externalParameters/withheldBuildArgs").toString());
            assertTrue(!st.toString().contains("not-for-provenance"), "a secret-looking build arg stays out");
            assertEquals(
                    commit, def.at("/resolvedDependencies/0/digest/gitCommit").asText());
            assertEquals(
                    job.path("runner").asText(),
                    def.at("/internalParameters/runner/id").asText());
            assertEquals(
                    job.path("platform").asText().equals("linux/amd64") ? "native" : "qemu",
                    def.at("/internalParameters/emulation").asText());
            JsonNode run = st.at("/predicate/runDetails");
            assertEquals(rig.url(), run.at("/builder/id").asText());
            assertEquals(
                    rig.url() + "/builds/" + id,
                    run.at("/metadata/invocationId").asText());
            assertEquals(
                    Instant.parse(job.path("startedAt").asText()),
                    Instant.parse(run.at("/metadata/startedOn").asText()));
        }

        // Signatures of the index and of each image, one per tag, checked by openssl over payloads skopeo fetched.
        List<String> tags = List.of("1.0.0", "1.0", "1", "latest");
        List<String> signed = new ArrayList<>(List.of(indexDigest));
        signed.addAll(images);
        for (String d : signed) {
            String ref = image + ":sha256-" + d.substring("sha256:".length()) + ".sig";
            JsonNode sig = Skopeo.parse(Skopeo.raw(ref, null));
            assertEquals(
                    "application/vnd.oci.image.manifest.v1+json",
                    sig.path("mediaType").asText());
            Path blobs = blobs(ref);
            List<String> identities = new ArrayList<>();
            for (JsonNode layer : sig.path("layers")) {
                byte[] payload = blob(blobs, layer.path("digest").asText());
                Path p = Files.write(Files.createTempFile(dir, "payload", ""), payload);
                Path s = Files.write(
                        Files.createTempFile(dir, "sig", ".der"),
                        Base64.getDecoder()
                                .decode(layer.at("/annotations/dev.cosignproject.cosign~1signature")
                                        .asText()));
                Proc.Result ok = Proc.run(
                        List.of(
                                "openssl",
                                "dgst",
                                "-sha256",
                                "-verify",
                                publicKey.toString(),
                                "-signature",
                                s.toString(),
                                p.toString()),
                        null,
                        60);
                assertEquals(0, ok.exit(), "openssl: " + ok.out() + ok.err());
                JsonNode payloadJson = json(payload);
                assertEquals(
                        d,
                        payloadJson.at("/critical/image/docker-manifest-digest").asText());
                identities.add(
                        payloadJson.at("/critical/identity/docker-reference").asText());
            }
            assertEquals(tags.stream().map(t -> image + ":" + t).toList(), identities, ref);
        }
        CliRun.Result v = CliRun.run("verify", image + ":latest", "--key", publicKey.toString(), "--all");
        assertEquals(0, v.exit(), v.toString());
        assertEquals(3, v.out().lines().filter(l -> l.startsWith("Verified ")).count(), v.toString());
        assertTrue(
                b.path("published").asText().contains(indexDigest),
                b.path("published").asText());
    }

    @Test
    void registryRefusesTheSignatureTag_buildFailsAndNoTagMoves() throws IOException {
        try (RegistryProxy proxy = new RegistryProxy(registry.host()).refuse("PUT", ".sig", 400, "TAG_INVALID")) {
            GitRepo repo = GitRepo.create(Files.createDirectories(dir.resolve("refused")));
            String image = proxy.host() + "/refused";
            // No registry layer cache: buildah pings a registry over HTTPS first and falls back to HTTP only when
            // the TLS handshake fails fast, as a real registry's does; this proxy (the JDK's HTTP server) never
            // answers a TLS hello, so buildah's cache push through it times out. The test is about the signature.
            String commit =
                    repo.commit("refused", project("image: " + image + "\nplatforms: [linux/amd64]\ncache: false\n"));
            long id = rig.api()
                    .trigger(repo.cloneUrl(), commit, "refs/tags/v2.0.0", true)
                    .get(0);
            JsonNode b = rig.api().awaitEnd(id, DEADLINE);
            assertEquals("failed", b.path("state").asText(), b.toString());
            String error = b.path("error").asText();
            assertTrue(error.startsWith("signing failed, no tag was moved: "), error);
            assertTrue(error.contains("TAG_INVALID"), error);
            assertEquals(List.of(), Skopeo.tags(registry.host() + "/refused"), "no tag was published");
        }
    }
}
