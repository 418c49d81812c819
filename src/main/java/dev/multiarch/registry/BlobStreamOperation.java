package dev.multiarch.registry;

import java.io.IOException;
import java.io.InputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import okhttp3.HttpUrl;
import okhttp3.Request;
import okhttp3.Response;

/**
 * {@code GET /v2/<name>/blobs/<digest>} handed to a reader as a stream (layers are too big to hold), hashed on the way
 * through: a blob that does not match its digest fails even after the reader has seen it.
 */
final class BlobStreamOperation<T> implements RegistryOperation<T> {
    /** Reads a blob's bytes; should read to the end so the digest can be checked. */
    @FunctionalInterface
    public interface Reader<T> {
        T read(InputStream in) throws IOException;
    }

    private final ImageReference repo;
    private final Digest digest;
    private final Reader<T> reader;

    BlobStreamOperation(ImageReference repo, Digest digest, Reader<T> reader) {
        this.repo = repo;
        this.digest = digest;
        this.reader = reader;
    }

    @Override
    public String action() {
        return "read blob " + digest + " from";
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
                .get()
                .build();
    }

    @Override
    public boolean accepts(int status) {
        return status == 200;
    }

    @Override
    public T handle(Response r) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance(digest.algorithm().equals("sha256") ? "SHA-256" : "SHA-512");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (InputStream in = new DigestInputStream(r.body().byteStream(), md)) {
            T t;
            try {
                t = reader.read(in);
            } catch (IOException e) {
                throw RegistryException.builder(action(), target())
                        .code("BLOB_UNREADABLE")
                        .detail(e.getMessage())
                        .digest(digest)
                        .build(e);
            }
            in.transferTo(java.io.OutputStream.nullOutputStream());
            if (!HexFormat.of().formatHex(md.digest()).equals(digest.hex())) {
                throw RegistryException.builder(action(), target())
                        .code("DIGEST_MISMATCH")
                        .detail("the blob served does not hash to " + digest)
                        .digest(digest)
                        .build();
            }
            return t;
        }
    }
}
