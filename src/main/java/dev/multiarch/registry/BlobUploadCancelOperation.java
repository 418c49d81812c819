package dev.multiarch.registry;

import java.util.List;
import okhttp3.Request;
import okhttp3.Response;

/**
 * {@code DELETE <location>}: cancels an upload we will not finish, so the registry drops the partial data now rather
 * than when it purges stale uploads (distribution's default: after 168 h). 404 means it is already gone.
 */
final class BlobUploadCancelOperation implements RegistryOperation<Void> {
    private final ImageReference to;
    private final Digest digest;
    private final String location;

    BlobUploadCancelOperation(ImageReference to, Digest digest, String location) {
        this.to = to;
        this.digest = digest;
        this.location = location;
    }

    @Override
    public String action() {
        return "cancel the upload of blob " + digest + " to";
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
                .delete()
                .build();
    }

    @Override
    public boolean accepts(int status) {
        return status == 204 || status == 200 || status == 202 || status == 404;
    }

    @Override
    public Void handle(Response r) {
        return null;
    }
}
