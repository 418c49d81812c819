package dev.multiarch.registry;

import java.util.List;
import java.util.Optional;
import okhttp3.Request;
import okhttp3.Response;

/**
 * {@code GET <location>} of an open upload: 204 with {@code Range: 0-<end>}, the bytes the registry holds, and a
 * fresh {@code Location} (distribution-spec "Resuming an upload"; the "range" is not an RFC 9110 byte range,
 * distribution/distribution#3496). Empty when the session is gone: 404, which distribution also answers
 * (BLOB_UPLOAD_INVALID) when a PATCH it stored was never acknowledged to us, and then cancels the session.
 *
 * <p>distribution answers {@code 0-0} both for no byte and for one byte (registry/handlers/blobupload.go); that is
 * read as no byte.
 */
final class BlobUploadStatusOperation implements RegistryOperation<Optional<BlobUploadStatusOperation.Status>> {
    /** How much of the blob the registry holds, and where to continue. */
    record Status(String location, long offset) {}

    private final ImageReference to;
    private final Digest digest;
    private final String location;

    BlobUploadStatusOperation(ImageReference to, Digest digest, String location) {
        this.to = to;
        this.digest = digest;
        this.location = location;
    }

    @Override
    public String action() {
        return "ask how much of blob " + digest + " was received by";
    }

    @Override
    public String target() {
        return ApiPaths.repository(to);
    }

    @Override
    public List<String> scopes() {
        return List.of(AuthScope.push(to.repository()));
    }

    @Override
    public Request request(okhttp3.HttpUrl base) {
        return new Request.Builder()
                .url(ApiPaths.upload(location, action(), target()))
                .get()
                .build();
    }

    @Override
    public boolean accepts(int status) {
        return status == 204 || status == 200 || status == 404;
    }

    @Override
    public Optional<Status> handle(Response r) {
        if (r.code() == 404) {
            return Optional.empty();
        }
        return Optional.of(new Status(ApiPaths.location(r, location), offset(r.header("Range"))));
    }

    /** {@code 0-<end>} (or {@code bytes=0-<end>}) → end + 1; {@code 0-0} or nothing → 0. */
    static long offset(String range) {
        if (range == null || range.isBlank()) {
            return 0;
        }
        String v = range.trim();
        if (v.startsWith("bytes=")) {
            v = v.substring("bytes=".length());
        }
        int dash = v.indexOf('-');
        try {
            long end = Long.parseLong(v.substring(dash + 1).trim());
            return end <= 0 ? 0 : end + 1;
        } catch (NumberFormatException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException("unreadable upload Range header '" + range + "'", e);
        }
    }
}
