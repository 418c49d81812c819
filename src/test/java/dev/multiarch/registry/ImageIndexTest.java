package dev.multiarch.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.platform.Platform;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ImageIndexTest {
    private static Descriptor image(String mediaType, char fill, String platform) {
        return new Descriptor(
                mediaType, new Digest("sha256", String.valueOf(fill).repeat(64)), 500, Platform.parse(platform), null);
    }

    @Test
    void auto_allDockerChildren_givesDockerList() {
        Manifest m = ImageIndex.assemble(
                IndexType.AUTO,
                List.of(
                        image(MediaType.DOCKER_MANIFEST, 'a', "linux/amd64"),
                        image(MediaType.DOCKER_MANIFEST, 'b', "linux/arm/v7")),
                Map.of());
        assertEquals(MediaType.DOCKER_LIST, m.mediaType());
        assertEquals(MediaType.DOCKER_LIST, m.json().get("mediaType").asText());
        assertEquals(2, m.json().get("schemaVersion").asInt());
        assertEquals("v7", m.entries().get(1).platform().variant());
        assertEquals(m.digest(), Digest.sha256(m.bytes()), "digest is of the exact bytes");
    }

    @Test
    void auto_anyOciChild_givesOciIndex() {
        Manifest m = ImageIndex.assemble(
                IndexType.AUTO,
                List.of(
                        image(MediaType.DOCKER_MANIFEST, 'a', "linux/amd64"),
                        image(MediaType.OCI_MANIFEST, 'b', "linux/arm64")),
                Map.of());
        assertEquals(MediaType.OCI_INDEX, m.mediaType());
    }

    @Test
    void auto_annotations_giveOciIndexCarryingThem() {
        Manifest m = ImageIndex.assemble(
                IndexType.AUTO,
                List.of(image(MediaType.DOCKER_MANIFEST, 'a', "linux/amd64")),
                Map.of("org.opencontainers.image.title", "x"));
        assertEquals(MediaType.OCI_INDEX, m.mediaType());
        assertEquals(
                "x", m.json().at("/annotations/org.opencontainers.image.title").asText());
    }

    @Test
    void docker_refusesAnnotationsAndOciChildren() {
        IllegalArgumentException a = assertThrows(
                IllegalArgumentException.class,
                () -> ImageIndex.assemble(
                        IndexType.DOCKER,
                        List.of(image(MediaType.DOCKER_MANIFEST, 'a', "linux/amd64")),
                        Map.of("k", "v")));
        assertTrue(a.getMessage().contains("annotations are OCI-only"), a.getMessage());
        IllegalArgumentException b = assertThrows(
                IllegalArgumentException.class,
                () -> ImageIndex.assemble(
                        IndexType.DOCKER, List.of(image(MediaType.OCI_MANIFEST, 'b', "linux/arm64")), Map.of()));
        assertTrue(b.getMessage().contains("Docker v2 manifests only"), b.getMessage());
        assertTrue(b.getMessage().contains("linux/arm64"), b.getMessage());
    }

    @Test
    void duplicatePlatform_refusedEvenWhenSpelledDifferently() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> ImageIndex.assemble(
                        IndexType.OCI,
                        List.of(
                                image(MediaType.OCI_MANIFEST, 'a', "linux/arm64/v8"),
                                image(MediaType.OCI_MANIFEST, 'b', "linux/aarch64")),
                        Map.of()));
        assertTrue(e.getMessage().contains("two entries for platform linux/arm64"), e.getMessage());
    }

    @Test
    void attestations_areExemptFromDuplicatesAndForceOci() {
        Descriptor img = image(MediaType.OCI_MANIFEST, 'a', "linux/amd64");
        Descriptor att = new Descriptor(
                MediaType.OCI_MANIFEST,
                new Digest("sha256", "c".repeat(64)),
                800,
                Platform.of("unknown", "unknown", ""),
                Map.of(
                        Descriptor.REFERENCE_TYPE,
                        "attestation-manifest",
                        Descriptor.REFERENCE_DIGEST,
                        img.digest().toString()));
        Descriptor att2 = new Descriptor(
                MediaType.OCI_MANIFEST,
                new Digest("sha256", "d".repeat(64)),
                800,
                Platform.of("unknown", "unknown", ""),
                att.annotations());
        Manifest m = ImageIndex.assemble(IndexType.AUTO, List.of(img, att, att2), Map.of());
        assertEquals(MediaType.OCI_INDEX, m.mediaType());
        assertEquals(3, m.entries().size());
        assertTrue(m.entries().get(1).isAttestation());
        assertFalse(m.entries().get(0).isAttestation());
    }

    @Test
    void windowsPlatformFields_areWritten() {
        Descriptor w = new Descriptor(
                MediaType.DOCKER_MANIFEST,
                new Digest("sha256", "e".repeat(64)),
                1,
                new Platform("windows", "amd64", "", "10.0.20348.2340", List.of("win32k"), List.of()),
                null);
        Manifest m = ImageIndex.assemble(IndexType.AUTO, List.of(w), Map.of());
        assertEquals(
                "10.0.20348.2340",
                m.json().at("/manifests/0/platform/os.version").asText());
        assertEquals(
                "win32k", m.json().at("/manifests/0/platform/os.features/0").asText());
    }
}
