package dev.multiarch.dispatch;

import java.util.List;
import java.util.Map;

/**
 * The runner API's messages (JSON over HTTP). Paths, all under the coordinator's URL:
 * <pre>
 * POST /api/runners/register      Register      → Registered          (registration secret)
 * POST /api/runners/poll          Poll          → Assignment | 204    (runner token; long-poll)
 * POST /api/jobs/{id}/heartbeat   Heartbeat     → HeartbeatReply      (runner token)
 * POST /api/jobs/{id}/log         text/plain    → 204                 (runner token; ?attempt=N)
 * POST /api/jobs/{id}/complete    Complete      → 204                 (runner token)
 * </pre>
 */
public final class Protocol {
    private Protocol() {}

    public record Register(String name, String secret, List<String> nativePlatforms, List<String> qemuPlatforms) {
        @Override
        public String toString() {
            return "Register[" + name + ", native " + nativePlatforms + ", qemu " + qemuPlatforms + "]";
        }
    }

    public record Registered(String runnerId, String token) {
        @Override
        public String toString() {
            return "Registered[" + runnerId + "]";
        }
    }

    /** Credentials to push one platform's image; absent for a job that must not publish (an untrusted pull request). */
    public record PushCredentials(String registry, boolean insecure, String username, String password) {
        @Override
        public String toString() {
            return "PushCredentials[" + registry + (username == null ? "" : ", user " + username) + "]";
        }
    }

    /**
     * One platform's job.
     *
     * @param image      repository to push to, without tag
     * @param format     manifest format to push: {@code oci} or {@code docker}
     * @param push       null: build and check only, push nothing
     * @param sourceAuth an HTTP Authorization header value for fetching the source (a GitHub installation token for
     *                   a private repository); null for none — always null for untrusted sources
     * @param heartbeatSeconds how often to send a heartbeat; the lease lasts about three of them
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
            long heartbeatSeconds) {
        @Override
        public String toString() {
            return "Assignment[job " + jobId + " attempt " + attempt + " " + platform + " " + image + ", push "
                    + (push != null) + ", source credentials " + (sourceAuth != null) + "]";
        }
    }

    public record Heartbeat(int attempt) {}

    /** {@code keep = false}: the job is no longer this runner's (lease lost, build cancelled): stop it. */
    public record HeartbeatReply(boolean keep, String reason) {}

    /** A job's end: a digest, or an error. {@code addedLayers}: layers the build put on top of its base image. */
    public record Complete(int attempt, String digest, String mediaType, long size, int addedLayers, String error) {}
}
