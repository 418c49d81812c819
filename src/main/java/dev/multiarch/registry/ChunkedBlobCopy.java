package dev.multiarch.registry;

import dev.multiarch.base.Backoff;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;
import okhttp3.RequestBody;
import okio.Buffer;
import okio.BufferedSource;

/**
 * Copies one large blob into an open upload session in chunks, streamed from the source registry and resumable
 * (distribution-spec "Pushing a blob in chunks" and "Resuming an upload"): {@code PATCH} each chunk with its
 * {@code Content-Range}, then {@code PUT ?digest=} with no body. Not an operation itself: it runs
 * {@link BlobRangeReadOperation}, {@link BlobChunkOperation}, {@link BlobUploadStatusOperation},
 * {@link BlobMountOperation} (to open a new session), {@link BlobPutOperation} and {@link BlobUploadCancelOperation}
 * through the caller.
 *
 * <p>Memory: one chunk at most. The source is read into a buffer of at most one chunk, which is sent and dropped; the
 * source response stays open between chunks.
 *
 * <p>When a PATCH fails (no answer, 5xx, 408, 429, 416, or a 401 from an expired token), the registry is asked how
 * much it holds ({@code GET <location>}, {@code Range: 0-<end>}) and the upload resumes there: from the buffer when
 * the offset falls inside the chunk in hand, else by reopening the source with an HTTP {@code Range} request. When the
 * session is gone (404: distribution cancels a session whose state no longer matches what it stored) a new one is
 * opened and the blob is sent from the start. When the source breaks off, it is reopened at the byte where it
 * stopped. Failures without progress in between are bounded by the retry policy's attempts and spaced by its backoff.
 *
 * <p>Every byte read from the source is hashed once, in order; the upload is committed only when the bytes hash to
 * the blob's digest, and cancelled otherwise.
 */
final class ChunkedBlobCopy {
    /** Answers after which asking the registry for its offset and resuming may succeed. */
    private static final Set<Integer> RESUMABLE = Set.of(401, 404, 408, 416, 429, 500, 502, 503, 504);

    private final RegistryCaller caller;
    private final ImageReference from;
    private final ImageReference to;
    private final Descriptor blob;
    private final long chunkSize;
    private final RetryPolicy retry;
    private final Backoff backoff;

    private final Buffer chunk = new Buffer();
    private final MessageDigest hash;
    private String location;
    /** Offset of the chunk's first byte; everything before it the registry has acknowledged. */
    private long chunkStart;
    /** Bytes [0, hashed) of the blob are in {@link #hash}. */
    private long hashed;
    /** Consecutive failures without progress. */
    private int failures;
    /** The failure this gave up with, so that it is not counted again on its way out. */
    private RegistryException gaveUp;

    ChunkedBlobCopy(
            RegistryCaller caller,
            ImageReference from,
            ImageReference to,
            Descriptor blob,
            UploadSession session,
            long chunkSize,
            RetryPolicy retry) {
        this.caller = caller;
        this.from = from;
        this.to = to;
        this.blob = blob;
        this.location = session.location();
        this.chunkSize = chunkSize;
        this.retry = retry;
        this.backoff = retry.backoff();
        try {
            this.hash = MessageDigest.getInstance(blob.digest().algorithm().equals("sha256") ? "SHA-256" : "SHA-512");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM lacks " + blob.digest().algorithm(), e);
        }
    }

    void run() {
        try {
            upload();
        } catch (RegistryException e) {
            cancel();
            throw e;
        }
        commit();
    }

    private void upload() {
        while (chunkStart < blob.size()) {
            if (chunk.size() >= wanted()) {
                pump(null);
                continue;
            }
            long at = chunkStart + chunk.size();
            try {
                caller.call(from.registry(), new BlobRangeReadOperation(from, blob.digest(), at, this::pump));
            } catch (RegistryException e) {
                boolean unreachable =
                        e.httpStatus() == 0 && Set.of("UNREACHABLE", "TIMEOUT").contains(e.code());
                if (e == gaveUp || !unreachable) {
                    throw e;
                }
                sourceFailed(e);
            }
        }
    }

    /** The length of the chunk starting at {@link #chunkStart}: a whole chunk, or what is left of the blob. */
    private long wanted() {
        return Math.min(chunkSize, blob.size() - chunkStart);
    }

    /**
     * Fills and sends chunks while it can. {@code source} (null when the chunk in hand suffices) is positioned at
     * {@code chunkStart + chunk.size()}. Returns when everything is sent, or when the source must be (re)opened.
     */
    private void pump(BufferedSource source) {
        while (chunkStart < blob.size()) {
            long want = wanted();
            if (chunk.size() < want) {
                if (source == null) {
                    return;
                }
                try {
                    fill(source, want);
                } catch (IOException e) {
                    sourceFailed(e);
                    return;
                }
            }
            if (!send(want)) {
                return;
            }
        }
    }

    private void fill(BufferedSource source, long want) throws IOException {
        while (chunk.size() < want) {
            long pos = chunkStart + chunk.size();
            long n = source.read(chunk, want - chunk.size());
            if (n == -1) {
                throw RegistryException.builder("copy blob " + blob.digest() + " from", ApiPaths.repository(from))
                        .code("BLOB_SIZE_MISMATCH")
                        .detail("the source ended after " + pos + " bytes, the descriptor says " + blob.size())
                        .digest(blob.digest())
                        .build();
            }
            if (pos + n > hashed) {
                long first = Math.max(pos, hashed);
                chunk.copyTo(hashing(), first - chunkStart, pos + n - first);
                hashed = pos + n;
            }
        }
    }

