package dev.multiarch.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.base.Json;
import dev.multiarch.platform.Platform;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import okhttp3.HttpUrl;

/**
 * A registry client speaking the OCI distribution API (and Docker Registry HTTP API v2): manifests, blobs, mounts,
 * with Bearer/Basic auth, retries and plain-HTTP/insecure handling. Thread-safe; blocking (call it from a worker
 * thread, never from an event loop). Close it to release its connections.
 */
public final class RegistryClient implements AutoCloseable {
    /** Image configs are small; refuse to read one past this. */
    static final long MAX_CONFIG_BYTES = 8L * 1024 * 1024;

    /** Blobs from this size up are copied in chunks (when the target takes chunks); smaller ones in one PUT. */
    public static final long DEFAULT_CHUNKED_FROM = 64L * 1024 * 1024;

    public static final long DEFAULT_CHUNK_SIZE = 16L * 1024 * 1024;

    private final RegistryCaller caller;
    private final long chunkedFrom;
    private final long chunkSize;

    private RegistryClient(RegistryCaller caller, long chunkedFrom, long chunkSize) {
        this.caller = caller;
        this.chunkedFrom = chunkedFrom;
        this.chunkSize = chunkSize;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Told of every operation that failed, after its retries, with the registry's error code ({@link
     * RegistryException#code()}), including failures the client then recovers from (a chunked upload asking where it
     * stands). It runs on the calling thread and must return quickly; what it throws is ignored.
     */
    @FunctionalInterface
    public interface FailureListener {
        FailureListener NONE = e -> {};

        void failed(RegistryException e);
    }

    /** {@code GET /v2/}: fails with a clear error when the registry is down or refuses our credentials. */
    public void ping(String registry) {
        caller.call(registry, new PingOperation(registry));
    }

    /** The manifest's descriptor (digest, media type, size) if it exists; empty on 404. */
    public Optional<Descriptor> head(ImageReference ref) {
        return caller.call(ref.registry(), new ManifestHeadOperation(ref));
    }

    public Manifest getManifest(ImageReference ref) {
        return caller.call(ref.registry(), new ManifestGetOperation(ref));
    }

    /**
     * Pushes a manifest (to a tag or by digest) and checks the registry's digest against ours.
     *
     * @param what for messages: "the index", "child manifest"
     */
    public Digest putManifest(ImageReference ref, Manifest manifest, String what) {
        return caller.call(ref.registry(), new ManifestPutOperation(ref, manifest, what));
    }

    public boolean blobExists(ImageReference repo, Digest digest) {
        return caller.call(repo.registry(), new BlobHeadOperation(repo, digest));
    }

    /** Reads an image manifest's config blob (small JSON), checked against its digest. */
    public JsonNode getConfig(ImageReference repo, Descriptor config) {
        byte[] bytes = readBlob(repo, config.digest(), in -> {
            byte[] b = in.readNBytes((int) MAX_CONFIG_BYTES + 1);
            if (b.length > MAX_CONFIG_BYTES) {
                throw new java.io.IOException("the config is over the " + MAX_CONFIG_BYTES + " bytes this reads");
            }
            return b;
        });
        try {
            return Json.parse(bytes);
        } catch (RuntimeException e) {
            throw RegistryException.builder("read the config of", repo.registry() + "/" + repo.repository())
                    .code("CONFIG_INVALID")
                    .detail(e.getMessage())
                    .digest(config.digest())
                    .build(e);
        }
    }

    /** The platform an image's config states (os, architecture, variant, os.version, os.features). */
    public Platform configPlatform(ImageReference repo, Manifest image) {
        return Descriptor.platformFromJson(getConfig(repo, image.config()));
    }

