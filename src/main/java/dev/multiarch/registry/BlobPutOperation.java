package dev.multiarch.registry;

import java.util.List;
import okhttp3.HttpUrl;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * Completes an upload session with the whole blob: {@code PUT <location>?digest=<digest>} (distribution-spec
 * "Pushing a blob monolithically"). The registry checks the bytes against the digest (DIGEST_INVALID otherwise).
 */
final class BlobPutOperation implements RegistryOperation<Void> {
    private final ImageReference to;
    private final Digest digest;
    private final String location;
    private final RequestBody body;

    BlobPutOperation(ImageReference to, Digest digest, String location, RequestBody body) {
        this.to = to;
        this.digest = digest;
        this.location = location;
        this.body = body;
    }

    @Override
    public String action() {
        return "upload blob " + digest + " to";
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
    public Request request(HttpUrl base) {
        HttpUrl url = ApiPaths.upload(location, action(), target());
        return new Request.Builder()
                .url(url.newBuilder()
                        .addQueryParameter("digest", digest.toString())
                        .build())
                .put(body)
                .build();
    }

    @Override
    public boolean accepts(int status) {
        return status == 201;
    }

    @Override
    public Void handle(Response response) {
        return null;
    }

    @Override
    public String hint(String code, int status) {
        return switch (code) {
            case "DIGEST_INVALID" -> "the bytes the registry received do not hash to " + digest;
            case "BLOB_UPLOAD_UNKNOWN" -> "the registry no longer knows this upload session (expired or cancelled)";
            case "BLOB_UPLOAD_INVALID" -> "the registry gave up on this upload session";
            default -> null;
        };
    }
}
