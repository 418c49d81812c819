package dev.multiarch.registry;

import java.util.List;
import okhttp3.HttpUrl;
import okhttp3.Request;
import okhttp3.Response;

/** {@code HEAD /v2/<name>/blobs/<digest>}: whether the repository already has a blob. 404 means absent. */
final class BlobHeadOperation implements RegistryOperation<Boolean> {
    private final ImageReference repo;
    private final Digest digest;

    BlobHeadOperation(ImageReference repo, Digest digest) {
        this.repo = repo;
        this.digest = digest;
    }

    @Override
    public String action() {
        return "check blob " + digest + " in";
    }

    @Override
    public String target() {
        return ApiPaths.repository(repo);
    }

    @Override
    public List<String> scopes() {
        return List.of(AuthScope.pull(repo.repository()));
    }

    @Override
    public Request request(HttpUrl base) {
        return new Request.Builder()
                .url(ApiPaths.blob(base, repo, digest))
                .head()
                .build();
    }

    @Override
    public boolean accepts(int status) {
        return status == 200 || status == 404;
    }

    @Override
    public Boolean handle(Response r) {
        return r.code() == 200;
    }
}
