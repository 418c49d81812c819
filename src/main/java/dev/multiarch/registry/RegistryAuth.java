package dev.multiarch.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.base.Json;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import okhttp3.Authenticator;
import okhttp3.Challenge;
import okhttp3.FormBody;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.Route;

/**
 * Registry authentication, both halves of it:
 * <ul>
 *   <li>as an okhttp {@link Authenticator}, answers a 401's {@code WWW-Authenticate} challenge from the registry's API
 *       host (never one from a host it redirected to): {@code Basic} with the registry's credentials, or {@code Bearer} by fetching a token from the challenge's realm for its service and
 *       scope (distribution "Token Authentication Specification"), with a bounded number of attempts;</li>
 *   <li>as an application {@link Interceptor}, attaches what it already knows before a request is sent (a cached
 *       token for the request's scope, fetching one when the registry's realm is known, or Basic credentials), so a
 *       warm client does not pay a 401 round trip per request.</li>
 * </ul>
 * An identity token (OAuth2 refresh token) is exchanged with {@code POST} as {@code grant_type=refresh_token}; a
 * password with {@code GET} and Basic credentials.
 */
final class RegistryAuth implements Authenticator, Interceptor {
    private static final int MAX_CHALLENGES = 2;

    private record BearerRealm(String realm, String service) {}

    private final CredentialSource credentials;
    private final TokenCache tokens;
    private final java.util.function.Function<HttpUrl, OkHttpClient> tokenClients;
    /** Tests' host routes ({@link HostRoutes}): a routed API host is answered where it is sent. Empty in production. */
    private final HostRoutes routes;
    /** What each registry asked for the last time: a Bearer realm, or Basic. */
    private final Map<String, Object> schemes = new ConcurrentHashMap<>();

    private static final Object BASIC = new Object();

    RegistryAuth(
            CredentialSource credentials,
            TokenCache tokens,
            java.util.function.Function<HttpUrl, OkHttpClient> tokenClients,
            HostRoutes routes) {
        this.credentials = credentials;
        this.tokens = tokens;
        this.tokenClients = tokenClients;
        this.routes = routes;
    }

    @Override
    public Response intercept(Chain chain) throws IOException {
        Request request = chain.request();
        AuthScope scope = request.tag(AuthScope.class);
        if (scope == null || request.header("Authorization") != null) {
            return chain.proceed(request);
        }
        Object known = schemes.get(scope.registry());
        if (known == BASIC) {
            Optional<Credentials> c = credentials.lookup(scope.registry());
            if (c.isPresent()) {
                request = request.newBuilder()
                        .header("Authorization", basic(c.get()))
                        .build();
            }
        } else if (known instanceof BearerRealm realm) {
            Optional<String> token = tokens.get(scope.key());
            if (token.isEmpty()) {
                token = Optional.of(fetchToken(scope, realm, scope.scopes()));
            }
            request = request.newBuilder()
                    .header("Authorization", "Bearer " + token.get())
                    .build();
        }
        return chain.proceed(request);
    }

    @Override
    public Request authenticate(Route route, Response response) throws IOException {
        Request request = response.request();
        AuthScope scope = request.tag(AuthScope.class);
        if (scope == null || priorCount(response) >= MAX_CHALLENGES) {
            return null;
        }
        if (!fromApiHost(request.url(), scope.registry(), routes)) {
            // A 401 from a host the registry redirected to (a CDN or object storage for a blob, or anything a registry
            // names): the registry's credentials, and tokens fetched with them, are for its API host only.
            return null;
        }
        String sent = request.header("Authorization");
        // Some registries offer both schemes in one header (Quay has sent "Basic realm=…, Bearer realm=…"); like
        // docker's client, prefer the token flow, which scopes what a leaked credential could do.
        List<Challenge> challenges = new ArrayList<>(response.challenges());
        challenges.sort(java.util.Comparator.comparing(c -> !"bearer".equalsIgnoreCase(c.scheme())));
        for (Challenge c : challenges) {
            if ("basic".equalsIgnoreCase(c.scheme())) {
                Optional<Credentials> creds = credentials.lookup(scope.registry());
                if (creds.isEmpty() || (sent != null && sent.startsWith("Basic "))) {
                    return null;
                }
                schemes.put(scope.registry(), BASIC);
                return request.newBuilder()
                        .header("Authorization", basic(creds.get()))
                        .build();
            }
            if ("bearer".equalsIgnoreCase(c.scheme())) {
                String realm = c.authParams().get("realm");
                if (realm == null) {
                    throw new RegistryAuthException(
                            "UNAUTHORIZED", "the registry's Bearer challenge has no realm to fetch a token from");
                }
                BearerRealm br = new BearerRealm(realm, c.authParams().get("service"));
                schemes.put(scope.registry(), br);
                Set<String> wanted = new LinkedHashSet<>(scope.scopes());
                String challenged = c.authParams().get("scope");
                if (challenged != null) {
                    for (String s : challenged.split(" ")) {
                        if (!s.isBlank()) {
                            wanted.add(s);
                        }
                    }
                }
                AuthScope widened = new AuthScope(scope.registry(), new ArrayList<>(wanted));
                if (sent != null && sent.startsWith("Bearer ")) {
                    // A token we sent was refused: drop it and try once more with the challenged scope.
                    tokens.invalidate(scope.key());
                    tokens.invalidate(widened.key());
                }
                String token = fetchToken(widened, br, widened.scopes());
                return request.newBuilder()
                        .header("Authorization", "Bearer " + token)
                        .build();
            }
        }
        return null;
    }

