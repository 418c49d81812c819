package dev.multiarch.registry;

import java.util.List;
import okhttp3.HttpUrl;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * {@code PUT /v2/<name>/manifests/<reference>} with the exact bytes and their media type as Content-Type
 * (distribution 2.8 refuses a missing or generic type with MANIFEST_INVALID). The registry's
 * {@code Docker-Content-Digest} must equal the digest computed here from the bytes sent.
 */
final class ManifestPutOperation implements RegistryOperation<Digest> {
    private final ImageReference ref;
    private final Manifest manifest;
    private final String what;

    ManifestPutOperation(ImageReference ref, Manifest manifest, String what) {
        this.ref = ref;
        this.manifest = manifest;
        this.what = what;
    }

    @Override
    public String action() {
        return "push " + what + " to";
    }

    @Override
    public String target() {
        return ref.toString();
    }

    @Override
    public List<String> scopes() {
        return List.of(AuthScope.push(ref.repository()));
    }

    @Override
    public Request request(HttpUrl base) {
        return new Request.Builder()
                .url(ApiPaths.manifest(base, ref))
                .put(RequestBody.create(manifest.bytes(), okhttp3.MediaType.get(manifest.mediaType())))
                .build();
    }

    @Override
    public boolean accepts(int status) {
        return status == 201 || status == 200;
    }

    @Override
    public Digest handle(Response r) {
        String header = r.header("Docker-Content-Digest");
        if (header != null && !Digest.parse(header).equals(manifest.digest())) {
            throw RegistryException.builder(action(), target())
                    .code("DIGEST_MISMATCH")
                    .detail("the registry stored " + header + " but the bytes sent hash to " + manifest.digest())
                    .digest(manifest.digest())
                    .hint("the registry rewrote the manifest; refusing to trust it")
                    .build();
        }
        return manifest.digest();
    }

    @Override
    public String hint(String code, int status) {
        return switch (code) {
            case "MANIFEST_BLOB_UNKNOWN" -> "the child is not in this repository";
            case "MANIFEST_INVALID" ->
                "the registry refused the manifest (" + manifest.mediaType() + ", " + manifest.size()
                        + " bytes; registries take at most 4 MiB)";
            case "DIGEST_INVALID" -> "the digest in the reference does not match the bytes";
            default -> null;
        };
    }
}
