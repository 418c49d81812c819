package dev.multiarch.dispatch;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The runner API's messages (JSON over HTTP). Paths, all under the coordinator's URL:
 * <pre>
 * POST /api/runners/register      Register      → Registered          (registration secret)
 * POST /api/runners/poll          Poll | empty  → Assignment | 204    (runner token; long-poll)
 * POST /api/jobs/{id}/heartbeat   Heartbeat     → HeartbeatReply      (runner token)
 * POST /api/jobs/{id}/log         text/plain    → 204                 (runner token; ?attempt=N)
 * POST /api/jobs/{id}/complete    Complete      → 204                 (runner token)
 * </pre>
 */
public final class Protocol {
    private Protocol() {}

    /**
     * @param untrustedJobs the runner takes jobs of untrusted sources (pull requests from forks) and nothing else;
     *                      false (also when an older runner leaves it out): trusted jobs only
     */
    public record Register(
            String name,
            String secret,
            List<String> nativePlatforms,
            List<String> qemuPlatforms,
            boolean untrustedJobs) {
        @Override
        public String toString() {
            return "Register[" + name + ", native " + nativePlatforms + ", qemu " + qemuPlatforms
                    + (untrustedJobs ? ", untrusted jobs only" : "") + "]";
        }
    }

    /**
     * What a runner says when it asks for a job. An empty body (older runners) says nothing; a missing field, none.
     *
     * @param commits     commits its source cache holds, most recently used first, at most {@link #MAX_COMMITS}: the
     *                    dispatcher prefers it for their jobs (no fetch); a hint, never a promise
     * @param cacheScopes the layer cache scopes it holds ({@link #cacheScope}), most recently used first, at most
     *                    {@link #MAX_CACHE_SCOPES}: the dispatcher prefers it for their jobs (buildah finds the steps
     *                    of the last build on disk); a hint, never a promise. Null from runners that predate it
     */
    public record Poll(List<String> commits, List<String> cacheScopes) {
        public static final int MAX_COMMITS = 64;
        public static final int MAX_CACHE_SCOPES = 64;

        public Poll {
            commits = commits == null ? List.of() : commits;
            cacheScopes = cacheScopes == null ? List.of() : cacheScopes;
        }
    }