    /**
     * Makes {@code blob} present in {@code to}'s repository: nothing if it is there, a cross-repository mount on the
     * same registry, else a copy streamed from {@code from} into the upload session the registry opened instead
     * (ECR answers a mount that way unless blob mounting is enabled). Blobs of {@link #DEFAULT_CHUNKED_FROM} bytes or
     * more (see {@link Builder#withChunkedUpload}) go in resumable chunks when the target takes chunks
     * ({@link ChunkedBlobCopy}); smaller ones, and every blob for Artifact Registry, in one streamed PUT.
     */
    public void copyBlob(ImageReference from, ImageReference to, Descriptor blob) {
        if (blobExists(to, blob.digest())) {
            return;
        }
        Optional<UploadSession> upload = caller.call(to.registry(), new BlobMountOperation(to, from, blob.digest()));
        if (upload.isEmpty()) {
            return;
        }
        RegistryProfile target = RegistryProfile.of(to.registry());
        if (blob.size() >= chunkedFrom && target.chunkedUploads()) {
            long size = target.chunkSize(chunkSize, upload.get().minChunkLength());
            new ChunkedBlobCopy(caller, from, to, blob, upload.get(), size, caller.retry()).run();
        } else {
            caller.call(
                    from.registry(),
                    new BlobCopyOperation(from, to, blob, upload.get().location(), caller));
        }
    }

    /** Streams a blob (a layer) to {@code reader}, checking its digest on the way. */
    public <T> T readBlob(ImageReference repo, Digest digest, BlobReader<T> reader) {
        return caller.call(repo.registry(), new BlobStreamOperation<T>(repo, digest, reader::read));
    }

    /** Reads a blob's bytes as a stream. */
    @FunctionalInterface
    public interface BlobReader<T> {
        T read(java.io.InputStream in) throws java.io.IOException;
    }

    /**
     * Uploads a blob from a file unless the repository has it: one POST to open an upload session, one PUT with the
     * bytes (a file body, so a retry may send it again).
     */
    public void pushBlob(ImageReference repo, Digest digest, java.nio.file.Path file) {
        if (blobExists(repo, digest)) {
            return;
        }
        Optional<UploadSession> upload = caller.call(repo.registry(), new BlobMountOperation(repo, repo, digest));
        if (upload.isEmpty()) {
            return;
        }
        okhttp3.RequestBody body =
                okhttp3.RequestBody.create(file.toFile(), okhttp3.MediaType.get("application/octet-stream"));
        caller.call(
                repo.registry(), new BlobPutOperation(repo, digest, upload.get().location(), body));
    }

    /**
     * Uploads a small blob held in memory (a signature payload, an attestation, a config) unless the repository has
     * it, and returns its descriptor. The body is bytes, so a retry may send it again.
     */
    public Descriptor pushBlob(ImageReference repo, String mediaType, byte[] bytes) {
        Digest digest = Digest.sha256(bytes);
        Descriptor d = new Descriptor(mediaType, digest, bytes.length, null, null);
        if (blobExists(repo, digest)) {
            return d;
        }
        Optional<UploadSession> upload = caller.call(repo.registry(), new BlobMountOperation(repo, repo, digest));
        if (upload.isEmpty()) {
            return d;
        }
        okhttp3.RequestBody body = okhttp3.RequestBody.create(bytes, okhttp3.MediaType.get("application/octet-stream"));
        caller.call(
                repo.registry(), new BlobPutOperation(repo, digest, upload.get().location(), body));
        return d;
    }

    /**
     * Checks that this client may write to {@code repo} without writing anything: opens a blob upload (the push scope,
     * as any push starts) and cancels it. Throws the registry's refusal (a repository that does not exist and is not
     * made on push, as on ECR; a name the registry does not take; no push permission). A registry that cannot cancel
     * uploads leaves an empty one, which it purges as it does stale uploads.
     */
    public void checkWritable(ImageReference repo) {
        Digest none = Digest.sha256(new byte[0]);
        Optional<UploadSession> upload = caller.call(repo.registry(), new BlobMountOperation(repo, repo, none));
        if (upload.isPresent()) {
            try {
                caller.call(
                        repo.registry(),
                        new BlobUploadCancelOperation(repo, none, upload.get().location()));
            } catch (RegistryException e) {
                // Writable all the same; the empty upload expires.
            }
        }
    }

