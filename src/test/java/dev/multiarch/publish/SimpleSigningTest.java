package dev.multiarch.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.multiarch.registry.Digest;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SimpleSigningTest {
    private static final Digest D = new Digest("sha256", "ab".repeat(32));

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void toBytes_isCosignsPayloadByteForByte() {
        // sigstore/sigstore pkg/signature/payload: compact JSON, this field order, optional null without claims.
        assertEquals(
                "{\"critical\":{\"identity\":{\"docker-reference\":\"ghcr.io/acme/app:1.2.3\"},"
                        + "\"image\":{\"docker-manifest-digest\":\"sha256:" + "ab".repeat(32) + "\"},"
                        + "\"type\":\"cosign container image signature\"},\"optional\":null}",
                new String(new SimpleSigning("ghcr.io/acme/app:1.2.3", D, Map.of()).toBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void parse_roundTripsAndReadsOptionalClaims() {
        SimpleSigning s = new SimpleSigning("r/a", D, Map.of("sig", "1"));
        assertEquals(s, SimpleSigning.parse(s.toBytes()));
    }

    @Test
    void parse_isAsStrictAsContainersImage() {
        String digest = "\"image\":{\"docker-manifest-digest\":\"sha256:" + "ab".repeat(32) + "\"}";
        assertEquals(
                "critical must hold exactly [identity, image, type]",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> SimpleSigning.parse(
                                        b("{\"critical\":{\"identity\":{\"docker-reference\":\"r\"}," + digest
                                                + ",\"type\":\"cosign container image signature\",\"extra\":1},"
                                                + "\"optional\":null}")))
                        .getMessage());
        assertEquals(
                "the payload has no 'optional' field",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> SimpleSigning.parse(b("{\"critical\":{\"identity\":{\"docker-reference\":\"r\"},"
                                        + digest + ",\"type\":\"cosign container image signature\"}}")))
                        .getMessage());
        assertEquals(
                "critical.type is 'something else', not 'cosign container image signature'",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> SimpleSigning.parse(b("{\"critical\":{\"identity\":{\"docker-reference\":\"r\"},"
                                        + digest + ",\"type\":\"something else\"},\"optional\":null}")))
                        .getMessage());
    }
}
