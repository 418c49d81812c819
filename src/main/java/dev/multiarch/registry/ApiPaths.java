package dev.multiarch.registry;

import okhttp3.HttpUrl;

/** The distribution API's endpoints (distribution-spec "Endpoints" table), in one place. */
final class ApiPaths {
    private ApiPaths() {}

    /** end-3/7/9: {@code /v2/<name>/manifests/<reference>}. */
    static HttpUrl manifest(HttpUrl base, ImageReference ref) {
        return base.resolve("/v2/" + ref.repository() + "/manifests/" + ref.manifestReference());
    }

    /** end-2: {@code /v2/<name>/blobs/<digest>}. */
    static HttpUrl blob(HttpUrl base, ImageReference repo, Digest digest) {
        return base.resolve("/v2/" + repo.repository() + "/blobs/" + digest);
    }

    /** end-4a/11: {@code /v2/<name>/blobs/uploads/}. */
    static HttpUrl uploads(HttpUrl base, ImageReference repo) {
        return base.resolve("/v2/" + repo.repository() + "/blobs/uploads/");
    }

    /** For messages: {@code registry/repository}. */
    static String repository(ImageReference ref) {
        return ref.registry() + "/" + ref.repository();
    }
}
