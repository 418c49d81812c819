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
    private final GitHubCalls calls;
    private final OkHttpClient http;
    private final Map<Long, Token> tokens = new ConcurrentHashMap<>();
    /** Tokens for one repository's contents, read-only (what a runner's git fetch gets), by installation:repo. */
    private final Map<String, Token> repositoryTokens = new ConcurrentHashMap<>();
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

        /**
         * GitHub has no such installation of this App (404 when minting its token): uninstalled since, or a delivery
         * meant for another App. Asking again cannot help.
         */
        boolean noSuchInstallation() {
            return status == 404;
        }
    }

    public GitHubAccess(GitHubConfig config, Clock clock) {
        this(config, clock, new GitHubCalls(clock));
    }

    /** @param calls counts every call this makes (the coordinator's metrics) */
    GitHubAccess(GitHubConfig config, Clock clock, GitHubCalls calls) {
        this.config = config;
        this.clock = clock;
        this.calls = calls;
        this.http = new OkHttpClient.Builder()
                .callTimeout(Duration.ofSeconds(30))
                .addInterceptor(calls.interceptor("app"))
                .build();
        this.jwt = config.isApp() ? AppJwt.fromPemFile(config.appId(), config.privateKeyFile()) : null;
    }

    /** Where runners fetch a repository ({@code github.web-url}), never a URL a webhook payload carries. */
    public String cloneUrl(String fullName) {
        return config.cloneUrl(fullName);
    }

    public boolean isApp() {
        return config.isApp();
    }

    /** The GitHub App's id (App mode), or null with a token. */
    public String appId() {
        return config.appId();
    }

    /**
     * An installation token, minted with the app's JWT ({@code POST /app/installations/{id}/access_tokens}) and
     * cached until five minutes before it expires (they last an hour).
     */
    String installationToken(long installationId) throws IOException {
        Token t = tokens.get(installationId);
        if (t != null && clock.instant().isBefore(t.expires.minus(REFRESH_BEFORE))) {
            return t.value;
        }
        Token fresh = mint(installationId, new byte[0], "installation " + installationId);
        tokens.put(installationId, fresh);
        return fresh.value;
    }

    /**
     * A token that can only read one repository's contents: GitHub's {@code repositories} and {@code permissions}
     * parameters of the same endpoint ("Create an installation access token for an app"). This, never the
     * installation's own token, is what leaves the coordinator for a runner.
     */
    String repositoryToken(long installationId, String fullName) throws IOException {
        String key = installationId + ":" + fullName.toLowerCase(java.util.Locale.ROOT);
        Token t = repositoryTokens.get(key);
        if (t != null && clock.instant().isBefore(t.expires.minus(REFRESH_BEFORE))) {
            return t.value;
        }
        String name = fullName.substring(fullName.indexOf('/') + 1);
        com.fasterxml.jackson.databind.node.ObjectNode body = Json.MAPPER.createObjectNode();
        body.putArray("repositories").add(name);
        body.putObject("permissions").put("contents", "read");
        Token fresh = mint(installationId, Json.write(body), fullName + " (contents: read)");
        repositoryTokens.put(key, fresh);
        return fresh.value;
    }

    private Token mint(long installationId, byte[] body, String what) throws IOException {
        Instant now = clock.instant();
        Request req = new Request.Builder()
                .url(config.apiUrl() + "/app/installations/" + installationId + "/access_tokens")
                .header("Authorization", "Bearer " + jwt.token(now))
                .header("Accept", "application/vnd.github+json")
                .header("X-GitHub-Api-Version", "2022-11-28")
                .post(RequestBody.create(body, MediaType.get("application/json")))
                .build();
        try (Response r = http.newCall(req).execute()) {
            String answer = r.body().string();
            if (r.code() != 201) {
                throw new ApiError(
                        "minting a token for " + what + ": HTTP " + r.code() + " " + message(answer),
                        r.code(),
                        RetryTimes.from(
                                r.code(),
                                r.header("Retry-After"),
                                r.header("X-RateLimit-Remaining"),
                                r.header("X-RateLimit-Reset"),
                                clock));
            }
            JsonNode n = Json.MAPPER.readTree(answer);
            return new Token(
                    n.path("token").asText(), Instant.parse(n.path("expires_at").asText()));
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
                                    build(
                                            "token",
                                            "token",
                                            b -> b.withAuthorizationProvider(
                                                    ImmutableAuthorizationProvider.fromAppInstallationToken(
                                                            config.token())))))
                    .github();
        }
        String token = installationToken(installationId);
        return clients.compute(
                        installationId,
                        (k, c) -> c != null && c.token().equals(token)
                                ? c
                                : new Client(
                                        token,
                                        build(
                                                "installation",
                                                Long.toString(installationId),
                                                b -> b.withAppInstallationToken(token))))
                .github();
    }

    /** How many github-api clients are kept: one per installation at most, however often tokens are refreshed. */
    int clientCount() {
        return clients.size();
    }

    private GitHub build(String client, String identity, java.util.function.UnaryOperator<GitHubBuilder> auth) {
        try {
            return auth.apply(new GitHubBuilder()
                            .withEndpoint(config.apiUrl())
                            .withConnector(calls.connector(client, identity))
                            .withRateLimitHandler(GitHubRateLimitHandler.FAIL)
                            .withAbuseLimitHandler(GitHubAbuseLimitHandler.FAIL))
                    .build();
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a GitHub client: " + e.getMessage(), e);
        }
    }

    /**
     * The Authorization header git over HTTPS takes to fetch one repository: Basic {@code x-access-token:<token>} with
     * a token that reads only that repository's contents and expires within the hour. Empty in token mode: the
     * configured token is long-lived and reaches every repository its owner can, so it never leaves the coordinator
     * (runners then fetch public repositories only; private ones need the App).
     */
    Optional<String> gitAuthorization(long installationId, String fullName) throws IOException {
        if (!config.isApp()) {
            return Optional.empty();
        }
        String t = repositoryToken(installationId, fullName);
        return Optional.of("Basic "
                + java.util.Base64.getEncoder()
                        .encodeToString(("x-access-token:" + t).getBytes(StandardCharsets.UTF_8)));
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