    private OutputStream hashing() {
        return new OutputStream() {
            @Override
            public void write(int b) {
                hash.update((byte) b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                hash.update(b, off, len);
            }
        };
    }

    /** Sends the first {@code want} bytes of the chunk; false when the source must be reopened to go on. */
    private boolean send(long want) {
        try {
            location = caller.call(
                    to.registry(), new BlobChunkOperation(to, blob.digest(), location, chunkStart, chunk, want));
        } catch (RegistryException e) {
            boolean transientFailure = e.httpStatus() == 0
                    ? Set.of("UNREACHABLE", "TIMEOUT").contains(e.code())
                    : RESUMABLE.contains(e.httpStatus());
            if (!transientFailure) {
                throw e;
            }
            return reposition(recover(e));
        }
        drop(want);
        chunkStart += want;
        failures = 0;
        return true;
    }

    /** After a failed PATCH: the offset the registry holds, in the current or a new session. */
    private long recover(RegistryException e) {
        failed(e);
        if (e.httpStatus() != 404) {
            Optional<BlobUploadStatusOperation.Status> status =
                    caller.call(to.registry(), new BlobUploadStatusOperation(to, blob.digest(), location));
            if (status.isPresent()) {
                location = status.get().location();
                return status.get().offset();
            }
        }
        UploadSession fresh = caller.call(to.registry(), new BlobMountOperation(to, to, blob.digest()))
                .orElseThrow(() -> RegistryException.builder(
                                "open a new upload of blob " + blob.digest() + " in", ApiPaths.repository(to))
                        .code("NO_UPLOAD")
                        .detail("the registry answered 201 to a plain upload request")
                        .build());
        location = fresh.location();
        return 0;
    }

    /** Moves to the registry's offset; false when that offset is before the chunk in hand (reopen the source). */
    private boolean reposition(long offset) {
        long end = chunkStart + chunk.size();
        if (offset > end || offset > blob.size()) {
            throw RegistryException.builder("upload blob " + blob.digest() + " to", ApiPaths.repository(to))
                    .code("UPLOAD_OFFSET_INVALID")
                    .detail("the registry says it holds " + offset + " bytes, but only " + end + " were sent")
                    .digest(blob.digest())
                    .build();
        }
        if (offset >= chunkStart) {
            drop(offset - chunkStart);
            chunkStart = offset;
            return true;
        }
        chunk.clear();
        chunkStart = offset;
        return false;
    }

    /** Drops bytes from the front of the chunk; never more than it holds. */
    private void drop(long n) {
        try {
            chunk.skip(n);
        } catch (java.io.EOFException e) {
            throw new IllegalStateException("dropping " + n + " of " + chunk.size() + " buffered bytes", e);
        }
    }

    private void sourceFailed(Exception e) {
        failed(RegistryException.builder("read blob " + blob.digest() + " to copy it from", ApiPaths.repository(from))
                .code("UNREACHABLE")
                .detail(e.getMessage())
                .build(e));
    }

    /** Counts a failure without progress, gives up past the policy's attempts, else waits its backoff. */
    private void failed(RegistryException e) {
        failures++;
        if (failures >= retry.attempts()) {
            gaveUp = e.toBuilder()
                    .hint("gave up copying blob " + blob.digest() + " after " + failures
                            + " failures without progress at byte " + chunkStart + " of " + blob.size())
                    .build(e);
            throw gaveUp;
        }
        pause(backoff.delay(failures - 1));
    }

    private void pause(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            gaveUp = RegistryException.builder("upload blob " + blob.digest() + " to", ApiPaths.repository(to))
                    .code("INTERRUPTED")
                    .detail("interrupted while waiting to resume at byte " + chunkStart)
                    .build(e);
            throw gaveUp;
        }
    }

    private void cancel() {
        try {
            caller.call(to.registry(), new BlobUploadCancelOperation(to, blob.digest(), location));
        } catch (RegistryException ignored) {
            // Best effort: the registry purges stale uploads on its own.
        }
    }

    /** Checks the digest of what was read, then {@code PUT ?digest=}; cancels the session on a mismatch. */
    private void commit() {
        Digest got = new Digest(blob.digest().algorithm(), HexFormat.of().formatHex(hash.digest()));
        if (!got.equals(blob.digest())) {
            cancel();
            throw RegistryException.builder("copy blob " + blob.digest() + " from", ApiPaths.repository(from))
                    .code("DIGEST_MISMATCH")
                    .detail("the source served " + blob.size() + " bytes that hash to " + got)
                    .digest(blob.digest())
                    .hint("the source registry served other content than the digest names; nothing was committed to "
                            + ApiPaths.repository(to))
                    .build();
        }
        try {
            caller.call(
                    to.registry(),
                    new BlobPutOperation(to, blob.digest(), location, RequestBody.create(new byte[0], null)));
        } catch (RegistryException e) {
            // A PUT whose answer was lost and that was retried finds its session gone: the blob may be there.
            if (e.httpStatus() == 404 && caller.call(to.registry(), new BlobHeadOperation(to, blob.digest()))) {
                return;
            }
            throw e;
        }
    }
}
