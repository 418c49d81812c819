package dev.multiarch.github;

import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.base.Json;
import dev.multiarch.web.SignIn;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import okhttp3.FormBody;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Signing in with GitHub as the App's user authorization ("Generating a user access token for a GitHub App", web
 * application flow): the browser goes to {@code {web-url}/login/oauth/authorize}, the code it brings back is traded at
 * {@code {web-url}/login/oauth/access_token} for a user token ({@code ghu_…}, eight hours), and {@code GET /user}
 * says whose it is.
 *
 * <p>Whether someone may read a repository is {@code GET /repos/{owner}/{repo}} with their token: a user token reaches
 * only what both the person and the App can, so it answers 200 when they can read it (and the App is installed
 * there), 404 otherwise; 401 once the token is revoked or expired. GitHub answers an OAuth error with 200 and an
 * {@code error} field ({@code bad_verification_code}, {@code incorrect_client_credentials},
 * {@code redirect_uri_mismatch}). No token, code or client secret appears in a message or a log line.
 */
final class GitHubSignIn implements SignIn {
    /** A user token without {@code expires_in} (the App opted out of expiry) still ends its session after this. */
    private static final Duration DEFAULT_LIFETIME = Duration.ofHours(8);

    private final GitHubConfig config;
    private final Clock clock;
    private final OkHttpClient http;

    GitHubSignIn(GitHubConfig config, Clock clock) {
        this(config, clock, new GitHubCalls(clock));
    }

    /** @param calls counts the calls made with people's tokens (their rate limits are theirs: not kept) */
    GitHubSignIn(GitHubConfig config, Clock clock, GitHubCalls calls) {
        if (!config.canSignIn()) {
            throw new IllegalArgumentException("github.client-id and github.client-secret are not configured");
        }
        this.config = config;
        this.clock = clock;
        this.http = new OkHttpClient.Builder()
                .callTimeout(Duration.ofSeconds(10))
                .addInterceptor(calls.interceptor(null))
                .build();
    }

    @Override
    public String authorizeUrl(String state, String redirectUri) {
        return HttpUrl.get(config.webUrl() + "/login/oauth/authorize")
                .newBuilder()
                .addQueryParameter("client_id", config.clientId())
                .addQueryParameter("redirect_uri", redirectUri)
                .addQueryParameter("state", state)
                .build()
                .toString();
    }

    @Override
    public Person exchange(String code, String redirectUri) throws IOException, Refused {
        Request req = new Request.Builder()
                .url(config.webUrl() + "/login/oauth/access_token")
                .header("Accept", "application/json")
                .post(new FormBody.Builder()
                        .add("client_id", config.clientId())
                        .add("client_secret", config.clientSecret())
                        .add("code", code)
                        .add("redirect_uri", redirectUri)
                        .build())
                .build();
        String token;
        Instant expires;
        Instant now = clock.instant();
        try (Response r = http.newCall(req).execute()) {
            String body = r.body().string();
            if (r.code() != 200) {
                throw new IOException("POST /login/oauth/access_token: HTTP " + r.code());
            }
            JsonNode n = readJson(body, "POST /login/oauth/access_token");
            if (n.hasNonNull("error")) {
                throw new Refused(n.path("error").asText().replaceAll("[^a-z_]", "")
                        + (n.hasNonNull("error_description")
                                ? " (" + n.path("error_description").asText() + ")"
                                : ""));
            }
            token = n.path("access_token").asText("");
            if (token.isEmpty()) {
                throw new IOException("POST /login/oauth/access_token: no access_token in GitHub's answer");
            }
            long seconds = n.path("expires_in").asLong(0);
            expires = now.plus(seconds > 0 ? Duration.ofSeconds(seconds) : DEFAULT_LIFETIME);
        }
        try (Response r = http.newCall(api("/user", token)).execute()) {
            String body = r.body().string();
            if (r.code() != 200) {
                throw new IOException(
                        "GET /user with the new token: HTTP " + r.code() + " " + GitHubAccess.message(body));
            }
            String login = readJson(body, "GET /user").path("login").asText("");
            if (login.isEmpty()) {
                throw new IOException("GET /user: no login in GitHub's answer");
            }
            return new Person(login, token, expires);
        }
    }

    @Override
    public boolean canRead(Person person, String repo) throws IOException, Expired {
        // Only a repository name goes into the path: an API trigger's display name may be anything.
        if (!repo.matches("[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+") || repo.contains("..")) {
            return false;
        }
        try (Response r = http.newCall(api("/repos/" + repo, person.token())).execute()) {
            int status = r.code();
            if (status == 200) {
                return true;
            }
            if (status == 401) {
                throw new Expired("GitHub no longer accepts " + person.login() + "'s token (HTTP 401)");
            }
            boolean limited = status == 429 || "0".equals(r.header("X-RateLimit-Remaining"));
            if (status == 404 || (status == 403 && !limited)) {
                // 403 without a rate limit: an organisation's SAML enforcement or IP allow list keeps this token out.
                return false;
            }
            throw new IOException("GET /repos/" + repo + " as " + person.login() + ": HTTP " + status + " "
                    + GitHubAccess.message(r.body().string()));
        }
    }

    private Request api(String path, String token) {
        return new Request.Builder()
                .url(config.apiUrl() + path)
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/vnd.github+json")
                .header("X-GitHub-Api-Version", "2022-11-28")
                .build();
    }

    private static JsonNode readJson(String body, String what) throws IOException {
        try {
            return Json.MAPPER.readTree(body);
        } catch (IOException e) {
            throw new IOException(what + ": GitHub's answer is not JSON");
        }
    }

    void close() {
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
    }
}
