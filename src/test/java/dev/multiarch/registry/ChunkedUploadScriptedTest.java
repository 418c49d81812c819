package dev.multiarch.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Random;
import mockwebserver3.MockResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Chunked, resumable blob copies between two registries, against scripted registries that follow the distribution
 * spec's "Pushing a blob in chunks" and "Resuming an upload" (shared/reference/distribution-spec_spec.md): POST opens a
 * session, each PATCH carries {@code Content-Range: <start>-<end>} and is answered with the new Location and
 * {@code Range: 0-<end>}, {@code GET <location>} tells the offset the registry holds, {@code PUT ?digest=} commits.
 */
class ChunkedUploadScriptedTest {
    private static final RetryPolicy FAST = new RetryPolicy(4, Duration.ofMillis(1), Duration.ofMillis(5));
    private static final int KIB = 1024;
    private static final String LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";

    private ScriptedRegistry source;
    private ScriptedRegistry target;
    private final ImageReference from = ImageReference.parse("source.example/team/base");
    private final ImageReference to = ImageReference.parse("target.example/team/app");

    @BeforeEach
    void start() throws Exception {
        source = new ScriptedRegistry("source.example");
        target = new ScriptedRegistry("target.example");
    }

    @AfterEach
    void stop() {
        source.close();
        target.close();
    }

