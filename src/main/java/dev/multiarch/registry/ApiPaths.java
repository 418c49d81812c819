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

    /**
     * An upload session's {@code Location} (end-5/6/13): absolute, as {@link BlobMountOperation} resolved it. The
     * newest one must always be used: distribution keeps the session's state in its query ({@code _state}).
     */
    static HttpUrl upload(String location, String action, String target) {
        HttpUrl url = HttpUrl.parse(location);
        if (url == null) {
            throw RegistryException.builder(action, target)
                    .code("BAD_LOCATION")
                    .detail("the registry gave an upload location that is not a URL")
                    .build();
        }
        return url;
    }

    /** A {@code Location} header resolved against the request it answered; {@code fallback} when there is none. */
    static String location(okhttp3.Response r, String fallback) {
        String location = r.header("Location");
        if (location == null || location.isBlank()) {
            return fallback;
        }
        HttpUrl resolved = r.request().url().resolve(location);
        return resolved == null ? location : resolved.toString();
    }

    /** For messages: {@code registry/repository}. */
    static String repository(ImageReference ref) {
        return ref.registry() + "/" + ref.repository();
    }
}
