package dev.multiarch.registry;

import java.io.IOException;
import java.util.List;
import okhttp3.HttpUrl;
import okhttp3.Request;
import okhttp3.Response;
import okio.BufferedSource;

/**
 * {@code GET /v2/<name>/blobs/<digest>} from an offset, with {@code Range: bytes=<offset>-} (distribution-spec
 * "Pulling blobs": registries SHOULD support ranges; distribution serves them through Go's ServeContent, Docker Hub's
 * CDN does too). The raw stream goes to a reader positioned at {@code offset}; a registry that ignores the range and
 * answers 200 is skipped forward instead. The reader checks nothing: {@link ChunkedBlobCopy} hashes what it reads.
 */
final class BlobRangeReadOperation implements RegistryOperation<Void> {
    /** Reads from the stream, positioned at the offset asked for. */
    @FunctionalInterface
    interface Reader {
        void read(BufferedSource source) throws IOException;
    }

    private final ImageReference from;
    private final Digest digest;
    private final long offset;
    private final Reader reader;

    BlobRangeReadOperation(ImageReference from, Digest digest, long offset, Reader reader) {
        this.from = from;
        this.digest = digest;
        this.offset = offset;
        this.reader = reader;
    }

    @Override
    public String action() {
        return "read blob " + digest + (offset > 0 ? " from byte " + offset : "") + " to copy it from";
    }

    @Override
    public String target() {
        return ApiPaths.repository(from);
    }

    @Override
    public List<String> scopes() {
        return List.of(AuthScope.pull(from.repository()));
    }

    @Override
    public Request request(HttpUrl base) {
        Request.Builder b =
                new Request.Builder().url(ApiPaths.blob(base, from, digest)).get();
        if (offset > 0) {
            b.header("Range", "bytes=" + offset + "-");
        }
        return b.build();
    }

    @Override
    public boolean accepts(int status) {
        return status == 200 || (status == 206 && offset > 0);
    }

    @Override
    public Void handle(Response r) throws IOException {
        BufferedSource source = r.body().source();
        if (r.code() == 206) {
            String range = r.header("Content-Range", "");
            if (!range.startsWith("bytes " + offset + "-")) {
                throw RegistryException.builder(action(), target())
                        .code("BAD_RANGE")
                        .detail("asked for bytes from " + offset + " but got Content-Range '" + range + "'")
                        .digest(digest)
                        .build();
            }
        } else if (offset > 0) {
            source.skip(offset);
        }
        reader.read(source);
        return null;
    }
}