    /**
     * The name of the layer cache scope of one repository's builds of an image for a platform: the first 24 hex digits
     * of SHA-256 of the repository (lower case), the image and the platform, a line each. The runner names the
     * directory of the scope's storage so, and reports the names it holds in its {@link Poll}; the coordinator computes
     * the name of a job's scope from what it assigns ({@link Assignment#repo}, {@link Assignment#image},
     * {@link Assignment#platform}). A hash, so a poll says nothing the coordinator does not know, and a name is a safe
     * directory name whatever the repository is called.
     */
    public static String cacheScope(String repository, String image, String platform) {
        try {
            byte[] h = java.security.MessageDigest.getInstance("SHA-256")
                    .digest((repository.toLowerCase(java.util.Locale.ROOT) + "\n" + image + "\n" + platform)
                            .getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(h).substring(0, CACHE_SCOPE_DIGITS);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** How long a {@link #cacheScope} name is: hex digits. */
    public static final int CACHE_SCOPE_DIGITS = 24;

    public record Registered(String runnerId, String token) {
        @Override
        public String toString() {
            return "Registered[" + runnerId + "]";
        }
    }

    /**
     * Credentials to push one platform's image; absent for a job that must not publish (an untrusted pull request).
     * The runner uses these and nothing else (never its own Docker login), for {@code registry} only.
     *
     * @param identityToken an OAuth2 refresh token instead of a password (docker's {@code identitytoken}); or null
     */
    public record PushCredentials(
            String registry, boolean insecure, String username, String password, String identityToken) {
        @Override
        public String toString() {
            return "PushCredentials[" + registry + (username == null ? "" : ", user " + username) + "]";
        }
    }

    /**
     * The registry layer cache of one job: buildah reads it ({@code --cache-from}) and, when {@code write}, writes it
     * ({@code --cache-to}) with the job's push credentials. Never {@code write} for an untrusted job (a fork's pull
     * request could otherwise poison the layers later releases are built from), which reads it without credentials.
     *
     * @param repository the platform's cache repository, without tag (buildah tags it with its cache keys)
     * @param insecure   the registry is reached over plain HTTP or unverified TLS
     */
    public record LayerCache(String repository, boolean insecure, boolean write) {}

    /**
     * One platform's job.
     *
     * @param image      repository to push to, without tag
     * @param format     manifest format to push: {@code oci} or {@code docker}
     * @param push       null: build and check only, push nothing
     * @param sourceAuth an HTTP Authorization header value for fetching the source (a GitHub installation token for
     *                   a private repository); null for none — always null for untrusted sources
     * @param heartbeatSeconds how often to send a heartbeat; the lease lasts about three of them
     * @param untrusted  the source is untrusted (a fork's pull request): only a runner with {@code untrusted-jobs}
     *                   gets it, with no {@code push} and no {@code sourceAuth}, and builds it in a fresh storage
     * @param annotations {@code org.opencontainers.image.*} and the repository's own annotations, to write as labels
     *                   and (OCI format) manifest annotations; the runner adds {@code created} (the commit's time).
     *                   Empty from a coordinator that predates them
     * @param cache      the registry layer cache; null for none (off, or a coordinator that predates it)
     * @param repo       the repository the build is of ({@code owner/name}, lower case): the tenant, which the runner's
     *                   layer cache keeps apart from every other; null from a coordinator that predates it
     */
    public record Assignment(
            long jobId,
            long buildId,
            int attempt,
            String platform,
            String cloneUrl,
            String commit,
            String dockerfile,
            String context,
            Map<String, String> buildArgs,
            String image,
            String format,
            PushCredentials push,
            String sourceAuth,
            long timeoutSeconds,
            long heartbeatSeconds,
            boolean untrusted,
            Map<String, String> annotations,
            LayerCache cache,
            String repo) {
        public Assignment {
            annotations = annotations == null ? Map.of() : annotations;
        }

        @Override
        public String toString() {
            return "Assignment[job " + jobId + " attempt " + attempt + " " + platform + " " + image + ", push "
                    + (push != null) + ", source credentials " + (sourceAuth != null)
                    + (untrusted ? ", untrusted" : "")
                    + (cache == null ? "" : ", cache " + cache.repository() + (cache.write() ? " (write)" : "")) + "]";
        }

        public static Builder builder() {
            return new Builder();
        }

        /** Named fields instead of nineteen positional ones: {@code platform}, {@code cloneUrl}, {@code commit}, {@code image} and {@code format} are required. */
        public static final class Builder {
            private long jobId;
            private long buildId;
            private int attempt;
            private String platform;
            private String cloneUrl;
            private String commit;
            private String dockerfile;
            private String context;
            private Map<String, String> buildArgs = Map.of();
            private String image;
            private String format;
            private PushCredentials push;
            private String sourceAuth;
            private long timeoutSeconds;
            private long heartbeatSeconds;
            private boolean untrusted;
            private Map<String, String> annotations = Map.of();
            private LayerCache cache;
            private String repo;

            private Builder() {}

            public Builder jobId(long v) {
                jobId = v;
                return this;
            }

            public Builder buildId(long v) {
                buildId = v;
                return this;
            }

            public Builder attempt(int v) {
                attempt = v;
                return this;
            }

            public Builder platform(String v) {
                platform = v;
                return this;
            }

            public Builder cloneUrl(String v) {
                cloneUrl = v;
                return this;
            }

            public Builder commit(String v) {
                commit = v;
                return this;
            }

            public Builder dockerfile(String v) {
                dockerfile = v;
                return this;
            }

            public Builder context(String v) {
                context = v;
                return this;
            }

            public Builder buildArgs(Map<String, String> v) {
                buildArgs = v;
                return this;
            }

            public Builder image(String v) {
                image = v;
                return this;
            }

            public Builder format(String v) {
                format = v;
                return this;
            }

            public Builder push(PushCredentials v) {
                push = v;
                return this;
            }

            public Builder sourceAuth(String v) {
                sourceAuth = v;
                return this;
            }

            public Builder timeoutSeconds(long v) {
                timeoutSeconds = v;
                return this;
            }

            public Builder heartbeatSeconds(long v) {
                heartbeatSeconds = v;
                return this;
            }

            public Builder untrusted(boolean v) {
                untrusted = v;
                return this;
            }

            public Builder annotations(Map<String, String> v) {
                annotations = v;
                return this;
            }

            public Builder cache(LayerCache v) {
                cache = v;
                return this;
            }

            public Builder repo(String v) {
                repo = v;
                return this;
            }

            public Assignment build() {
                Objects.requireNonNull(platform, "Assignment: platform is required");
                Objects.requireNonNull(cloneUrl, "Assignment: cloneUrl is required");
                Objects.requireNonNull(commit, "Assignment: commit is required");
                Objects.requireNonNull(image, "Assignment: image is required");
                Objects.requireNonNull(format, "Assignment: format is required");
                return new Assignment(
                        jobId,
                        buildId,
                        attempt,
                        platform,
                        cloneUrl,
                        commit,
                        dockerfile,
                        context,
                        buildArgs,
                        image,
                        format,
                        push,
                        sourceAuth,
                        timeoutSeconds,
                        heartbeatSeconds,
                        untrusted,
                        annotations,
                        cache,
                        repo);
            }
        }
    }

    public record Heartbeat(int attempt) {}

    /** {@code keep = false}: the job is no longer this runner's (lease lost, build cancelled): stop it. */
    public record HeartbeatReply(boolean keep, String reason) {}

    /**
     * A job's end: a digest, or an error. {@code addedLayers}: layers the build put on top of its base image.
     *
     * @param timings where the job's time went on the runner: step ({@code fetch}, {@code checkout}, {@code build},
     *                {@code export}, {@code audit}, {@code push}…) → milliseconds, in the order the steps ran; null
     *                from runners older than this field (their results are read as before)
     */
    public record Complete(
            int attempt,
            String digest,
            String mediaType,
            long size,
            int addedLayers,
            String error,
            Map<String, Long> timings) {}
}
