package dev.multiarch.github;

import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.base.Json;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.kohsuke.github.GHContent;
import org.kohsuke.github.GitHub;
import org.kohsuke.github.GitHubAbuseLimitHandler;
import org.kohsuke.github.GitHubBuilder;
import org.kohsuke.github.GitHubRateLimitHandler;
import org.kohsuke.github.authorization.ImmutableAuthorizationProvider;

/**
 * GitHub API clients, one per installation (App) or one for the token. Rate limits are never waited out inside
 * github-api (its default would block the thread): they fail fast, and the caller decides when to try again.
 */
public final class GitHubAccess {
    private static final Duration REFRESH_BEFORE = Duration.ofMinutes(5);

    private final GitHubConfig config;
    private final AppJwt jwt;
    private final Clock clock;
    private final OkHttpClient http =
            new OkHttpClient.Builder().callTimeout(Duration.ofSeconds(30)).build();
    private final Map<Long, Token> tokens = new ConcurrentHashMap<>();
    /** One client per installation, made with the token it was made for; a refreshed token replaces it. */
    private final Map<Long, Client> clients = new ConcurrentHashMap<>();

    private record Token(String value, Instant expires) {
        @Override
        public String toString() {
            return "Token[<redacted>, expires " + expires + "]";
        }
    }

    private record Client(String token, GitHub github) {
        @Override
        public String toString() {
            return "Client[token <redacted>]";
        }
    }

    /** The key of the one client when authenticating with a token (GitHub's installation ids start at 1). */
    private static final long TOKEN = 0;

    /** GitHub answered with an error; {@code retryAt} says when to try again for rate limits and 5xx. */
    public static final class ApiError extends IOException {
        private static final long serialVersionUID = 1L;

        final int status;
        final Instant retryAt;

        ApiError(String message, int status, Instant retryAt) {
            super(message);
            this.status = status;
            this.retryAt = retryAt;
        }
    }

    public GitHubAccess(GitHubConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
        this.jwt = config.isApp() ? AppJwt.fromPemFile(config.appId(), config.privateKeyFile()) : null;
    }

    public boolean isApp() {
        return config.isApp();
    }

    /**
     * An installation token, minted with the app's JWT ({@code POST /app/installations/{id}/access_tokens}) and
     * cached until five minutes before it expires (they last an hour).
     */
    String installationToken(long installationId) throws IOException {
        Token t = tokens.get(installationId);
        Instant now = clock.instant();
        if (t != null && now.isBefore(t.expires.minus(REFRESH_BEFORE))) {
            return t.value;
        }
        Request req = new Request.Builder()
                .url(config.apiUrl() + "/app/installations/" + installationId + "/access_tokens")
                .header("Authorization", "Bearer " + jwt.token(now))
                .header("Accept", "application/vnd.github+json")
                .header("X-GitHub-Api-Version", "2022-11-28")
                .post(RequestBody.create(new byte[0], MediaType.get("application/json")))
                .build();
        try (Response r = http.newCall(req).execute()) {
            String body = r.body().string();
            if (r.code() != 201) {
                throw new ApiError(
                        "minting an installation token for installation " + installationId + ": HTTP " + r.code() + " "
                                + message(body),
                        r.code(),
                        RetryTimes.from(
                                r.code(),
                                r.header("Retry-After"),
                                r.header("X-RateLimit-Remaining"),
                                r.header("X-RateLimit-Reset"),
                                clock.instant()));
            }
            JsonNode n = Json.MAPPER.readTree(body);
            Token fresh = new Token(
                    n.path("token").asText(), Instant.parse(n.path("expires_at").asText()));
            tokens.put(installationId, fresh);
            return fresh.value;
        }
    }

    /** A github-api client for an installation (App) or for the token. */
    public GitHub client(long installationId) throws IOException {
        if (!config.isApp()) {
            // The token goes out as "Authorization: token …", without github-api's GET /user login lookup that
            // withOAuthToken does (an extra call the bot never needs, which fine-grained tokens may not allow).
            return clients.computeIfAbsent(
                            TOKEN,
                            k -> new Client(
                                    config.token(),
                                    build(b -> b.withAuthorizationProvider(
                                            ImmutableAuthorizationProvider.fromAppInstallationToken(config.token())))))
                    .github();
        }
        String token = installationToken(installationId);
        return clients.compute(
                        installationId,
                        (k, c) -> c != null && c.token().equals(token)
                                ? c
                                : new Client(token, build(b -> b.withAppInstallationToken(token))))
                .github();
    }

    /** How many github-api clients are kept: one per installation at most, however often tokens are refreshed. */
    int clientCount() {
        return clients.size();
    }

    private GitHub build(java.util.function.UnaryOperator<GitHubBuilder> auth) {
        try {
            return auth.apply(new GitHubBuilder()
                            .withEndpoint(config.apiUrl())
                            .withRateLimitHandler(GitHubRateLimitHandler.FAIL)
                            .withAbuseLimitHandler(GitHubAbuseLimitHandler.FAIL))
                    .build();
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a GitHub client: " + e.getMessage(), e);
        }
    }

    /**
     * The Authorization header git over HTTPS takes for the repository's contents: Basic {@code x-access-token:<token>}
     * with an installation token (read-only contents, an hour) or the configured token.
     */
    String gitAuthorization(long installationId) throws IOException {
        String t = config.isApp() ? installationToken(installationId) : config.token();
        return "Basic "
                + java.util.Base64.getEncoder()
                        .encodeToString(("x-access-token:" + t).getBytes(StandardCharsets.UTF_8));
    }

    /** A file's text at a ref (a commit sha or a branch), or empty when the repository has no such file there. */
    public Optional<String> readFile(long installationId, String fullName, String path, String ref) throws IOException {
        try {
            GHContent c = client(installationId).getRepository(fullName).getFileContent(path, ref);
            try (InputStream in = c.read()) {
                return Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        } catch (FileNotFoundException e) {
            return Optional.empty();
        }
    }

    static String message(String body) {
        try {
            return Json.MAPPER.readTree(body).path("message").asText(body);
        } catch (IOException e) {
            return body.length() > 200 ? body.substring(0, 200) : body;
        }
    }

    public void close() {
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
    }
}