    /**
     * Copies a manifest and everything it references from one repository to another (same or other registry):
     * blobs first, children of an index before the index, and the manifest itself last, by digest, so that nothing
     * in the target points at something missing.
     */
    public void copyManifest(ImageReference from, ImageReference to, Manifest manifest) {
        ImageReference target = to.withDigest(manifest.digest());
        if (head(target).isPresent()) {
            return;
        }
        if (manifest.isIndex()) {
            for (Descriptor child : manifest.entries()) {
                Manifest m = getManifest(from.withDigest(child.digest()));
                copyManifest(from, to, m);
            }
        } else {
            copyBlob(from, to, manifest.config());
            for (Descriptor layer : manifest.layers()) {
                copyBlob(from, to, layer);
            }
        }
        putManifest(target, manifest, "the copied manifest");
    }

    @Override
    public void close() {
        caller.close();
    }

    /** Required: nothing. Optional: credentials, insecure registries, plain HTTP, retries, chunked uploads. */
    public static final class Builder {
        private static final Duration TIMEOUT = Duration.ofSeconds(60);
        private static final String USER_AGENT = "multiarch/0.1";
        private CredentialSource credentials = CredentialSource.NONE;
        private final Set<String> insecure = new HashSet<>();
        private boolean insecureEverywhere;
        private boolean plainHttp;
        private RetryPolicy retry = RetryPolicy.DEFAULT;
        private long chunkedFrom = DEFAULT_CHUNKED_FROM;
        private long chunkSize = DEFAULT_CHUNK_SIZE;
        private final Map<String, HttpUrl> routes = new HashMap<>();
        private FailureListener failures = FailureListener.NONE;

        /** Who hears of failed operations (the coordinator's metrics). */
        public Builder withFailureListener(FailureListener l) {
            this.failures = l;
            return this;
        }

        public Builder withCredentials(CredentialSource c) {
            this.credentials = c;
            return this;
        }

        /** Registries (host[:port]) whose TLS is not verified, with fallback to plain HTTP. */
        public Builder withInsecure(List<String> registries) {
            insecure.addAll(registries);
            return this;
        }

        public Builder withInsecureEverywhere(boolean b) {
            this.insecureEverywhere = b;
            return this;
        }

        /** Plain HTTP to every registry (loopback registries always get plain HTTP). */
        public Builder withPlainHttp(boolean b) {
            this.plainHttp = b;
            return this;
        }

        public Builder withRetry(RetryPolicy r) {
            this.retry = r;
            return this;
        }

        /**
         * Blob copies of {@code fromBytes} or more go in chunks of {@code chunkBytes} (within what the target
         * registry takes: GHCR at most 4 MiB, ECR at least 5 MiB); defaults 64 MiB and 16 MiB.
         */
        public Builder withChunkedUpload(long fromBytes, long chunkBytes) {
            if (fromBytes < 1 || chunkBytes < 1) {
                throw new IllegalArgumentException("chunked upload sizes must be positive");
            }
            this.chunkedFrom = fromBytes;
            this.chunkSize = chunkBytes;
            return this;
        }

        /**
         * For tests: requests addressed to {@code host} (an API host such as {@code registry-1.docker.io}, or a token
         * realm's host such as {@code auth.docker.io}) go to {@code to} instead, with the {@code Host} header the real
         * host would see. See {@link HostRoutes}.
         */
        Builder withRoute(String host, HttpUrl to) {
            routes.put(host, to);
            return this;
        }

        public RegistryClient create() {
            HttpClients clients =
                    new HttpClients(retry, TIMEOUT, USER_AGENT, credentials, Clock.systemUTC(), new HostRoutes(routes));
            return new RegistryClient(
                    new RegistryCaller(clients, plainHttp, Set.copyOf(insecure), insecureEverywhere, retry, failures),
                    chunkedFrom,
                    chunkSize);
        }
    }
}
