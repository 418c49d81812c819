package dev.multiarch.registry;

import java.util.List;
import java.util.Optional;
import okhttp3.HttpUrl;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * Cross-repository blob mount, {@code POST /v2/<name>/blobs/uploads/?mount=<digest>&from=<other>}
 * (distribution-spec "Mounting a blob from another repository"): 201 when mounted; 202 opens an upload session
 * instead (the registry could not mount), whose Location is returned so the caller can upload the blob itself. ECR
 * answers 202 unless its account setting BLOB_MOUNTING is enabled (docs.aws.amazon.com/AmazonECR/latest/userguide/
 * blob-mounting.html); Quay refuses {@code mount} without {@code from}, so both are always sent together.
 */
final class BlobMountOperation implements RegistryOperation<Optional<UploadSession>> {
    private final ImageReference to;
    private final ImageReference from;
    private final Digest digest;

    BlobMountOperation(ImageReference to, ImageReference from, Digest digest) {
        this.to = to;
        this.from = from;
        this.digest = digest;
    }

    @Override
    public String action() {
        // Across registries (a mirror copy) this only opens an upload: say so, not "mount", in its errors.
        return mounting()
                ? "mount blob " + digest + " from " + from.repository() + " into"
                : "start uploading blob " + digest + " to";
    }

    @Override
    public String target() {
        return ApiPaths.repository(to);
    }

    @Override
    public List<String> scopes() {
        return mounting()
                ? List.of(AuthScope.push(to.repository()), AuthScope.pull(from.repository()))
                : List.of(AuthScope.push(to.repository()));
    }

    @Override
    public Request request(HttpUrl base) {
        HttpUrl.Builder u = ApiPaths.uploads(base, to).newBuilder();
        if (mounting()) {
            u.addQueryParameter("mount", digest.toString()).addQueryParameter("from", from.repository());
        }
        return new Request.Builder()
                .url(u.build())
                .post(RequestBody.create(new byte[0], null))
                .build();
    }

    /** A mount only makes sense from another repository on the same registry; otherwise this opens a plain upload. */
    private boolean mounting() {
        return from.registry().equals(to.registry()) && !from.sameRepository(to);
    }

    @Override
    public boolean accepts(int status) {
        return status == 201 || status == 202;
    }

    /** Empty when mounted; otherwise the upload session, its Location resolved against the request URL. */
    @Override
    public Optional<UploadSession> handle(Response r) {
        if (r.code() == 201) {
            return Optional.empty();
        }
        String location = r.header("Location");
        if (location == null) {
            throw RegistryException.builder(action(), target())
                    .code("NO_LOCATION")
                    .detail("the registry opened an upload without a Location header")
                    .build();
        }
        HttpUrl resolved = r.request().url().resolve(location);
        long min = 0;
        String minHeader = r.header("OCI-Chunk-Min-Length");
        if (minHeader != null) {
            try {
                min = Math.max(0, Long.parseLong(minHeader.trim()));
            } catch (NumberFormatException ignored) {
                // An unreadable minimum is no minimum; the registry will say so if a chunk is too small.
            }
        }
        return Optional.of(new UploadSession(resolved == null ? location : resolved.toString(), min));
    }
}
