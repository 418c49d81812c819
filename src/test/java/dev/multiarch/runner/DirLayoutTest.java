package dev.multiarch.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.base.Json;
import dev.multiarch.registry.Digest;
import dev.multiarch.registry.MediaType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The labels and annotations written into an exported image, in place of buildah's LABEL steps. */
class DirLayoutTest {
    @TempDir
    Path dir;

    private static final String LAYER = "layer bytes";

    /** A dir: layout as buildah push writes it: manifest.json, the config and one layer, each named by its hex. */
    private Digest layout(String manifestType, String configType, String config) throws Exception {
        byte[] c = config.getBytes(StandardCharsets.UTF_8);
        Digest cd = Digest.sha256(c);
        Files.write(dir.resolve(cd.hex()), c);
        byte[] l = LAYER.getBytes(StandardCharsets.UTF_8);
        Digest ld = Digest.sha256(l);
        Files.write(dir.resolve(ld.hex()), l);
        Files.writeString(
                dir.resolve("manifest.json"),
                "{\"schemaVersion\":2,\"mediaType\":\"" + manifestType + "\",\"config\":{\"mediaType\":\"" + configType
                        + "\",\"digest\":\"" + cd + "\",\"size\":" + c.length + "},\"layers\":[{\"mediaType\":"
                        + "\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" + ld + "\",\"size\":" + l.length
                        + "}],\"annotations\":{\"org.opencontainers.image.base.name\":\"\"}}");
        return cd;
    }

    private static Map<String, String> ours() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("org.opencontainers.image.revision", "a".repeat(40));
        m.put("org.opencontainers.image.version", "1.2.3");
        return m;
    }

    @Test
    void anOciImage_getsTheLabelsInItsConfig_overTheDockerfilesOwn_andTheAnnotationsInItsManifest() throws Exception {
        Digest old = layout(
                MediaType.OCI_MANIFEST,
                MediaType.OCI_CONFIG,
                "{\"architecture\":\"arm64\",\"os\":\"linux\",\"config\":{\"Labels\":{\"maintainer\":\"me\","
                        + "\"org.opencontainers.image.version\":\"from the Dockerfile\"}},"
                        + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:" + "0".repeat(64) + "\"]}}");

        DirLayout.label(dir, ours(), true);

        DirLayout l = new DirLayout(dir);
        JsonNode m = l.manifest().json();
        Digest now = l.manifest().config().digest();
        byte[] config = Files.readAllBytes(dir.resolve(now.hex()));
        assertTrue(now.matches(config), "the config file is named by its digest");
        assertEquals(config.length, l.manifest().config().size());
        assertFalse(Files.exists(dir.resolve(old.hex())), "the old config is gone");
        JsonNode labels = Json.parse(config).path("config").path("Labels");
        assertEquals("me", labels.path("maintainer").asText(), "the Dockerfile's other labels stay");
        assertEquals("1.2.3", labels.path("org.opencontainers.image.version").asText(), "ours win, as --label's");
        assertEquals(
                "a".repeat(40), labels.path("org.opencontainers.image.revision").asText());
        assertEquals("arm64", Json.parse(config).path("architecture").asText());
        assertEquals(
                "1.2.3",
                m.path("annotations").path("org.opencontainers.image.version").asText());
        assertTrue(m.path("annotations").has("org.opencontainers.image.base.name"), "buildah's annotations stay");
        assertEquals(1, l.manifest().layers().size());
        assertEquals(
                Digest.sha256(LAYER.getBytes(StandardCharsets.UTF_8)),
                l.manifest().layers().get(0).digest());
    }

    @Test
    void aDockerImage_getsLabelsOnly_evenWithoutAConfigSection() throws Exception {
        layout(MediaType.DOCKER_MANIFEST, MediaType.DOCKER_CONFIG, "{\"architecture\":\"amd64\",\"os\":\"linux\"}");
        String before = Files.readString(dir.resolve("manifest.json"));

        DirLayout.label(dir, ours(), false);

        DirLayout l = new DirLayout(dir);
        JsonNode labels = Json.parse(Files.readAllBytes(
                        dir.resolve(l.manifest().config().digest().hex())))
                .path("config")
                .path("Labels");
        assertEquals("1.2.3", labels.path("org.opencontainers.image.version").asText());
        assertFalse(l.manifest().json().path("annotations").has("org.opencontainers.image.version"));
        assertFalse(before.equals(Files.readString(dir.resolve("manifest.json"))), "points at the new config");
    }

    @Test
    void noLabels_leaveTheLayoutAsBuildahWroteIt() throws Exception {
        layout(MediaType.OCI_MANIFEST, MediaType.OCI_CONFIG, "{\"os\":\"linux\"}");
        String before = Files.readString(dir.resolve("manifest.json"));
        DirLayout.label(dir, Map.of(), true);
        assertEquals(before, Files.readString(dir.resolve("manifest.json")));
    }
}