    private String fetchToken(AuthScope cacheScope, BearerRealm realm, List<String> scopes) throws IOException {
        Optional<String> cached = tokens.get(cacheScope.key());
        if (cached.isPresent()) {
            return cached.get();
        }
        HttpUrl url = HttpUrl.parse(realm.realm());
        if (url == null) {
            throw new RegistryAuthException("UNAUTHORIZED", "the token realm '" + realm.realm() + "' is not a URL");
        }
        Optional<Credentials> creds = credentials.lookup(cacheScope.registry());
        Request.Builder req;
        if (creds.isPresent() && creds.get().hasIdentityToken()) {
            FormBody.Builder form = new FormBody.Builder()
                    .add("grant_type", "refresh_token")
                    .add("refresh_token", creds.get().identityToken())
                    .add("client_id", "multiarch");
            if (realm.service() != null) {
                form.add("service", realm.service());
            }
            form.add("scope", String.join(" ", scopes));
            req = new Request.Builder().url(url).post(form.build());
        } else {
            HttpUrl.Builder u = url.newBuilder();
            if (realm.service() != null) {
                u.addQueryParameter("service", realm.service());
            }
            for (String s : scopes) {
                u.addQueryParameter("scope", s);
            }
            req = new Request.Builder().url(u.build()).get();
            if (creds.isPresent()) {
                req.header("Authorization", basic(creds.get()));
            }
        }
        try (Response r = tokenClients.apply(url).newCall(req.build()).execute()) {
            if (r.code() == 401 || r.code() == 403) {
                throw new RegistryAuthException(
                        "UNAUTHORIZED",
                        "the token server " + url.host() + " refused "
                                + (creds.isPresent()
                                        ? "the credentials of user '"
                                                + creds.get().username() + "'"
                                        : "anonymous access")
                                + " (HTTP " + r.code() + ")");
            }
            if (!r.isSuccessful()) {
                throw new RegistryAuthException(
                        "TOKEN_FAILED", "the token server " + url.host() + " answered HTTP " + r.code());
            }
            JsonNode n = Json.parse(r.body().bytes());
            String token = n.path("token").asText(n.path("access_token").asText(""));
            if (token.isEmpty()) {
                throw new RegistryAuthException("TOKEN_FAILED", "the token server " + url.host() + " sent no token");
            }
            tokens.put(cacheScope.key(), token, n.path("expires_in").asLong(0));
            return token;
        }
    }

    /**
     * Whether {@code url} is on the registry's API host ({@link RegistryProfile#apiHost}: Docker Hub's is
     * registry-1.docker.io): the host, ignoring case, and the port when the registry names one.
     */
    static boolean fromApiHost(HttpUrl url, String registry, HostRoutes routes) {
        String api = RegistryProfile.of(registry).apiHost(registry);
        HttpUrl named = HttpUrl.parse("https://" + api + "/");
        if (named == null) {
            return false;
        }
        HttpUrl expected = routes.routed(named);
        if (!url.host().equalsIgnoreCase(expected.host())) {
            return false;
        }
        boolean portMatters = expected != named || api.matches(".*:[0-9]+");
        return !portMatters || url.port() == expected.port();
    }

    static String basic(Credentials c) {
        return okhttp3.Credentials.basic(c.username(), c.password(), java.nio.charset.StandardCharsets.UTF_8);
    }

    private static int priorCount(Response response) {
        int n = 0;
        for (Response p = response.priorResponse(); p != null; p = p.priorResponse()) {
            n++;
        }
        return n;
    }
}
