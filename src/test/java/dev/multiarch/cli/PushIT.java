package dev.multiarch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.config.PushSpec;
import dev.multiarch.config.Source;
import dev.multiarch.platform.Platform;
import dev.multiarch.registry.Descriptor;
import dev.multiarch.registry.Digest;
import dev.multiarch.registry.ImageIndex;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.registry.IndexType;
import dev.multiarch.registry.Manifest;
import dev.multiarch.registry.MediaType;
import dev.multiarch.registry.RegistryClient;
import dev.multiarch.testing.CliRun;
import dev.multiarch.testing.FlakyProxy;
import dev.multiarch.testing.RegistryServer;
import dev.multiarch.testing.Skopeo;
import dev.multiarch.testing.TestImages;
import dev.multiarch.testing.TestImages.Format;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end against a real registry (distribution 2.8), real images built by buildah (foreign RUN steps under
 * QEMU) and skopeo as the independent judge of what was published.
 */
class PushIT {
    private static RegistryServer registry;
    private static String host;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        registry = RegistryServer.start();
        host = registry.host();
        for (Platform p : TestImages.FIVE) {
            TestImages.build(p);
        }
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    private static String tagOf(Platform p) {
        return p.variant().isEmpty() ? p.architecture() : p.architecture() + "-" + p.variant();
    }

    /**
     * skopeo, choosing by platform out of {@code ref}, picks exactly the image pushed for that platform (its config
     * blob hashes to that image's config digest), and that config names the platform.
     */
    private static void assertResolves(String ref, Map<String, Digest> expected) {
        String repo = ref.substring(0, ref.lastIndexOf(':'));
        for (Map.Entry<String, Digest> e : expected.entrySet()) {
            Platform p = Platform.parse(e.getKey());
            String wantConfig = Skopeo.parse(Skopeo.raw(repo + "@" + e.getValue(), null))
                    .at("/config/digest")
                    .asText();
            String config = Skopeo.rawConfig(ref, p);
            assertEquals(
                    wantConfig,
                    Digest.sha256(config.getBytes(StandardCharsets.UTF_8)).toString(),
                    ref + " for " + p.shortForm() + " resolves to the image pushed as " + e.getValue());
            JsonNode c = Skopeo.parse(config);
            assertEquals(p.architecture(), c.get("architecture").asText(), ref + " config for " + p.shortForm());
            assertEquals(p.os(), c.get("os").asText());
            if (!p.variant().isEmpty()) {
                assertEquals(p.variant(), c.path("variant").asText(), ref + " config variant");
            }
        }
    }

