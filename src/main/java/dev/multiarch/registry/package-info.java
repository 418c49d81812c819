/**
 * Talking to container registries: where a digest is checked, where blobs are copied and where an index is pushed.
 *
 * <h2>Using it</h2>
 *
 * <p>{@link dev.multiarch.registry.RegistryClient} is the one entry point: build it once ({@code builder()}, with
 * credentials from flags or a Docker config, insecure registries, retries, chunked-upload sizes), use it from worker
 * threads, close it. Every failure is a {@link dev.multiarch.registry.RegistryException} whose one-line message names
 * the action, the object, the registry's own error code and a hint, and never a secret.
 *
 * <h2>How it is built</h2>
 *
 * <p>It speaks the OCI distribution spec v1.1 (and Docker's Registry HTTP API v2, which it extends): one small class
 * per operation ({@code ManifestGetOperation}, {@code BlobMountOperation}, {@code BlobChunkOperation}…) says which
 * answers it expects, and {@code RegistryCaller} owns the exchange: the base URL (the registry's API host, plain HTTP
 * for loopback), and the mapping of every other answer to an exception. okhttp does the rest as designed:
 * {@code RegistryAuth} answers 401 challenges (Basic, or Bearer tokens per scope from the challenge's realm, distribution
 * "Token Authentication Specification") and attaches cached tokens up front; {@code RetryInterceptor} retries 429, 5xx
 * and connection failures with {@link dev.multiarch.base.Backoff}, honouring {@code Retry-After}, never replaying a
 * one-shot body.
 *
 * <p>Blobs that are not in the target repository are mounted from another repository of the same registry, or copied:
 * streamed from the source in one {@code PUT}, or, from 64 MiB up, in resumable chunks ({@code ChunkedBlobCopy}:
 * {@code PATCH} with {@code Content-Range}, resume from the offset the registry reports, reopen the source with an
 * HTTP {@code Range} request; one chunk in memory at most; committed only when the bytes hash to the digest).
 *
 * <h2>Real registries</h2>
 *
 * <p>What differs from the spec is data, in {@code RegistryProfile}; the rest is the same code for every registry.
 * <ul>
 *   <li><b>Docker Hub</b>: references say {@code docker.io} (or {@code index.docker.io}), the API is
 *       {@code registry-1.docker.io}, tokens come from {@code auth.docker.io} for service {@code registry.docker.io},
 *       one-component names are {@code library/<name>}, and {@code docker login} files the credentials under
 *       {@code https://index.docker.io/v1/}. A mount needs one token for both repositories. Over the pull limit it
 *       answers 429 {@code TOOMANYREQUESTS} with {@code ratelimit-limit}/{@code ratelimit-remaining}; the error names
 *       the limit those headers state ({@code RateLimit}).</li>
 *   <li><b>GHCR</b>: tokens from {@code ghcr.io/token}, anonymous ones for public images; a {@code PATCH} over 4 MiB
 *       is answered 416, so chunks are at most 4 MiB.</li>
 *   <li><b>Quay</b>: robot accounts {@code org+name}; {@code mount} is always sent with {@code from}; when a
 *       challenge offers Basic and Bearer together, Bearer is used.</li>
 *   <li><b>Amazon ECR</b>: Basic auth, user {@code AWS} (from {@code docker-credential-ecr-login} through
 *       {@code credHelpers}); a mount is answered with an upload session (202) unless the account enabled blob
 *       mounting, and the blob is then copied into it; chunks are at least 5 MiB (S3 multipart parts); a
 *       {@code PATCH} may be answered 201, and its {@code Range} may lag, so progress is counted from what was sent.</li>
 *   <li><b>Google Artifact Registry</b> ({@code LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE}): credentials from
 *       the {@code gcloud} helper; no chunked uploads, so every blob goes in one {@code PUT}.</li>
 *   <li><b>Harbor</b> (self-hosted, so the generic profile): {@code project/repository} paths, tokens from
 *       {@code /service/token}; robot accounts {@code robot$project+name} keep their {@code $} in Basic auth.</li>
 *   <li><b>distribution 2.8</b> (what the end-to-end tests run): ignores {@code Content-Range}, and refuses (404
 *       BLOB_UPLOAD_INVALID) and cancels a session whose stored size no longer matches its Location's {@code _state},
 *       which is what a {@code PATCH} cut off midway leaves; the copy then opens a new session and starts over.</li>
 * </ul>
 *
 * <p>Credential helper answers are kept five minutes, since a Basic registry is asked for credentials before every
 * request. Tests reach these hosts through {@code RegistryClient.Builder.withRoute}, which keeps the {@code Host}
 * header the real registry would see.
 */
package dev.multiarch.registry;
