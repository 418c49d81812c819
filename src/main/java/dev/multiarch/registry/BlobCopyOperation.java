package dev.multiarch.registry;

import java.io.IOException;
import java.util.List;
import okhttp3.HttpUrl;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSink;
import okio.BufferedSource;

/**
 * Copies one blob that could not be mounted: {@code GET} it from the source and stream it, without holding it in
 * memory, into the target's open upload session with a monolithic {@code PUT ?digest=} (distribution-spec "Pushing
 * a blob monolithically"). The streamed body is one-shot, so the retry layer never replays it.
 */
final class BlobCopyOperation implements RegistryOperation<Void> {
    private final ImageReference from;
    private final ImageReference to;
    private final Descriptor blob;
    private final String uploadLocation;
    private final RegistryCaller caller;

    BlobCopyOperation(
            ImageReference from, ImageReference to, Descriptor blob, String uploadLocation, RegistryCaller caller) {
        this.from = from;
        this.to = to;
        this.blob = blob;
        this.uploadLocation = uploadLocation;
        this.caller = caller;
    }

    @Override
    public String action() {
        return "read blob " + blob.digest() + " to copy it from";
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
        return new Request.Builder()
                .url(ApiPaths.blob(base, from, blob.digest()))
                .get()
                .build();
    }

    @Override
    public boolean accepts(int status) {
        return status == 200;
    }

    @Override
    public Void handle(Response r) {
        BufferedSource source = r.body().source();
        long length = r.body().contentLength() >= 0 ? r.body().contentLength() : blob.size();
        RequestBody body = new RequestBody() {
            @Override
            public okhttp3.MediaType contentType() {
                return okhttp3.MediaType.get("application/octet-stream");
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
                sink.writeAll(source);
            }
        };
        caller.call(to.registry(), new BlobPutOperation(to, blob.digest(), uploadLocation, body));
        return null;
    }
}
