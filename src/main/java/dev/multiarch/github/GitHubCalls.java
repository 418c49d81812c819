package dev.multiarch.github;

import dev.multiarch.metrics.Metrics;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;
import org.kohsuke.github.connector.GitHubConnector;
import org.kohsuke.github.connector.GitHubConnectorRequest;
import org.kohsuke.github.connector.GitHubConnectorResponse;

/**
 * Counts every call to GitHub's API, whichever client makes it (github-api's for contents and checks, okhttp's for
 * minting tokens and signing people in), and remembers the rate limit each answer reports. Until the coordinator's
 * metrics are known ({@link #reportTo}) nothing is counted.
 */
final class GitHubCalls {
    private final Clock clock;
    private volatile Metrics metrics;

    GitHubCalls(Clock clock) {
        this.clock = clock;
    }

    void reportTo(Metrics m) {
        this.metrics = m;
    }

    /**
     * An okhttp interceptor counting calls.
     *
     * @param client whose rate limit the answers report ({@code app}: the App's JWT); null for people's own tokens,
     *               whose limits are theirs, not the coordinator's
     */
    Interceptor interceptor(String client) {
        return chain -> {
            Request req = chain.request();
            Response r;
            try {
                r = chain.proceed(req);
            } catch (IOException e) {
                seen(client, client, req.url().encodedPath(), 0, null, null);
                throw e;
            }
            seen(
                    client,
                    client,
                    req.url().encodedPath(),
                    r.code(),
                    r.header("X-RateLimit-Remaining"),
                    r.header("X-RateLimit-Reset"));
            return r;
        };
    }

    /**
     * github-api's own connector, counting calls.
     *
     * @param client   {@code installation} or {@code token}
     * @param identity which installation (never a label: rate limits are kept per identity in memory)
     */
    GitHubConnector connector(String client, String identity) {
        GitHubConnector inner = GitHubConnector.DEFAULT;
        return new GitHubConnector() {
            @Override
            public GitHubConnectorResponse send(GitHubConnectorRequest req) throws IOException {
                GitHubConnectorResponse r;
                try {
                    r = inner.send(req);
                } catch (IOException e) {
                    seen(client, identity, req.url().getPath(), 0, null, null);
                    throw e;
                }
                seen(
                        client,
                        identity,
                        req.url().getPath(),
                        r.statusCode(),
                        r.header("X-RateLimit-Remaining"),
                        r.header("X-RateLimit-Reset"));
                return r;
            }
        };
    }

    private void seen(String client, String identity, String path, int status, String remaining, String reset) {
        Metrics m = metrics;
        if (m == null) {
            return;
        }
        m.githubCall(path, status);
        if (client == null || remaining == null) {
            return;
        }
        try {
            long left = Long.parseLong(remaining.trim());
            Instant at = reset == null
                    ? clock.instant().plus(Duration.ofHours(1))
                    : Instant.ofEpochSecond(Long.parseLong(reset.trim()));
            m.githubRateLimit(client, identity, left, at);
        } catch (NumberFormatException ignored) {
            // Not GitHub's format: nothing to remember.
        }
    }
}
