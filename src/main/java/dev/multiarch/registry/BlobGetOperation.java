package dev.multiarch.registry;

import java.io.IOException;
import java.util.List;
import okhttp3.HttpUrl;
import okhttp3.Request;
import okhttp3.Response;

/**
 * {@code GET /v2/<name>/blobs/<digest>} into memory, for small blobs (image configs): bounded in size and checked
 * against the digest. Layers are streamed by {@link BlobCopyOperation} instead.
 */
final class BlobGetOperation implements RegistryOperation<byte[]> {
    private final ImageReference repo;
    private final Digest digest;
    private final long maxBytes;

    BlobGetOperation(ImageReference repo, Digest digest, long maxBytes) {
        this.repo = repo;
        this.digest = digest;
        this.maxBytes = maxBytes;
    }

    @Override
    public String action() {
        return "pull blob " + digest + " from";
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
        return new Request.Builder().url(ApiPaths.blob(base, repo, digest)).get().build();
    }

    @Override
    public boolean accepts(int status) {
        return status == 200;
    }

    @Override
    public byte[] handle(Response r) throws IOException {
        long declared = r.body().contentLength();
        if (declared > maxBytes) {
            throw RegistryException.builder(action(), target()).code("BLOB_TOO_BIG")
                    .detail(declared + " bytes, over the " + maxBytes + " this reads into memory").build();
        }
        okio.Buffer buf = new okio.Buffer();
        okio.BufferedSource src = r.body().source();
        while (src.read(buf, 8192) != -1) {
            if (buf.size() > maxBytes) {
                throw RegistryException.builder(action(), target()).code("BLOB_TOO_BIG")
                        .detail("over the " + maxBytes + " bytes this reads into memory").build();
            }
        }
        byte[] bytes = buf.readByteArray();
        if (!digest.matches(bytes)) {
            throw RegistryException.builder(action(), target()).code("DIGEST_MISMATCH")
                    .detail("the blob served does not hash to " + digest).digest(digest).build();
        }
        return bytes;
    }
}