    private RegistryClient client(long chunkedFrom, long chunk) {
        return RegistryClient.builder()
                .withRetry(FAST)
                .withChunkedUpload(chunkedFrom, chunk)
                .withRoute(source.apiHost, source.url())
                .withRoute(target.apiHost, target.url())
                .create();
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    private Descriptor stored(byte[] b) {
        source.putBlob("team/base", b);
        return new Descriptor(LAYER, Digest.sha256(b), b.length, null, null);
    }

    private List<String> contentRanges() {
        return target.matching("PATCH", "/blobs/uploads/").stream()
                .map(e -> e.headers().get("Content-Range"))
                .toList();
    }

    @Test
    void chunked_copy_patchesInOrderWithContentRange_thenCommitsWithDigest() {
        byte[] b = bytes(600 * KIB + 123);
        Descriptor blob = stored(b);
        try (RegistryClient c = client(256 * KIB, 256 * KIB)) {
            c.copyBlob(from, to, blob);
        }
        assertEquals(List.of("0-262143", "262144-524287", "524288-614522"), contentRanges());
        var put = target.matching("PUT", "/blobs/uploads/");
        assertEquals(1, put.size());
        assertEquals(blob.digest().toString(), put.get(0).url().queryParameter("digest"));
        assertEquals(0, put.get(0).bodySize(), "the bytes went in the PATCHes");
        assertArrayEquals(b, target.blob("team/app", blob.digest()));
        assertEquals(1, source.matching("GET", "/blobs/sha256:").size(), "the source is read once, as a stream");
        for (var patch : target.matching("PATCH", "/")) {
            assertEquals("application/octet-stream", patch.headers().get("Content-Type"));
        }
    }

    @Test
    void chunked_locationIsTheNewestOne() {
        Descriptor blob = stored(bytes(300 * KIB));
        try (RegistryClient c = client(100 * KIB, 100 * KIB)) {
            c.copyBlob(from, to, blob);
        }
        var patches = target.matching("PATCH", "/");
        assertEquals("u1-0", patches.get(0).url().queryParameter("_state"));
        assertEquals("u1-102400", patches.get(1).url().queryParameter("_state"));
        assertEquals("u1-204800", patches.get(2).url().queryParameter("_state"));
    }

    @Test
    void chunked_patchFailsMidway_resumesFromTheRegistrysOffset() {
        byte[] b = bytes(700 * KIB);
        Descriptor blob = stored(b);
        // The second PATCH stores 100000 of its 262144 bytes, then the registry answers 500.
        target.failPatch(2, 100_000, 500);
        try (RegistryClient c = client(256 * KIB, 256 * KIB)) {
            c.copyBlob(from, to, blob);
        }
        assertArrayEquals(b, target.blob("team/app", blob.digest()));
        List<String> lines = target.lines();
        int failed = lines.indexOf(lines.stream()
                .filter(l -> l.startsWith("PATCH") && l.endsWith(" 500"))
                .findFirst()
                .orElseThrow());
        assertTrue(
                lines.get(failed + 1).matches("GET target.example /v2/team/app/blobs/uploads/u[0-9]+ 204"),
                lines.toString());
        assertEquals(List.of("0-262143", "262144-524287", "362144-624287", "624288-716799"), contentRanges());
        assertEquals(1, source.matching("GET", "/blobs/").size(), "resumed from the chunk in hand");
    }

    @Test
    void chunked_sourceBreaksOff_isReopenedWithARangeRequest() {
        byte[] b = bytes(700 * KIB);
        Descriptor blob = stored(b);
        source.cutBlobRead(1);
        try (RegistryClient c = client(256 * KIB, 256 * KIB)) {
            c.copyBlob(from, to, blob);
        }
        assertArrayEquals(b, target.blob("team/app", blob.digest()));
        var reads = source.matching("GET", "/blobs/");
        assertEquals(2, reads.size());
        assertNull(reads.get(0).headers().get("Range"));
        assertEquals("bytes=358400-", reads.get(1).headers().get("Range"), "where the first read broke off");
        assertEquals(206, reads.get(1).status());
        assertEquals(List.of("0-262143", "262144-524287", "524288-716799"), contentRanges());
    }

    @Test
    void chunked_sessionForgottenAfterAFailure_startsANewUploadFromTheStart() {
        byte[] b = bytes(700 * KIB);
        Descriptor blob = stored(b);
        target.failPatch(2, 100_000, 502).forgetsOnFailure();
        try (RegistryClient c = client(256 * KIB, 256 * KIB)) {
            c.copyBlob(from, to, blob);
        }
        assertArrayEquals(b, target.blob("team/app", blob.digest()));
        assertTrue(
                target.lines().stream().anyMatch(l -> l.matches("GET .*/blobs/uploads/u[0-9]+ 404")),
                target.lines().toString());
        assertEquals(2, target.matching("POST", "/blobs/uploads/").size(), "a second session");
        assertEquals(
                List.of("0-262143", "262144-524287", "0-262143", "262144-524287", "524288-716799"), contentRanges());
        var reads = source.matching("GET", "/blobs/");
        assertEquals(2, reads.size(), "the source is read again from the start");
        assertNull(reads.get(1).headers().get("Range"));
    }

    @Test
    void chunked_sourceServesOtherBytes_isRefusedAndNothingIsCommitted() {
        byte[] b = bytes(300 * KIB);
        Digest claimed = Digest.sha256("something else".getBytes());
        source.putBlob("team/base", claimed, b);
        Descriptor blob = new Descriptor(LAYER, claimed, b.length, null, null);
        try (RegistryClient c = client(100 * KIB, 100 * KIB)) {
            RegistryException e = assertThrows(RegistryException.class, () -> c.copyBlob(from, to, blob));
            assertEquals("DIGEST_MISMATCH", e.code());
            assertTrue(
                    e.getMessage()
                            .startsWith("Tried to copy blob " + claimed + " from source.example/team/base but failed"
                                    + " because: DIGEST_MISMATCH the source served 307200 bytes that hash to "
                                    + Digest.sha256(b)),
                    e.getMessage());
            assertTrue(e.getMessage().contains("nothing was committed to target.example/team/app"), e.getMessage());
        }
        assertTrue(target.matching("PUT", "/").isEmpty(), target.lines().toString());
        assertEquals(1, target.matching("DELETE", "/blobs/uploads/").size(), "the session is cancelled");
        assertNull(target.blob("team/app", claimed));
    }

    @Test
    void chunked_registryRefusesEveryChunk_givesUpNamingTheOffset() {
        Descriptor blob = stored(bytes(300 * KIB));
        target.before(r -> r.getMethod().equals("PATCH")
                ? new MockResponse.Builder().code(503).build()
                : null);
        try (RegistryClient c = client(100 * KIB, 100 * KIB)) {
            RegistryException e = assertThrows(RegistryException.class, () -> c.copyBlob(from, to, blob));
            assertEquals(503, e.httpStatus());
            assertTrue(
                    e.getMessage().contains("after 4 failures without progress at byte 0 of 307200"), e.getMessage());
        }
        assertEquals(4, target.matching("PATCH", "/").size(), "bounded by the retry policy");
        assertEquals(1, target.matching("DELETE", "/blobs/uploads/").size(), "the session is cancelled");
    }

    @Test
    void belowTheThreshold_oneStreamedPut() {
        byte[] b = bytes(200 * KIB);
        Descriptor blob = stored(b);
        try (RegistryClient c = client(256 * KIB, 64 * KIB)) {
            c.copyBlob(from, to, blob);
        }
        assertTrue(target.matching("PATCH", "/").isEmpty(), target.lines().toString());
        var put = target.matching("PUT", "/blobs/uploads/");
        assertEquals(b.length, put.get(0).bodySize());
        assertArrayEquals(b, target.blob("team/app", blob.digest()));
    }

    @Test
    void chunkMinimumFromTheSession_isHonoured() {
        byte[] b = bytes(300 * KIB);
        Descriptor blob = stored(b);
        target.before(r -> r.getMethod().equals("POST")
                ? new MockResponse.Builder()
                        .code(202)
                        .addHeader("Location", "/v2/team/app/blobs/uploads/big?_state=x")
                        .addHeader("OCI-Chunk-Min-Length", 200 * KIB)
                        .build()
                : null);
        target.before(r -> r.getMethod().equals("PATCH") && r.getTarget().contains("/big")
                ? new MockResponse.Builder()
                        .code(202)
                        .addHeader("Location", "/v2/team/app/blobs/uploads/big?_state=y")
                        .build()
                : null);
        target.before(r -> r.getMethod().equals("PUT") && r.getTarget().contains("/big")
                ? new MockResponse.Builder().code(201).build()
                : null);
        try (RegistryClient c = client(100 * KIB, 64 * KIB)) {
            c.copyBlob(from, to, blob);
        }
        assertEquals(List.of(204800L, 102400L), target.patchSizes());
    }
}
