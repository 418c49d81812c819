package dev.multiarch.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.testing.Proc;
import dev.multiarch.testing.RegistryProxy;
import dev.multiarch.testing.RegistryServer;
import dev.multiarch.testing.Skopeo;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chunked blob copies between two real registries (Debian's docker-registry, CNCF distribution 2.8): an image whose
 * layer is a few MiB is copied from one registry to another with a small chunk size, through a proxy that records the
 * PATCHes and can break one; skopeo then reads the image back from the target and its digests must hold.
 */
class ChunkedCopyIT {
    private static final int KIB = 1024;
    private static final long CHUNK = 512 * KIB;
    private static final RetryPolicy QUICK = new RetryPolicy(4, Duration.ofMillis(10), Duration.ofMillis(100));

    private static RegistryServer a;
    private static RegistryServer b;
    private static byte[] layer;
    private static Manifest image;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() throws Exception {
        a = RegistryServer.start();
        b = RegistryServer.start();
        layer = gzippedTar(5 * 1024 * KIB + 12345);
        image = pushImage(ImageReference.parse(a.host() + "/src/big:1"), layer);
    }

    @AfterAll
    static void stop() {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
    }

    /** A layer as buildah would write one: a gzipped tar holding one file of random (incompressible) bytes. */
    private static byte[] gzippedTar(int size) throws IOException {
        byte[] content = new byte[size];
        new Random(42).nextBytes(content);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(out))) {
            TarArchiveEntry e = new TarArchiveEntry("big.bin");
            e.setSize(content.length);
            tar.putArchiveEntry(e);
            tar.write(content);
            tar.closeArchiveEntry();
        }
        return out.toByteArray();
    }

    private static Manifest pushImage(ImageReference ref, byte[] layerBytes) throws IOException {
        byte[] tar;
        try (var in = new org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream(
                new java.io.ByteArrayInputStream(layerBytes))) {
            tar = in.readAllBytes();
        }
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},\"rootfs\":{\"type\":\"layers\","
                        + "\"diff_ids\":[\"" + Digest.sha256(tar) + "\"]}}")
                .getBytes(StandardCharsets.UTF_8);
        Path dir = Files.createTempDirectory("chunked-it");
        try (RegistryClient c = RegistryClient.builder().create()) {
            Path cf = dir.resolve("config");
            Path lf = dir.resolve("layer");
            Files.write(cf, config);
            Files.write(lf, layerBytes);
            c.pushBlob(ref, Digest.sha256(config), cf);
            c.pushBlob(ref, Digest.sha256(layerBytes), lf);
            String json = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaType.OCI_MANIFEST
                    + "\",\"config\":{\"mediaType\":\"" + MediaType.OCI_CONFIG + "\",\"digest\":\""
                    + Digest.sha256(config) + "\",\"size\":" + config.length
                    + "},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\""
                    + Digest.sha256(layerBytes) + "\",\"size\":" + layerBytes.length + "}]}";
            Manifest m = Manifest.of(json.getBytes(StandardCharsets.UTF_8), MediaType.OCI_MANIFEST);
            c.putManifest(ref, m, "the test image");
            return m;
        } finally {
            Proc.run(List.of("rm", "-rf", dir.toString()), null, 60);
        }
    }

    private static RegistryClient chunking() {
        return RegistryClient.builder()
                .withRetry(QUICK)
                .withChunkedUpload(MIB, CHUNK)
                .create();
    }

    private static final long MIB = 1024L * KIB;

    /** skopeo copies the image out of {@code ref} into a dir: layout (checking every digest); the layer's bytes. */
    private byte[] layerAsSkopeoSeesIt(String ref) throws IOException {
        Path out = tmp.resolve("skopeo-" + System.nanoTime());
        Proc.ok(List.of("skopeo", "copy", "-q", "--src-tls-verify=false", "docker://" + ref, "dir:" + out));
        return Files.readAllBytes(out.resolve(Digest.sha256(layer).hex()));
    }

    private static void assertContiguous(List<RegistryProxy.Exchange> patches, long from, long to) {
        long next = from;
        for (RegistryProxy.Exchange p : patches) {
            assertEquals(next + "-" + (next + p.bodySize() - 1), p.contentRange(), patches.toString());
            next += p.bodySize();
        }
        assertEquals(to, next, patches.toString());
    }

    @Test
    void copyManifest_layerOverTheThreshold_goesInChunksAcrossRegistries_skopeoReadsItBack() throws Exception {
        try (RegistryProxy proxy = new RegistryProxy(b.host());
                RegistryClient c = chunking()) {
            ImageReference target = ImageReference.parse(proxy.host() + "/dst/big:1");
            c.copyManifest(ImageReference.parse(a.host() + "/src/big:1"), target, image);
            c.putManifest(target, image, "the copied image");
            List<RegistryProxy.Exchange> patches = proxy.matching("PATCH", "/v2/dst/big/blobs/uploads/");
            assertEquals(
                    (layer.length + CHUNK - 1) / CHUNK,
                    patches.size(),
                    proxy.exchanges().toString());
            assertContiguous(patches, 0, layer.length);
            for (RegistryProxy.Exchange p : patches) {
                assertEquals(202, p.status());
                assertTrue(p.bodySize() <= CHUNK);
            }
            RegistryProxy.Exchange commit = proxy.matching("PUT", "/v2/dst/big/blobs/uploads/").stream()
                    .filter(e -> e.bodySize() == 0)
                    .findFirst()
                    .orElseThrow();
            assertEquals(201, commit.status());
        }
        assertArrayEquals(layer, layerAsSkopeoSeesIt(b.host() + "/dst/big:1"));
        JsonNode raw = Skopeo.parse(Skopeo.raw(b.host() + "/dst/big:1", null));
        assertEquals(Digest.sha256(layer).toString(), raw.at("/layers/0/digest").asText());
    }

    /**
     * The second PATCH reaches distribution with half its body and the client gets 502. distribution 2.8 then refuses
     * the session (its stored size no longer matches the offset in the Location's {@code _state}: 404
     * BLOB_UPLOAD_INVALID, and it cancels the upload), so the copy opens a new session and starts over.
     */
    @Test
    void patchBrokenMidway_realRegistryDropsTheSession_copyStartsOverAndCompletes() throws Exception {
        try (RegistryProxy proxy = new RegistryProxy(b.host()).cutPatch(2);
                RegistryClient c = chunking()) {
            ImageReference target = ImageReference.parse(proxy.host() + "/resumed/big:1");
            c.copyManifest(ImageReference.parse(a.host() + "/src/big:1"), target, image);
            c.putManifest(target, image, "the copied image");
            List<RegistryProxy.Exchange> status = proxy.matching("GET", "/v2/resumed/big/blobs/uploads/");
            assertEquals(1, status.size(), proxy.exchanges().toString());
            assertEquals(404, status.get(0).status(), "distribution 2.8 refuses a session it stored more of");
            assertEquals(
                    3,
                    proxy.matching("POST", "/v2/resumed/big/blobs/uploads/").size(),
                    "one for the config, two for the layer");
            List<RegistryProxy.Exchange> patches = proxy.matching("PATCH", "/v2/resumed/big/blobs/uploads/");
            assertEquals(502, patches.get(1).status());
            assertContiguous(patches.subList(2, patches.size()), 0, layer.length);
        }
        assertArrayEquals(layer, layerAsSkopeoSeesIt(b.host() + "/resumed/big:1"));
    }

    /** The source drops the connection halfway through the layer: it is read on with {@code Range: bytes=N-}. */
    @Test
    void sourceBreaksOff_isReopenedWithRangeOnTheRealRegistry() throws Exception {
        try (RegistryProxy source =
                        new RegistryProxy(a.host()).cutGet(Digest.sha256(layer).toString());
                RegistryClient c = chunking()) {
            ImageReference from = ImageReference.parse(source.host() + "/src/big:1");
            ImageReference target = ImageReference.parse(b.host() + "/reopened/big:1");
            c.copyManifest(from, target, image);
            c.putManifest(target, image, "the copied image");
            List<RegistryProxy.Exchange> reads = source.matching("GET", "/blobs/" + Digest.sha256(layer));
            assertEquals(2, reads.size(), source.exchanges().toString());
            assertNull(reads.get(0).range());
            assertTrue(
                    reads.get(1).range().matches("bytes=[1-9][0-9]*-"),
                    reads.get(1).range());
            assertEquals(206, reads.get(1).status(), "distribution serves ranges");
        }
        assertArrayEquals(layer, layerAsSkopeoSeesIt(b.host() + "/reopened/big:1"));
    }
}
