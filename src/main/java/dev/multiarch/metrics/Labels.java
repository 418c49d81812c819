package dev.multiarch.metrics;

import dev.multiarch.platform.InvalidPlatformException;
import dev.multiarch.platform.Platform;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Every label value a meter gets passes through here and comes out of a small closed set: known names stay, anything
 * else becomes {@code other}. Webhook headers, {@code .multiarch.yaml} platforms, runner-reported step names and
 * registry error codes are written by other people; as labels, free text would leak (a repository name in a path) and
 * grow without bound (one series per value).
 */
final class Labels {
    private Labels() {}

    static final String OTHER = "other";

    /**
     * Events a GitHub App or repository webhook may deliver to a build bot ("Webhook events and payloads"); others
     * count as {@code other}.
     */
    private static final Set<String> EVENTS = Set.of(
            "ping",
            "push",
            "pull_request",
            "check_run",
            "check_suite",
            "create",
            "delete",
            "release",
            "repository",
            "installation",
            "installation_repositories",
            "installation_target",
            "github_app_authorization",
            "meta",
            "workflow_run",
            "workflow_job",
            "status",
            "issue_comment",
            "pull_request_review",
            "member",
            "public");

    /** The step names runners report ({@code runner/JobRunner}); others count as {@code other}. */
    private static final Set<String> STEPS =
            Set.of("fetch", "checkout", "build", "export", "inspect", "audit", "push", "cleanup", "verify", "queue");

    /** OCI distribution-spec v1.1 error codes, and those our registry client makes itself. */
    private static final Set<String> REGISTRY_CODES = Set.of(
            "BLOB_UNKNOWN",
            "BLOB_UPLOAD_INVALID",
            "BLOB_UPLOAD_UNKNOWN",
            "DIGEST_INVALID",
            "MANIFEST_BLOB_UNKNOWN",
            "MANIFEST_INVALID",
            "MANIFEST_UNKNOWN",
            "MANIFEST_UNVERIFIED",
            "NAME_INVALID",
            "NAME_UNKNOWN",
            "SIZE_INVALID",
            "TAG_INVALID",
            "UNAUTHORIZED",
            "DENIED",
            "UNSUPPORTED",
            "TOOMANYREQUESTS",
            "PAGINATION_NUMBER_INVALID",
            "RANGE_INVALID",
            "TIMEOUT",
            "UNREACHABLE",
            "TLS_FAILED");

    private static final Pattern HTTP_CODE = Pattern.compile("HTTP [1-5][0-9][0-9]");

    /** Normalised {@code os/arch[/variant]} ({@code linux/arm64}); {@code invalid} for what the tables refuse. */
    static String platform(String p) {
        try {
            return platform(Platform.parse(p));
        } catch (InvalidPlatformException e) {
            return "invalid";
        }
    }

    /** As {@link #platform(String)}, for a platform already parsed (a job's). */
    static String platform(Platform p) {
        try {
            return p.validate().normalize().shortForm();
        } catch (InvalidPlatformException e) {
            return "invalid";
        }
    }

    static String event(String e) {
        return e != null && EVENTS.contains(e) ? e : OTHER;
    }

    static String step(String s) {
        return s != null && STEPS.contains(s) ? s : OTHER;
    }

    /** An HTTP status (100–599) as a number; 0 for no answer; anything else {@code other}. */
    static String status(int status) {
        return status == 0 || (status >= 100 && status <= 599) ? Integer.toString(status) : OTHER;
    }

    /** A registry's error code when it is a known one; {@code HTTP_4xx}/{@code HTTP_5xx} for bare statuses. */
    static String registryCode(String code, int httpStatus) {
        if (code == null) {
            return OTHER;
        }
        String c = code.toUpperCase(Locale.ROOT);
        if (REGISTRY_CODES.contains(c)) {
            return c;
        }
        if (HTTP_CODE.matcher(c).matches()) {
            return "HTTP_" + c.charAt(5) + "xx";
        }
        return OTHER;
    }

    static String githubClient(String c) {
        return switch (c) {
            case "app", "installation", "token" -> c;
            default -> OTHER;
        };
    }

    /**
     * The resource a GitHub API path is about, without owner, repository or ids: {@code /repos/acme/secret/check-runs}
     * is {@code check-runs}.
     */
    static String githubResource(String path) {
        if (path == null) {
            return OTHER;
        }
        String p = path;
        int q = p.indexOf('?');
        if (q >= 0) {
            p = p.substring(0, q);
        }
        // GitHub Enterprise Server serves the API under /api/v3.
        if (p.startsWith("/api/v3/")) {
            p = p.substring("/api/v3".length());
        }
        String[] s = p.split("/");
        // s[0] is "" (the path starts with '/').
        if (s.length >= 2 && s[1].equals("repos")) {
            if (s.length == 4) {
                return "repository";
            }
            if (s.length >= 5) {
                return switch (s[4]) {
                    case "contents" -> "contents";
                    case "check-runs" -> "check-runs";
                    case "check-suites" -> "check-suites";
                    case "statuses" -> "statuses";
                    case "commits" -> "commits";
                    case "git" -> "git";
                    case "pulls" -> "pulls";
                    default -> "repository-other";
                };
            }
        }
        if (p.matches("/app/installations/[0-9]+/access_tokens")) {
            return "installation-token";
        }
        if (p.equals("/user")) {
            return "user";
        }
        if (p.equals("/login/oauth/access_token")) {
            return "oauth-token";
        }
        if (p.equals("/rate_limit")) {
            return "rate-limit";
        }
        return OTHER;
    }
}
