package dev.multiarch.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@code annotations:} and {@code attestations:} in {@code .multiarch.yaml}. */
class RepoConfigAnnotationsTest {
    private static final String HEAD = "image: reg.example/app\nplatforms: [linux/amd64]\n";

    private static String error(String yaml) {
        return assertThrows(ConfigException.class, () -> RepoConfig.parse(yaml)).getMessage();
    }

    @Test
    void annotations_readInOrder_unknownOciImageKeysAllowed() {
        ImageBuild b = RepoConfig.parse(HEAD
                        + "annotations:\n"
                        + "  org.opencontainers.image.title: App\n"
                        + "  org.opencontainers.image.description: \"An app: for testing\"\n"
                        + "  org.opencontainers.image.licenses: Apache-2.0\n"
                        + "  org.opencontainers.image.future-key: '1.0'\n"
                        + "  com.example.empty: ''\n")
                .images()
                .get(0);
        assertEquals(
                List.of(
                        "org.opencontainers.image.title",
                        "org.opencontainers.image.description",
                        "org.opencontainers.image.licenses",
                        "org.opencontainers.image.future-key",
                        "com.example.empty"),
                List.copyOf(b.annotations().keySet()));
        assertEquals("An app: for testing", b.annotations().get("org.opencontainers.image.description"));
        assertEquals("1.0", b.annotations().get("org.opencontainers.image.future-key"), "a string, not a number");
        assertEquals(Set.of(), b.attestations());
    }

    @Test
    void annotationValue_notAString_namesLineAndKey() {
        assertEquals(
                ".multiarch.yaml:5: annotations.org.opencontainers.image.title: expected a string value, not a list",
                error(HEAD + "annotations:\n  com.example.ok: x\n  org.opencontainers.image.title: [a, b]\n"));
        assertEquals(
                ".multiarch.yaml:4: annotations.com.example.x: expected a string value, not a mapping",
                error(HEAD + "annotations:\n  com.example.x: {a: b}\n"));
        assertEquals(
                ".multiarch.yaml:4: annotations.com.example.x: needs a value (write '' for an empty one)",
                error(HEAD + "annotations:\n  com.example.x:\n"));
        assertEquals(
                ".multiarch.yaml:3: annotations: expected a mapping of annotation keys to string values, e.g."
                        + " {org.opencontainers.image.title: app}",
                error(HEAD + "annotations: [a, b]\n"));
    }

    @Test
    void annotationKeys_reservedOrMalformed_areRefusedWithTheReason() {
        assertEquals(
                ".multiarch.yaml:4: annotations.org.opencontainers.image.revision: org.opencontainers.image.revision"
                        + " cannot be set: it is the build's commit",
                error(HEAD + "annotations:\n  org.opencontainers.image.revision: abc\n"));
        assertEquals(
                ".multiarch.yaml:4: annotations.org.opencontainers.image.base.name: org.opencontainers.image.base.name"
                        + " cannot be set: the build writes it from the Dockerfile's FROM",
                error(HEAD + "annotations:\n  org.opencontainers.image.base.name: x/y\n"));
        assertEquals(
                ".multiarch.yaml:4: annotations.org.opencontainers.artifact.x: the org.opencontainers namespace is"
                        + " reserved for OCI specifications; of it, only org.opencontainers.image.* keys can be set",
                error(HEAD + "annotations:\n  org.opencontainers.artifact.x: y\n"));
        assertEquals(
                ".multiarch.yaml:4: annotations.a=b: 'a=b' is not an annotation key: 1 to 128 letters, digits, '.',"
                        + " '_', '-', '/', starting with a letter or digit (reverse domain notation, e.g."
                        + " com.example.team)",
                error(HEAD + "annotations:\n  a=b: c\n"));
    }

    @Test
    void attestations_provenance_orAnUnknownWordNamed() {
        assertEquals(
                Set.of(Attestation.PROVENANCE),
                RepoConfig.parse(HEAD + "attestations: [provenance]\n")
                        .images()
                        .get(0)
                        .attestations());
        assertEquals(
                ".multiarch.yaml:3: attestations[1]: unknown attestation 'sbom'; known: provenance",
                error(HEAD + "attestations: [provenance, sbom]\n"));
        assertEquals(
                ".multiarch.yaml:3: attestations: a Docker manifest list cannot carry attestation manifests; use"
                        + " format: oci or auto",
                error(HEAD + "attestations: [provenance]\nformat: docker\n"));
    }

    @Test
    void annotations_perImageInAMonorepo() {
        RepoConfig c = RepoConfig.parse("images:\n"
                + "  - image: reg.example/a\n    platforms: [linux/amd64]\n"
                + "    annotations: {org.opencontainers.image.title: A}\n"
                + "  - image: reg.example/b\n    platforms: [linux/amd64]\n");
        assertEquals(
                Map.of("org.opencontainers.image.title", "A"), c.images().get(0).annotations());
        assertEquals(Map.of(), c.images().get(1).annotations());
    }
}
