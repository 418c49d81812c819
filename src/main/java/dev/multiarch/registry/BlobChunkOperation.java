package dev.multiarch.registry;

import java.io.IOException;
import java.util.List;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.Buffer;
import okio.BufferedSink;

/**
 * One chunk of a chunked upload: {@code PATCH <location>} with {@code Content-Range: <start>-<end>} (inclusive, no
 * unit) and {@code Content-Length} (distribution-spec "Pushing a blob in chunks"). Answers the session's new
 * {@code Location}. ECR has been seen answering 201 instead of 202 (cirruslabs/tart#273); both mean "stored".
 *
 * <p>The body is marked one-shot although it sits in memory: after a failed PATCH the registry may hold part of it,
 * so sending it again blindly could duplicate bytes. {@link ChunkedBlobCopy} asks the registry for its offset instead.
 * The {@code Range} header of the answer is not trusted for progress: ECR's can stop advancing although the data is
 * stored (aws/containers-roadmap#2831).
 */
final class BlobChunkOperation implements RegistryOperation<String> {
    private static final okhttp3.MediaType OCTETS = okhttp3.MediaType.get("application/octet-stream");

    private final ImageReference to;
    private final Digest digest;
    private final String location;
    private final long start;
    private final Buffer chunk;
    private final long length;

    /** Sends the first {@code length} bytes of {@code chunk} (left unconsumed) as bytes {@code start…}. */
    BlobChunkOperation(ImageReference to, Digest digest, String location, long start, Buffer chunk, long length) {
        this.to = to;
        this.digest = digest;
        this.location = location;
        this.start = start;
        this.chunk = chunk;
        this.length = length;
    }

    @Override
    public String action() {
        return "upload bytes " + start + "-" + (start + length - 1) + " of blob " + digest + " to";
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
        RequestBody body = new RequestBody() {
            @Override
            public okhttp3.MediaType contentType() {
                return OCTETS;
            }

            @Override
            public long contentLength() {
                return length;
            }

            @Override
            public boolean isOneShot() {
                return true;
            }

            @Override
            public void writeTo(BufferedSink sink) throws IOException {
                try (Buffer copy = new Buffer()) {
                    chunk.copyTo(copy, 0, length);
                    sink.writeAll(copy);
                }
            }
        };
        return new Request.Builder()
                .url(ApiPaths.upload(location, action(), target()))
                .header("Content-Range", start + "-" + (start + length - 1))
                .patch(body)
                .build();
    }

    @Override
    public boolean accepts(int status) {
        return status == 202 || status == 201 || status == 204;
    }

    @Override
    public String handle(Response r) {
        return ApiPaths.location(r, location);
    }

    @Override
    public String hint(String code, int status) {
        return status == 416 ? "the registry expected another offset or a smaller chunk" : null;
    }
}
