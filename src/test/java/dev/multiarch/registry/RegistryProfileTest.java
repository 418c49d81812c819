package dev.multiarch.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import okhttp3.Headers;
import org.junit.jupiter.api.Test;

/** The registry table, Docker Hub's names, rate-limit headers and upload ranges: pure parsing, no HTTP. */
class RegistryProfileTest {
    private static final long MIB = 1024 * 1024;

    @Test
    void apiHosts_dockerHubHasItsOwn_othersAreTheirName() {
        assertEquals("registry-1.docker.io", ImageReference.parse("busybox").apiHost());
        assertEquals(
                "registry-1.docker.io",
                ImageReference.parse("docker.io/acme/app").apiHost());
        assertEquals("ghcr.io", ImageReference.parse("ghcr.io/acme/app").apiHost());
        assertEquals(
                "127.0.0.1:5000", ImageReference.parse("127.0.0.1:5000/app").apiHost());
        assertEquals(
                "harbor.example.com",
                ImageReference.parse("harbor.example.com/proj/app").apiHost());
    }

    @Test
    void imageReference_dockerHubSpellingsAreOneRegistry_evenWhenMadeDirectly() {
        ImageReference r = new ImageReference("index.docker.io", "busybox", "1", null);
        assertEquals("docker.io", r.registry());
        assertEquals("library/busybox", r.repository());
        assertEquals("docker.io", new ImageReference("registry-1.docker.io", "acme/app", null, null).registry());
        assertEquals(
                "app", new ImageReference("ghcr.io", "app", null, null).repository(), "library/ is Docker Hub's only");
    }

    @Test
    void profiles_matchTheirHostsOnly() {
        assertEquals("Docker Hub", RegistryProfile.of("docker.io").name());
        assertEquals("GitHub Container Registry", RegistryProfile.of("ghcr.io").name());
        assertEquals(
                "Amazon ECR",
                RegistryProfile.of("123456789012.dkr.ecr.eu-west-1.amazonaws.com")
                        .name());
        assertEquals(
                "Amazon ECR",
                RegistryProfile.of("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn")
                        .name());
        assertEquals(
                "Google Artifact Registry",
                RegistryProfile.of("europe-west2-docker.pkg.dev").name());
        assertEquals(
                "Google Artifact Registry",
                RegistryProfile.of("us-docker.pkg.dev").name());
        assertEquals("Quay", RegistryProfile.of("quay.io").name());
        assertEquals(RegistryProfile.GENERIC, RegistryProfile.of("public.ecr.aws"));
        assertEquals(RegistryProfile.GENERIC, RegistryProfile.of("ghcr.io.example.com"));
        assertEquals(RegistryProfile.GENERIC, RegistryProfile.of("harbor.example.com"));
        assertFalse(RegistryProfile.of("us-central1-docker.pkg.dev").chunkedUploads());
    }

    @Test
    void chunkSize_withinTheRegistrysLimits_aMinimumWins() {
        assertEquals(4 * MIB, RegistryProfile.of("ghcr.io").chunkSize(16 * MIB, 0));
        assertEquals(MIB, RegistryProfile.of("ghcr.io").chunkSize(MIB, 0));
        assertEquals(
                5 * MIB,
                RegistryProfile.of("123456789012.dkr.ecr.us-east-1.amazonaws.com")
                        .chunkSize(MIB, 0));
        assertEquals(16 * MIB, RegistryProfile.GENERIC.chunkSize(16 * MIB, 0));
        assertEquals(20 * MIB, RegistryProfile.GENERIC.chunkSize(16 * MIB, 20 * MIB), "OCI-Chunk-Min-Length");
    }

    @Test
    void rateLimit_dockerHubHeaders() {
        Headers h = Headers.of("ratelimit-limit", "100;w=21600", "ratelimit-remaining", "76;w=21600");
        RateLimit r = RateLimit.of(h).orElseThrow();
        assertEquals(new RateLimit(100, 21600, 76), r);
        assertEquals("100 pulls per 6 h, 76 left", r.describe());
        assertEquals(Optional.empty(), RateLimit.of(Headers.of()));
        assertEquals(Optional.empty(), RateLimit.of(Headers.of("ratelimit-limit", "lots")));
        assertEquals(
                "10 pulls per 30 min",
                RateLimit.of(Headers.of("ratelimit-limit", "10;w=1800"))
                        .orElseThrow()
                        .describe());
    }

    @Test
    void uploadRange_isInclusiveAndNotAByteRange() {
        assertEquals(0, BlobUploadStatusOperation.offset(null));
        assertEquals(0, BlobUploadStatusOperation.offset("0-0"), "distribution's 0-0: read as nothing received");
        assertEquals(1000, BlobUploadStatusOperation.offset("0-999"));
        assertEquals(1000, BlobUploadStatusOperation.offset("bytes=0-999"));
        assertTrue(org.junit.jupiter.api.Assertions.assertThrows(
                        IllegalArgumentException.class, () -> BlobUploadStatusOperation.offset("0-x"))
                .getMessage()
                .contains("0-x"));
    }
}