    @Test
    void fromArgs_fivePlatforms_dockerChildren_publishesDockerListToEveryTag() {
        Map<String, Digest> pushed = new HashMap<>();
        List<String> platforms = new ArrayList<>();
        for (Platform p : TestImages.FIVE) {
            pushed.put(p.shortForm(), TestImages.push(p, host + "/hello:" + tagOf(p), Format.DOCKER));
            platforms.add(p.shortForm());
        }
        CliRun.Result r = CliRun.run(
                "push",
                "from-args",
                "--platforms",
                String.join(",", platforms),
                "--template",
                host + "/hello:ARCH-VARIANT",
                "--target",
                host + "/hello:1.0.0",
                "--tags",
                "1.0,1");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().startsWith("Digest: sha256:"), r.out());
        for (String tag : List.of("1.0.0", "1.0", "1")) {
            JsonNode raw = Skopeo.parse(Skopeo.raw(host + "/hello:" + tag, null));
            assertEquals(MediaType.DOCKER_LIST, raw.get("mediaType").asText());
            assertEquals(5, raw.get("manifests").size());
            assertResolves(host + "/hello:" + tag, pushed);
        }
        String firstLineDigest = r.out().lines().findFirst().orElseThrow().split(" ")[1];
        assertEquals(
                Digest.sha256(Skopeo.raw(host + "/hello:1", null).getBytes(StandardCharsets.UTF_8))
                        .toString(),
                firstLineDigest,
                "the printed digest is the digest of the bytes the registry serves");
    }

    @Test
    void fromSpec_fivePlatforms_ociChildren_publishesOciIndex() throws Exception {
        Map<String, Digest> pushed = new HashMap<>();
        StringBuilder spec =
                new StringBuilder("image: " + host + "/spec5:2.0.0\ntags: [\"2.0\", latest]\nmanifests:\n");
        for (Platform p : TestImages.FIVE) {
            String ref = host + "/spec5:build-" + tagOf(p);
            pushed.put(p.shortForm(), TestImages.push(p, ref, Format.OCI));
            spec.append("  - image: ")
                    .append(ref)
                    .append("\n    platform:\n      os: ")
                    .append(p.os())
                    .append("\n      architecture: ")
                    .append(p.architecture())
                    .append('\n');
            if (!p.variant().isEmpty()) {
                spec.append("      variant: ").append(p.variant()).append('\n');
            }
        }
        Path file = tmp.resolve("spec.yaml");
        Files.writeString(file, spec);
        CliRun.Result r = CliRun.run("push", "from-spec", file.toString());
        assertEquals(0, r.exit(), r.toString());
        for (String tag : List.of("2.0.0", "2.0", "latest")) {
            JsonNode raw = Skopeo.parse(Skopeo.raw(host + "/spec5:" + tag, null));
            assertEquals(MediaType.OCI_INDEX, raw.get("mediaType").asText());
            assertResolves(host + "/spec5:" + tag, pushed);
        }
    }

    private static String fixture(String name) {
        try (InputStream in = PushIT.class.getResourceAsStream("/manifest-tool/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("REGISTRY", host);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Pushes an image for each source the fixture names, runs from-spec on it unchanged, checks the result. */
    private JsonNode publishFixture(String name) throws Exception {
        String text = fixture(name);
        PushSpec spec = PushSpec.parse(name, text);
        Map<String, Digest> expected = new HashMap<>();
        for (Source s : spec.sources()) {
            Platform p = s.platform();
            Digest d;
            if (p.os().equals("windows")) {
                d = TestImages.push(
                        TestImages.buildWindows(p.osVersion(), p.osFeatures().get(0)),
                        s.image().toString(),
                        Format.DOCKER,
                        null);
            } else {
                Platform buildAs = Platform.of(
                        p.os(), p.normalize().architecture(), p.normalize().variant());
                d = TestImages.push(buildAs, s.image().toString(), Format.DOCKER);
                expected.put(buildAs.shortForm(), d);
            }
        }
        Path file = tmp.resolve(name);
        Files.writeString(file, text);
        CliRun.Result r = CliRun.run("push", "from-spec", file.toString());
        assertEquals(0, r.exit(), r.toString());
        List<String> tags = new ArrayList<>(spec.tags());
        tags.add(spec.image().tag());
        for (String tag : tags) {
            assertResolves(spec.image().withTag(tag).toString(), expected);
        }
        return Skopeo.parse(Skopeo.raw(spec.image().toString(), null));
    }

    @Test
    void fixture_readmeV2_publishesToImageAndTags() throws Exception {
        JsonNode raw = publishFixture("readme-v2.yaml");
        assertEquals(2, raw.get("manifests").size());
        assertTrue(Skopeo.exists(host + "/someimage:1.0.0"));
    }

    @Test
    void fixture_readmeV1_otherRepositoryAndFeatures() throws Exception {
        JsonNode raw = publishFixture("readme-v1.yaml");
        JsonNode amd64 = raw.get("manifests").get(1);
        assertEquals("sse", amd64.at("/platform/features/0").asText(), raw.toString());
    }

    @Test
    void fixture_seedTalk_sourcesInPerArchRepositories_areCopiedIn() throws Exception {
        JsonNode raw = publishFixture("seed-talk.yaml");
        assertEquals(4, raw.get("manifests").size());
        for (JsonNode m : raw.get("manifests")) {
            assertTrue(
                    Skopeo.exists(host + "/estesp/debian@" + m.get("digest").asText()),
                    "child " + m.get("digest").asText() + " is in the target repository");
        }
    }

    @Test
    void fixture_variants_armSideBySide() throws Exception {
        JsonNode raw = publishFixture("variants.yaml");
        List<String> platforms = new ArrayList<>();
        raw.get("manifests")
                .forEach(m -> platforms.add(
                        Descriptor.platformFromJson(m.get("platform")).shortForm()));
        assertEquals(List.of("linux/arm/v6", "linux/arm/v7", "linux/arm64/v8", "linux/amd64"), platforms);
    }

    @Test
    void fixture_annotations_giveOciIndexWithThem() throws Exception {
        JsonNode raw = publishFixture("annotations-oci.yaml");
        assertEquals(MediaType.OCI_INDEX, raw.get("mediaType").asText());
        assertEquals(
                "someimage",
                raw.at("/annotations/org.opencontainers.image.title").asText());
    }

    @Test
    void fromArgs_annotation_givesOciIndexWithThem_andBadOnesAreUsageErrors() {
        Platform amd64 = Platform.parse("linux/amd64");
        TestImages.push(amd64, host + "/annotated:amd64", Format.DOCKER);
        CliRun.Result r = CliRun.run(
                "push",
                "from-args",
                "--platforms",
                "linux/amd64",
                "--template",
                host + "/annotated:ARCH",
                "--target",
                host + "/annotated:1.0.0",
                "--annotation",
                "org.opencontainers.image.source=https://github.com/acme/app",
                "--annotation",
                "org.opencontainers.image.description=a=b c");
        assertEquals(0, r.exit(), r.toString());
        JsonNode raw = Skopeo.parse(Skopeo.raw(host + "/annotated:1.0.0", null));
        assertEquals(MediaType.OCI_INDEX, raw.get("mediaType").asText(), "annotations need an OCI index");
        assertEquals(
                "https://github.com/acme/app",
                raw.at("/annotations/org.opencontainers.image.source").asText());
        assertEquals(
                "a=b c",
                raw.at("/annotations/org.opencontainers.image.description").asText());
        CliRun.Result bad = CliRun.run(
                "push",
                "from-args",
                "--platforms",
                "linux/amd64",
                "--template",
                host + "/annotated:ARCH",
                "--target",
                host + "/annotated:2.0.0",
                "--annotation",
                "no-equals-sign");
        assertEquals(2, bad.exit(), bad.toString());
        assertTrue(bad.err().contains("--annotation wants KEY=VALUE, got 'no-equals-sign'"), bad.err());
    }

    @Test
    void fixture_windows_osVersionAndFeaturesWritten() throws Exception {
        JsonNode raw = publishFixture("windows.yaml");
        JsonNode win = raw.get("manifests").get(0).get("platform");
        assertEquals("windows", win.get("os").asText());
        assertEquals("10.0.20348.2340", win.get("os.version").asText());
        assertEquals("win32k", win.at("/os.features/0").asText());
    }

    @Test
    void badFixtures_refusedWithOneLineAndNothingPublished() throws Exception {
        for (String name : List.of("bad-arch.yaml", "bad-variant.yaml", "bad-duplicate.yaml")) {
            Path file = tmp.resolve(name);
            Files.writeString(file, fixture(name));
            CliRun.Result r = CliRun.run("push", "from-spec", file.toString());
            assertEquals(2, r.exit(), r.toString());
            assertEquals(1, r.err().lines().count(), r.err());
            assertTrue(r.err().startsWith("multiarch: error: " + file + ":"), r.err());
        }
        assertFalse(Skopeo.exists(host + "/someimage:badarch"));
        assertFalse(Skopeo.exists(host + "/someimage:dup"));
    }

    @Test
    void missingChild_namesImageAndPlatform_andNothingIsPublished() {
        TestImages.push(Platform.parse("linux/amd64"), host + "/partial:amd64", Format.DOCKER);
        CliRun.Result r = CliRun.run(
                "push",
                "from-args",
                "--platforms",
                "linux/amd64,linux/arm64",
                "--template",
                host + "/partial:ARCH",
                "--target",
                host + "/partial:1.0");
        assertEquals(1, r.exit(), r.toString());
        assertTrue(r.err().contains("MANIFEST_UNKNOWN"), r.err());
        assertTrue(r.err().contains(host + "/partial:arm64"), r.err());
        assertTrue(r.err().contains("(linux/arm64)"), r.err());
        assertTrue(r.err().contains("--ignore-missing"), r.err());
        assertFalse(Skopeo.exists(host + "/partial:1.0"));

        CliRun.Result ok = CliRun.run(
                "push",
                "from-args",
                "--ignore-missing",
                "--platforms",
                "linux/amd64,linux/arm64",
                "--template",
                host + "/partial:ARCH",
                "--target",
                host + "/partial:1.0");
        assertEquals(0, ok.exit(), ok.toString());
        assertTrue(ok.err().contains("warning: skipping " + host + "/partial:arm64 (linux/arm64)"), ok.err());
        assertEquals(
                1,
                Skopeo.parse(Skopeo.raw(host + "/partial:1.0", null))
                        .get("manifests")
                        .size());
    }

    @Test
    void wrongPlatformClaim_isRefused_andNothingIsPublished() throws Exception {
        TestImages.push(Platform.parse("linux/amd64"), host + "/liar:amd64", Format.DOCKER);
        Path file = tmp.resolve("liar.yaml");
        Files.writeString(
                file,
                "image: " + host + "/liar:1\nmanifests:\n  - image: " + host
                        + "/liar:amd64\n    platform: {os: linux, architecture: arm64}\n");
        CliRun.Result r = CliRun.run("push", "from-spec", file.toString());
        assertEquals(1, r.exit(), r.toString());
        assertTrue(
                r.err()
                        .contains("refusing to publish " + host
                                + "/liar:amd64 as linux/arm64: its config says linux/amd64"),
                r.err());
        assertFalse(Skopeo.exists(host + "/liar:1"));
    }

    @Test
    void append_addsAndReplacesPlatforms_keepingTheRest() {
        Platform amd64 = Platform.parse("linux/amd64");
        Platform arm64 = Platform.parse("linux/arm64");
        Platform armv7 = Platform.parse("linux/arm/v7");
        Digest a = TestImages.push(amd64, host + "/app:amd64", Format.OCI);
        Digest b = TestImages.push(arm64, host + "/app:arm64", Format.OCI);
        assertEquals(
                0,
                CliRun.run(
                                "push",
                                "from-args",
                                "--platforms",
                                "linux/amd64,linux/arm64",
                                "--template",
                                host + "/app:ARCH",
                                "--target",
                                host + "/app:1")
                        .exit());

        Digest c = TestImages.push(armv7, host + "/app:arm-v7", Format.OCI);
        CliRun.Result r = CliRun.run(
                "push",
                "from-args",
                "--append",
                "--platforms",
                "linux/arm/v7",
                "--template",
                host + "/app:ARCH-VARIANT",
                "--target",
                host + "/app:1");
        assertEquals(0, r.exit(), r.toString());
        assertResolves(host + "/app:1", Map.of("linux/amd64", a, "linux/arm64", b, "linux/arm/v7", c));

        Digest b2 = TestImages.push(arm64, host + "/app:arm64-docker", Format.DOCKER);
        assertFalse(b2.equals(b), "the Docker-format push has another digest");
        CliRun.Result r2 = CliRun.run(
                "push",
                "from-args",
                "--append",
                "--platforms",
                "linux/arm64",
                "--template",
                host + "/app:ARCH-docker",
                "--target",
                host + "/app:1");
        assertEquals(0, r2.exit(), r2.toString());
        JsonNode raw = Skopeo.parse(Skopeo.raw(host + "/app:1", null));
        assertEquals(3, raw.get("manifests").size(), raw.toString());
        assertResolves(host + "/app:1", Map.of("linux/amd64", a, "linux/arm64", b2, "linux/arm/v7", c));
    }

    /** What buildx pushes: a per-platform source that is itself an index, with an attestation manifest. */
    @Test
    void indexSource_withAttestation_isFlattenedAndCarried() {
        Platform amd64 = Platform.parse("linux/amd64");
        Platform arm64 = Platform.parse("linux/arm64");
        Digest a = TestImages.push(amd64, host + "/bx-src:amd64", Format.OCI);
        Digest b = TestImages.push(arm64, host + "/bx-src:arm64", Format.OCI);
        Digest att = TestImages.push(Platform.parse("linux/s390x"), host + "/bx-src:att", Format.OCI);
        Digest ppc = TestImages.push(Platform.parse("linux/ppc64le"), host + "/other:ppc64le", Format.OCI);
        try (RegistryClient c = RegistryClient.builder().create()) {
            ImageReference src = ImageReference.parse(host + "/bx-src:amd64");
            long sizeA = c.head(src).orElseThrow().size();
            long sizeB = c.head(ImageReference.parse(host + "/bx-src:arm64"))
                    .orElseThrow()
                    .size();
            long sizeAtt = c.head(ImageReference.parse(host + "/bx-src:att"))
                    .orElseThrow()
                    .size();
            Manifest index = ImageIndex.assemble(
                    IndexType.OCI,
                    List.of(
                            new Descriptor(MediaType.OCI_MANIFEST, a, sizeA, amd64, null),
                            new Descriptor(MediaType.OCI_MANIFEST, b, sizeB, arm64, null),
                            new Descriptor(
                                    MediaType.OCI_MANIFEST,
                                    att,
                                    sizeAtt,
                                    Platform.of("unknown", "unknown", ""),
                                    Map.of(
                                            Descriptor.REFERENCE_TYPE,
                                            "attestation-manifest",
                                            Descriptor.REFERENCE_DIGEST,
                                            a.toString()))),
                    Map.of());
            c.putManifest(ImageReference.parse(host + "/bx-src:multi"), index, "the test index");
        }
        // A spec naming the buildx index for amd64, and a plain image from another repository.
        Path file = tmp.resolve("bx.yaml");
        try {
            Files.writeString(
                    file,
                    "image: " + host + "/bx:1\nmanifests:\n  - image: " + host
                            + "/bx-src:multi\n    platform: {os: linux, architecture: amd64}\n  - image: " + host
                            + "/other:ppc64le\n");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        CliRun.Result r2 = CliRun.run("push", "from-spec", file.toString());
        assertEquals(0, r2.exit(), r2.toString());
        JsonNode raw = Skopeo.parse(Skopeo.raw(host + "/bx:1", null));
        assertEquals(MediaType.OCI_INDEX, raw.get("mediaType").asText());
        assertEquals(3, raw.get("manifests").size(), raw.toString());
        assertEquals(a.toString(), raw.at("/manifests/0/digest").asText());
        assertEquals(att.toString(), raw.at("/manifests/1/digest").asText());
        assertEquals(
                "attestation-manifest",
                raw.at("/manifests/1/annotations/vnd.docker.reference.type").asText());
        assertEquals(ppc.toString(), raw.at("/manifests/2/digest").asText());
        assertResolves(host + "/bx:1", Map.of("linux/amd64", a, "linux/ppc64le", ppc));
        assertTrue(Skopeo.exists(host + "/bx@" + att), "the attestation was copied into the target repository");
    }

    @Test
    void inspect_tableAndRaw() {
        Map<String, Digest> pushed = new HashMap<>();
        for (Platform p : TestImages.FIVE) {
            pushed.put(p.shortForm(), TestImages.push(p, host + "/insp:" + tagOf(p), Format.DOCKER));
        }
        assertEquals(
                0,
                CliRun.run(
                                "push",
                                "from-args",
                                "--platforms",
                                "linux/amd64,linux/arm64,linux/arm/v7,linux/ppc64le,linux/s390x",
                                "--template",
                                host + "/insp:ARCH-VARIANT",
                                "--target",
                                host + "/insp:1")
                        .exit());
        CliRun.Result table = CliRun.run("inspect", host + "/insp:1");
        assertEquals(0, table.exit(), table.toString());
        assertTrue(table.out().contains("Media type: " + MediaType.DOCKER_LIST), table.out());
        assertTrue(table.out().contains("Entries:    5"), table.out());
        assertTrue(table.out().contains("#  PLATFORM"), table.out());
        for (Map.Entry<String, Digest> e : pushed.entrySet()) {
            assertTrue(
                    table.out()
                            .lines()
                            .anyMatch(l -> l.contains(" " + e.getKey() + " ")
                                    && l.contains(e.getValue().toString())
                                    && l.contains("docker v2")
                                    && l.endsWith("  1")),
                    e.getKey() + " row in\n" + table.out());
        }
        CliRun.Result raw = CliRun.run("inspect", "--raw", host + "/insp:1");
        assertEquals(0, raw.exit(), raw.toString());
        assertEquals(Skopeo.raw(host + "/insp:1", null).strip(), raw.out().strip());
    }

    @Test
    void unreachableRegistry_oneLineError() {
        int closed = dev.multiarch.testing.Ports.free();
        CliRun.Result r = CliRun.run("inspect", "127.0.0.1:" + closed + "/x:1");
        assertEquals(1, r.exit(), r.toString());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains("UNREACHABLE connection refused by 127.0.0.1:" + closed), r.err());
    }

    @Test
    void registryAnswering503_thenRecovering_publishes() throws Exception {
        Map<String, Digest> pushed = new HashMap<>();
        for (Platform p : List.of(Platform.parse("linux/amd64"), Platform.parse("linux/s390x"))) {
            pushed.put(p.shortForm(), TestImages.push(p, host + "/flaky:" + tagOf(p), Format.DOCKER));
        }
        try (FlakyProxy proxy = new FlakyProxy(host, 3)) {
            CliRun.Result r = CliRun.run(
                    "push",
                    "from-args",
                    "--platforms",
                    "linux/amd64,linux/s390x",
                    "--template",
                    proxy.host() + "/flaky:ARCH",
                    "--target",
                    proxy.host() + "/flaky:1");
            assertEquals(0, r.exit(), r.toString());
            assertEquals(3, proxy.failed());
        }
        assertResolves(host + "/flaky:1", pushed);
    }
}
