package dev.multiarch.registry;

import java.util.Optional;
import okhttp3.Headers;

/**
 * A registry's statement of its rate limit, for the message people read after a 429. Docker Hub sends
 * {@code ratelimit-limit: 100;w=21600} and {@code ratelimit-remaining: 0;w=21600} (a count per window of seconds,
 * docker/docs content/manuals/docker-hub/usage/pulls.md); its published numbers changed several times, so the message
 * quotes the headers rather than a number of ours. A bare 429 without them is Docker Hub's separate abuse limit, or
 * another registry's.
 *
 * @param limit         requests allowed per window
 * @param windowSeconds the window, 0 when not stated
 * @param remaining     what is left in this window, -1 when not stated
 */
record RateLimit(long limit, long windowSeconds, long remaining) {
    static Optional<RateLimit> of(Headers headers) {
        String limit = headers.get("ratelimit-limit");
        if (limit == null) {
            return Optional.empty();
        }
        try {
            long[] l = parse(limit);
            String remaining = headers.get("ratelimit-remaining");
            long left = remaining == null ? -1 : parse(remaining)[0];
            return Optional.of(new RateLimit(l[0], l[1], left));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** {@code 100;w=21600} → {100, 21600}. */
    private static long[] parse(String value) {
        String[] parts = value.split(";");
        long count = Long.parseLong(parts[0].trim());
        long window = 0;
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i].trim();
            if (p.startsWith("w=")) {
                window = Long.parseLong(p.substring(2).trim());
            }
        }
        return new long[] {count, window};
    }

    /** "100 pulls per 6 h, 0 left". */
    String describe() {
        StringBuilder s = new StringBuilder().append(limit).append(" pulls");
        if (windowSeconds > 0) {
            s.append(" per ").append(window());
        }
        if (remaining >= 0) {
            s.append(", ").append(remaining).append(" left");
        }
        return s.toString();
    }

    private String window() {
        if (windowSeconds % 3600 == 0) {
            return windowSeconds / 3600 + " h";
        }
        if (windowSeconds % 60 == 0) {
            return windowSeconds / 60 + " min";
        }
        return windowSeconds + " s";
    }

    /**
     * The hint after retries ran out on a 429: names the limit when the registry stated one, and what helps.
     *
     * @param attempts how many times the request was tried
     */
    static String hint(String registry, Headers headers, int attempts) {
        String tried = "retried " + attempts + " times with backoff";
        Optional<RateLimit> limit = of(headers);
        if (limit.isPresent()) {
            String who = RegistryProfile.of(registry) == RegistryProfile.GENERIC
                    ? registry + "'s"
                    : RegistryProfile.of(registry).name() + "'s";
            return who + " pull rate limit: " + limit.get().describe() + "; " + tried
                    + "; authenticated pulls get a higher limit (docker login, --username/--password), "
                    + "or wait for the window to pass";
        }
        return registry + " is rate limiting these requests; " + tried
                + (headers.get("Retry-After") != null ? " (honouring Retry-After)" : "");
    }
}
