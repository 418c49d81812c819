package dev.multiarch.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.base.Json;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The runner API's wire format: runners and coordinators of the previous version exchange these messages. */
class ProtocolTest {
    /** What the previous version (positional constructor, before the builder) wrote, byte for byte. */
    private static final String WIRE = "{\"jobId\":7,\"buildId\":3,\"attempt\":2,\"platform\":\"linux/arm64\","
            + "\"cloneUrl\":\"https://github.com/o/r.git\",\"commit\":\"" + "a".repeat(40) + "\","
            + "\"dockerfile\":\"Dockerfile\",\"context\":\".\",\"buildArgs\":{\"K\":\"v\"},"
            + "\"image\":\"registry.example/o/r\",\"format\":\"oci\","
            + "\"push\":{\"registry\":\"registry.example\",\"insecure\":false,\"username\":\"u\",\"password\":\"p\","
            + "\"identityToken\":null},\"sourceAuth\":\"Bearer t\",\"timeoutSeconds\":600,\"heartbeatSeconds\":10,"
            + "\"untrusted\":false,\"annotations\":{\"org.opencontainers.image.revision\":\"a\"},"
            + "\"cache\":{\"repository\":\"registry.example/o/r-cache/linux-arm64\",\"insecure\":false,\"write\":true},"
            + "\"repo\":\"o/r\"}";

    private static Protocol.Assignment assignment() {
        return Protocol.Assignment.builder()
                .jobId(7)
                .buildId(3)
                .attempt(2)
                .platform("linux/arm64")
                .cloneUrl("https://github.com/o/r.git")
                .commit("a".repeat(40))
                .dockerfile("Dockerfile")
                .context(".")
                .buildArgs(Map.of("K", "v"))
                .image("registry.example/o/r")
                .format("oci")
                .push(new Protocol.PushCredentials("registry.example", false, "u", "p", null))
                .sourceAuth("Bearer t")
                .timeoutSeconds(600)
                .heartbeatSeconds(10)
                .annotations(Map.of("org.opencontainers.image.revision", "a"))
                .cache(new Protocol.LayerCache("registry.example/o/r-cache/linux-arm64", false, true))
                .repo("o/r")
                .build();
    }

    @Test
    void anAssignmentIsWrittenAsThePreviousVersionWroteIt() throws Exception {
        assertEquals(WIRE, Json.MAPPER.writeValueAsString(assignment()));
    }

    @Test
    void anAssignmentOfThePreviousVersionIsReadBack() throws Exception {
        assertEquals(assignment(), Json.MAPPER.readValue(WIRE, Protocol.Assignment.class));
    }

    @Test
    void anAssignmentOfAnOlderCoordinatorReadsWithoutTheNewerFields() throws Exception {
        String old = WIRE.replace(",\"annotations\":{\"org.opencontainers.image.revision\":\"a\"}", "")
                .replace(
                        ",\"cache\":{\"repository\":\"registry.example/o/r-cache/linux-arm64\",\"insecure\":false,"
                                + "\"write\":true}",
                        "")
                .replace(",\"repo\":\"o/r\"", "");
        Protocol.Assignment a = Json.MAPPER.readValue(old, Protocol.Assignment.class);
        assertEquals(Map.of(), a.annotations());
        assertEquals(null, a.cache());
        assertEquals(null, a.repo());
        assertEquals("linux/arm64", a.platform());
    }

    @Test
    void theBuilderNamesAMissingRequiredField() {
        NullPointerException e = assertThrows(NullPointerException.class, () -> Protocol.Assignment.builder()
                .platform("linux/amd64")
                .cloneUrl("https://github.com/o/r.git")
                .commit("a".repeat(40))
                .format("oci")
                .build());
        assertTrue(e.getMessage().contains("image"), e.getMessage());
    }
}
