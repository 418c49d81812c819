package dev.multiarch.registry;

import java.io.IOException;
import java.util.List;
import okhttp3.HttpUrl;
import okhttp3.Request;
import okhttp3.Response;

/**
 * {@code GET /v2/<name>/manifests/<reference>} with all four manifest types in {@code Accept}. The body is kept as
 * received; a manifest fetched by digest must hash to that digest, and one over the 4 MiB that registries accept is
 * refused rather than read.
 */
final class ManifestGetOperation implements RegistryOperation<Manifest> {
    static final long MAX_MANIFEST_BYTES = 4L * 1024 * 1024;

    private final ImageReference ref;

    ManifestGetOperation(ImageReference ref) {
        this.ref = ref;
    }

    @Override
    public String action() {
        return "pull the manifest of";
    }

    @Override
    public String target() {
        return ref.toString();
    }

    @Override
    public List<String> scopes() {
        return List.of(AuthScope.pull(ref.repository()));
    }

    @Override
    public Request request(HttpUrl base) {
        return new Request.Builder()
                .url(ApiPaths.manifest(base, ref))
                .get()
                .header("Accept", MediaType.MANIFEST_ACCEPT)
                .build();
    }

    @Override
    public boolean accepts(int status) {
        return status == 200;
    }

    @Override
    public Manifest handle(Response r) throws IOException {
        long declared = r.body().contentLength();
        if (declared > MAX_MANIFEST_BYTES) {
            throw RegistryException.builder(action(), target())
                    .code("MANIFEST_TOO_BIG")
                    .detail(declared + " bytes, over the 4 MiB limit")
                    .build();
        }
        byte[] bytes = r.body().source().readByteArray();
        Manifest m;
        try {
            m = Manifest.of(bytes, r.header("Content-Type"));
        } catch (IllegalArgumentException e) {
            throw RegistryException.builder(action(), target())
                    .code("MANIFEST_INVALID")
                    .detail(e.getMessage())
                    .build(e);
        }
        if (ref.digest() != null && !ref.digest().matches(bytes)) {
            throw RegistryException.builder(action(), target())
                    .code("DIGEST_MISMATCH")
                    .detail("the bytes served hash to " + m.digest())
                    .digest(ref.digest())
                    .hint("the registry served content that is not what was asked for")
                    .build();
        }
        return m;
    }

    @Override
    public String hint(String code, int status) {
        return status == 404 ? "no such tag or digest in " + ref.registry() + "/" + ref.repository() : null;
    }
}
