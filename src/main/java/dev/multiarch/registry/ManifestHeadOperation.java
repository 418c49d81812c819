package dev.multiarch.registry;

import java.util.List;
import java.util.Optional;
import okhttp3.HttpUrl;
import okhttp3.Request;
import okhttp3.Response;

/**
 * {@code HEAD /v2/<name>/manifests/<reference>}: whether a manifest exists, with its digest, type and size, without
 * its body. 404 means absent.
 */
final class ManifestHeadOperation implements RegistryOperation<Optional<Descriptor>> {
    private final ImageReference ref;

    ManifestHeadOperation(ImageReference ref) {
        this.ref = ref;
    }

    @Override
    public String action() {
        return "check the manifest of";
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
                .head()
                .header("Accept", MediaType.MANIFEST_ACCEPT)
                .build();
    }

    @Override
    public boolean accepts(int status) {
        return status == 200 || status == 404;
    }

    @Override
    public Optional<Descriptor> handle(Response r) {
        if (r.code() == 404) {
            return Optional.empty();
        }
        String header = r.header("Docker-Content-Digest");
        Digest digest = header != null ? Digest.parse(header) : ref.digest();
        if (digest == null) {
            throw RegistryException.builder(action(), target())
                    .code("NO_DIGEST")
                    .detail("the registry answered HEAD without Docker-Content-Digest")
                    .build();
        }
        if (ref.digest() != null && !ref.digest().equals(digest)) {
            throw RegistryException.builder(action(), target())
                    .code("DIGEST_MISMATCH")
                    .detail("the registry reports " + digest)
                    .digest(ref.digest())
                    .build();
        }
        long size = parseLong(r.header("Content-Length"));
        return Optional.of(new Descriptor(MediaType.normalize(r.header("Content-Type")), digest, size, null, null));
    }

    private static long parseLong(String s) {
        try {
            return s == null ? -1 : Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @Override
    public String hint(String code, int status) {
        return status == 401 || status == 403 ? "check the credentials for " + ref.registry() : null;
    }
}
