package dev.multiarch.testing;

import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The GitHub stand-in's sign-in side, GitHub's web application flow for a GitHub App's user authorization, at the web
 * URL: {@code GET /login/oauth/authorize} approves at once as the person a test chose (as if they were signed in to
 * GitHub and had authorized the App before) and sends the browser back with a code; {@code POST
 * /login/oauth/access_token} trades a code, once, for a user token ({@code ghu_…}, eight hours). Whatever GitHub
 * would refuse is answered as GitHub answers it (OAuth errors are a 200 with an {@code error} field) and, when it is
 * our client's mistake rather than an attack a test plays, recorded as a violation.
 */
final class StandInOAuth {
    /** The App's OAuth client as registered with GitHub: its id, secret and callback URL. */
    record Client(String id, String secret, String callback) {}

    /** What the stand-in answers: status, headers, a JSON body. */
    record Answer(int status, Map<String, String> headers, Object body) {}

    private record Code(String login, String clientId, String redirectUri, Instant expires) {}

    private record UserToken(String login, Instant expires) {}

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Consumer<String> violations;
    private volatile Client client;
    private volatile String signedInAs;
    private final Map<String, Code> codes = new ConcurrentHashMap<>();
    private final Map<String, UserToken> tokens = new ConcurrentHashMap<>();
    private final Set<String> revoked = ConcurrentHashMap.newKeySet();

    StandInOAuth(Consumer<String> violations) {
        this.violations = violations;
    }

    void client(Client c) {
        this.client = c;
    }

    void signInAs(String login) {
        this.signedInAs = login;
    }

    static boolean handles(String path) {
        return path.equals("/login/oauth/authorize") || path.equals("/login/oauth/access_token");
    }

    Answer handle(String method, String path, String query, Map<String, String> headers, byte[] body) {
        if (path.equals("/login/oauth/authorize") && method.equals("GET")) {
            return authorize(form(query));
        }
        if (path.equals("/login/oauth/access_token") && method.equals("POST")) {
            Map<String, String> params = form(query);
            params.putAll(form(new String(body, StandardCharsets.UTF_8)));
            if (!"application/json".equals(headers.get("accept"))) {
                violations.accept("POST /login/oauth/access_token without Accept: application/json (GitHub then answers"
                        + " form-encoded)");
            }
            return accessToken(params);
        }
        violations.accept(method + " " + path + ": GitHub serves no such OAuth endpoint");
        return new Answer(404, Map.of(), Map.of("message", "Not Found"));
    }

    private Answer authorize(Map<String, String> q) {
        Client c = client;
        if (c == null || !c.id().equals(q.get("client_id"))) {
            violations.accept("GET /login/oauth/authorize: unknown client_id " + q.get("client_id"));
            return new Answer(404, Map.of(), Map.of("message", "Not Found"));
        }
        String redirect = q.getOrDefault("redirect_uri", c.callback());
        if (!redirect.equals(c.callback())) {
            violations.accept("GET /login/oauth/authorize: redirect_uri " + redirect + " is not the App's callback URL "
                    + c.callback());
            return new Answer(
                    302,
                    Map.of("Location", c.callback() + "?error=redirect_uri_mismatch&state=" + enc(q.get("state"))),
                    Map.of());
        }
        if (q.get("state") == null) {
            violations.accept(
                    "GET /login/oauth/authorize without state: the callback could not tell it from a forgery");
        }
        if (signedInAs == null) {
            violations.accept("GET /login/oauth/authorize: the test signed nobody in to the stand-in");
            return new Answer(403, Map.of(), Map.of("message", "nobody is signed in to the stand-in"));
        }
        String code = random(10);
        codes.put(code, new Code(signedInAs, c.id(), redirect, Instant.now().plusSeconds(600)));
        return new Answer(
                302,
                Map.of(
                        "Location",
                        redirect + (URI.create(redirect).getRawQuery() == null ? "?" : "&") + "code=" + code
                                + (q.get("state") == null ? "" : "&state=" + enc(q.get("state")))),
                Map.of());
    }

    private Answer accessToken(Map<String, String> p) {
        Client c = client;
        if (c == null || !c.id().equals(p.get("client_id")) || !c.secret().equals(p.get("client_secret"))) {
            violations.accept("POST /login/oauth/access_token: wrong client credentials");
            return error("incorrect_client_credentials", "The client_id and/or client_secret passed are incorrect.");
        }
        String code = p.get("code");
        Code known = code == null ? null : codes.remove(code);
        if (known == null
                || Instant.now().isAfter(known.expires())
                || !known.clientId().equals(c.id())) {
            // Not a violation: tests replay codes on purpose, and GitHub's answer is the point.
            return error("bad_verification_code", "The code passed is incorrect or expired.");
        }
        if (p.get("redirect_uri") != null && !p.get("redirect_uri").equals(known.redirectUri())) {
            violations.accept("POST /login/oauth/access_token: redirect_uri differs from the authorize request's");
            return error(
                    "redirect_uri_mismatch",
                    "The redirect_uri MUST match the registered callback URL for this" + " application.");
        }
        String token = "ghu_" + random(18);
        tokens.put(token, new UserToken(known.login(), Instant.now().plusSeconds(28800)));
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("access_token", token);
        answer.put("expires_in", 28800);
        answer.put("refresh_token", "ghr_" + random(38));
        answer.put("refresh_token_expires_in", 15897600);
        answer.put("scope", "");
        answer.put("token_type", "bearer");
        return new Answer(200, Map.of(), answer);
    }

    private static Answer error(String code, String description) {
        return new Answer(
                200,
                Map.of(),
                Map.of(
                        "error",
                        code,
                        "error_description",
                        description,
                        "error_uri",
                        "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token"
                                + "-request-errors"));
    }

    /** Whose user token this is, while it is valid; null for anything else (an installation token, a revoked one). */
    String login(String token) {
        UserToken t = tokens.get(token);
        return t == null || revoked.contains(token) || Instant.now().isAfter(t.expires()) ? null : t.login();
    }

    /** A user token GitHub handed out, valid or not: a 401 for it is GitHub's answer, not our client's mistake. */
    boolean issued(String token) {
        return tokens.containsKey(token);
    }

    /** Revokes every token of {@code login}, as when they revoke the App's authorization. */
    void revoke(String login) {
        tokens.forEach((t, u) -> {
            if (u.login().equals(login)) {
                revoked.add(t);
            }
        });
    }

    List<String> tokens() {
        return List.copyOf(tokens.keySet());
    }

    private static Map<String, String> form(String encoded) {
        Map<String, String> out = new LinkedHashMap<>();
        if (encoded == null || encoded.isEmpty()) {
            return out;
        }
        for (String kv : encoded.split("&")) {
            int eq = kv.indexOf('=');
            if (eq > 0) {
                out.put(
                        URLDecoder.decode(kv.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    private static String enc(String s) {
        return s == null ? "" : URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String random(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
