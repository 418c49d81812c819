package dev.multiarch.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.multiarch.platform.Platform;
import dev.multiarch.registry.Descriptor;
import dev.multiarch.registry.Digest;
import dev.multiarch.registry.MediaType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VerifierEntriesTest {
    private static Descriptor d(char fill, String platform, Map<String, String> annotations) {
        return new Descriptor(
                MediaType.OCI_MANIFEST,
                new Digest("sha256", String.valueOf(fill).repeat(64)),
                100,
                platform == null ? null : Platform.parse(platform),
                annotations);
    }

    @Test
    void imageEntries_skipAttestationsAndUnknownPlatforms() {
        Descriptor amd64 = d('a', "linux/amd64", Map.of());
        Descriptor arm64 = d('b', "linux/arm64", Map.of());
        Descriptor attestation = d(
                'c',
                "unknown/unknown",
                Map.of(
                        Descriptor.REFERENCE_TYPE,
                        "attestation-manifest",
                        Descriptor.REFERENCE_DIGEST,
                        amd64.digest().toString()));
        Descriptor unknownOnly = d('d', "unknown/unknown", Map.of());
        Descriptor markedOnly = d('e', null, Map.of(Descriptor.REFERENCE_TYPE, "attestation-manifest"));
        assertEquals(
                List.of(amd64, arm64),
                Verifier.imageEntries(List.of(amd64, attestation, arm64, unknownOnly, markedOnly)));
    }
}
