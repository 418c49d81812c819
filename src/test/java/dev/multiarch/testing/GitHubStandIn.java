package dev.multiarch.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.multiarch.base.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A local stand-in for GitHub's REST API. Every request is checked against GitHub's own OpenAPI description (the
 * operation must exist; a JSON body must validate against its request schema; auth must be what GitHub would take:
 * the app's RS256 JWT for /app endpoints, a minted installation token or the configured token elsewhere). Whatever
 * does not pass is answered as GitHub would (404, 401, 422) and recorded in {@link #violations()}, which a test
 * asserts is empty. Repository contents come from real bare git repositories, which it also serves over git's smart
 * HTTP protocol through {@code git http-backend} at {@code /{owner}/{repo}.git} (the web URL), checking tokens as
 * GitHub does: a private repository needs {@code Basic x-access-token:<token>} with a token minted for it. People sign
 * in at the web URL too ({@link StandInOAuth}); their user tokens open {@code GET /user} and
 * {@code GET /repos/{owner}/{repo}}, which answers 404 for a private repository they were not made a reader of.
 * Faults can be injected: 502s, rate limits.
 */
public final class GitHubStandIn implements AutoCloseable {

    /** A request as received, with the status it got. */
    public record Call(String method, String path, String query, JsonNode body, int status, JsonNode response) {}

    private record Operation(String template, Pattern pattern, String method, Validator body) {}

    private final HttpServer server;
    private final List<Operation> operations = new ArrayList<>();
    private final List<Call> calls = Collections.synchronizedList(new ArrayList<>());
    private final List<String> violations = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, Path> repos = new ConcurrentHashMap<>();
    /** Minted installation tokens: when they expire, and the one repository they were restricted to (or null). */
    private final Map<String, Minted> installationTokens = new ConcurrentHashMap<>();

    /** The installation the tests' payloads name; a token for any other is a 404, as GitHub answers. */
    public static final long INSTALLATION = 4711;

    private final java.util.Set<Long> installations = ConcurrentHashMap.newKeySet();

    {
        installations.add(INSTALLATION);
    }

    /** One more installation of the App that tokens may be minted for. */
    public GitHubStandIn installation(long id) {
        installations.add(id);
        return this;
    }

    private final java.util.Set<String> privateRepos = ConcurrentHashMap.newKeySet();
    /** Who may read each private repository, by login. */
    private final Map<String, java.util.Set<String>> readers = new ConcurrentHashMap<>();

    private final StandInOAuth oauth = new StandInOAuth(this::violation);
    /** The rate limit every answer reports (one for all callers here; GitHub keeps one per identity). */
    private final AtomicInteger rateLimitRemaining = new AtomicInteger(5000);

    private final long rateLimitReset = Instant.now().getEpochSecond() + 3600;
    /** What a user token may do here: what the coordinator does with one (and nothing the bot does with its own). */
    private static final java.util.Set<String> USER_OPERATIONS =
            java.util.Set.of("GET /user", "GET /repos/{owner}/{repo}");

    private final List<GitFetch> gitFetches = Collections.synchronizedList(new ArrayList<>());

    private record Minted(Instant expires, String repository, Map<String, String> permissions) {}

    /**
     * A git request to a repository: whether it carried a token, and which repository that token was restricted to
     * (null: the installation's own, unrestricted token).
     */
    public record GitFetch(String repo, String service, int status, boolean authorized, String tokenRepository) {}

    private static final Pattern GIT_PATH = Pattern.compile("/([^/]+/[^/]+)\\.git(/info/refs|/git-upload-pack)");
    private final AtomicInteger ids = new AtomicInteger(1000);
    /** The check runs created, by id, with the repository they belong to: PATCHed and listed as GitHub does. */
    private final Map<Long, CheckRun> checkRuns = new ConcurrentHashMap<>();

    private final Map<String, Long> checkSuites = new ConcurrentHashMap<>();

    private record CheckRun(String repo, Map<String, Object> run) {}

    /** The check runs of {@code repo} at {@code sha}, oldest first (each as GitHub would answer for it). */
    public List<Map<String, Object>> checkRuns(String repo, String sha) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (CheckRun c : new java.util.TreeMap<>(checkRuns).values()) {
            synchronized (c) {
                if (c.repo().equals(repo) && c.run().get("head_sha").equals(sha)) {
                    out.add(new LinkedHashMap<>(c.run()));
                }
            }
        }
        return out;
    }

    /** What a create or an update of a check run sets (a field the request leaves out keeps its value). */
    private static void applyCheckRun(Map<String, Object> run, JsonNode body) {
        run.put("status", body.path("status").asText(String.valueOf(run.getOrDefault("status", "queued"))));
        if (body.has("conclusion")) {
            run.put("conclusion", body.path("conclusion").asText());
        } else {
            run.putIfAbsent("conclusion", null);
        }
        if (body.has("details_url") || !run.containsKey("details_url")) {
            run.put("details_url", body.path("details_url").asText(null));
        }
        if (body.has("external_id") || !run.containsKey("external_id")) {
            run.put("external_id", body.path("external_id").asText(null));
        }
        if (body.has("completed_at") || !run.containsKey("completed_at")) {
            run.put("completed_at", body.path("completed_at").asText(null));
        }
        if (body.has("output") || !run.containsKey("output")) {
            run.put(
                    "output",
                    Map.of(
                            "title",
                            body.at("/output/title").asText(""),
                            "summary",
                            body.at("/output/summary").asText(""),
                            "annotations_count",
                            0,
                            "annotations_url",
                            ""));
        }
    }

    private final PublicKey appKey;
    private final String appId;
    private final String token;
    private volatile int failuresLeft;
    private volatile int failureStatus;
    private volatile Map<String, String> failureHeaders = Map.of();

    /**
     * @param appKey the GitHub App's public key (App mode), or null
     * @param token  the token accepted everywhere (token mode), or null
     */
    public GitHubStandIn(Path openapi, String appId, PublicKey appKey, String token) throws IOException {
        this.appId = appId;
        this.appKey = appKey;
        this.token = token;
        JsonNode spec = Json.MAPPER.readTree(openapi.toFile());
        for (Iterator<Map.Entry<String, JsonNode>> it = spec.path("paths").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> p = it.next();
            String regex = Pattern.quote(p.getKey())
                    .replace("{path}", "\\E(.+)\\Q")
                    .replaceAll("\\{[a-z_]+}", "\\\\E([^/]+)\\\\Q");
            for (Iterator<Map.Entry<String, JsonNode>> m = p.getValue().fields(); m.hasNext(); ) {
                Map.Entry<String, JsonNode> op = m.next();
                JsonNode schema = op.getValue().at("/requestBody/content/application~1json/schema");
                Validator v = schema.isMissingNode()
                        ? null
                        : Validator.create(
                                JsonSchema.of(new JsonObject(
                                        Json.MAPPER.writeValueAsString(openApiToJsonSchema(schema.deepCopy())))),
                                new JsonSchemaOptions().setDraft(Draft.DRAFT4).setBaseUri("https://stand-in.invalid/"));
                operations.add(new Operation(
                        p.getKey(), Pattern.compile(regex), op.getKey().toUpperCase(), v));
            }
        }
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4));
        server.start();
    }

    /** OpenAPI 3.0's {@code nullable: true} is JSON Schema's {@code type: [T, "null"]}. */
    static JsonNode openApiToJsonSchema(JsonNode n) {
        if (n.isObject()) {
            ObjectNode o = (ObjectNode) n;
            if (o.path("nullable").asBoolean(false)
                    && o.has("type")
                    && o.get("type").isTextual()) {
                ArrayNode types = Json.MAPPER
                        .createArrayNode()
                        .add(o.get("type").asText())
                        .add("null");
                o.set("type", types);
            }
            o.remove("nullable");
            o.fields().forEachRemaining(e -> openApiToJsonSchema(e.getValue()));
        } else if (n.isArray()) {
            n.forEach(GitHubStandIn::openApiToJsonSchema);
        }
        return n;
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Serves this repository's files (through {@code git show}) under {@code owner/name}. */
    public void repo(String fullName, Path bareRepo) {
        repos.put(fullName, bareRepo);
    }

    public List<Call> calls() {
        synchronized (calls) {
            return List.copyOf(calls);
        }
    }

    public List<String> violations() {
        synchronized (violations) {
            return List.copyOf(violations);
        }
    }

    /** Makes a served repository private: git needs a token minted for it (or an unrestricted one). */
    public void makePrivate(String fullName) {
        privateRepos.add(fullName);
    }

    /** Registers the App's OAuth client: signing in at this URL (the web URL) needs this id, secret and callback. */
    public void oauthClient(String clientId, String clientSecret, String callbackUrl) {
        oauth.client(new StandInOAuth.Client(clientId, clientSecret, callbackUrl));
    }

    /** From now on the authorize page approves at once as {@code login}, as if they were signed in to GitHub. */
    public void signInAs(String login) {
        oauth.signInAs(login);
    }

    /** Lets {@code login} read {@code repo} (everyone reads a public one). */
    public void reader(String repo, String login) {
        readers.computeIfAbsent(repo, r -> ConcurrentHashMap.newKeySet()).add(login);
    }

    /** Revokes {@code login}'s user tokens: GitHub answers them 401 from now on. */
    public void revokeUserTokens(String login) {
        oauth.revoke(login);
    }

    /** Every user token handed out so far (to look for in logs and pages). */
    public List<String> userTokens() {
        return oauth.tokens();
    }

    public List<GitFetch> gitFetches() {
        synchronized (gitFetches) {
            return List.copyOf(gitFetches);
        }
    }

    /** Tokens minted so far restricted to one repository, with the permissions asked for. */
    public List<String> restrictedTokens() {
        return installationTokens.values().stream()
                .filter(m -> m.repository() != null)
                .map(m -> m.repository() + " " + m.permissions())
                .toList();
    }

    /** What the last answer said remained of the rate limit. */
    public int rateLimitRemaining() {
        return rateLimitRemaining.get();
    }

    public int installationTokensMinted() {
        return installationTokens.size();
    }

    /** The next {@code n} API requests get {@code status} with these headers (a 502, a rate limit). */
    public void failNext(int n, int status, Map<String, String> headers) {
        this.failureStatus = status;
        this.failureHeaders = headers;
        this.failuresLeft = n;
    }

    private HeldRequest hold;

    /**
     * The first API request {@code method} whose path ends with {@code pathEnd} is held until {@link HeldRequest#drop()},
     * then answered 502 (not recorded): a coordinator killed while it waited for GitHub.
     */
    public synchronized HeldRequest hold(String method, String pathEnd) {
        hold = new HeldRequest(method, pathEnd);
        return hold;
    }

    private synchronized HeldRequest takeHold(String method, String path) {
        HeldRequest h = hold;
        if (h != null && h.matches(method, path)) {
            hold = null;
            return h;
        }
        return null;
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            String path = ex.getRequestURI().getRawPath();
            String query = ex.getRequestURI().getRawQuery();
            HeldRequest held = takeHold(method, path);
            if (held != null) {
                held.waitForDrop();
                ex.sendResponseHeaders(502, -1);
                return;
            }
            Matcher git = GIT_PATH.matcher(path);
            if (git.matches()) {
                serveGit(ex, URLDecoder.decode(git.group(1), StandardCharsets.UTF_8), git.group(2), query);
                return;
            }
            if (StandInOAuth.handles(path)) {
                byte[] form;
                try (InputStream in = ex.getRequestBody()) {
                    form = in.readAllBytes();
                }
                Map<String, String> headers = new LinkedHashMap<>();
                ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), v.get(0)));
                StandInOAuth.Answer a = oauth.handle(method, path, query, headers, form);
                a.headers().forEach((k, v) -> ex.getResponseHeaders().add(k, v));
                respond(ex, a.status(), a.body(), method, path, query, null);
                return;
            }
            byte[] raw;
            try (InputStream in = ex.getRequestBody()) {
                raw = in.readAllBytes();
            }
            JsonNode body = null;
            if (raw.length > 0) {
                try {
                    body = Json.MAPPER.readTree(raw);
                } catch (IOException e) {
                    violation(method + " " + path + ": body is not JSON");
                    respond(ex, 400, Map.of("message", "Problems parsing JSON"), method, path, query, null);
                    return;
                }
            }
            Operation op = null;
            List<String> params = new ArrayList<>();
            for (Operation o : operations) {
                Matcher m = o.pattern.matcher(path);
                if (m.matches() && o.method.equals(method)) {
                    op = o;
                    for (int i = 1; i <= m.groupCount(); i++) {
                        params.add(URLDecoder.decode(m.group(i), StandardCharsets.UTF_8));
                    }
                    break;
                }
            }
            if (op == null) {
                violation(method + " " + path + ": no such operation in GitHub's OpenAPI description");
                respond(ex, 404, Map.of("message", "Not Found"), method, path, query, body);
                return;
            }
            if (op.body != null && body != null) {
                OutputUnit out = op.body.validate(
                        body.isObject()
                                ? new JsonObject(Json.MAPPER.writeValueAsString(body))
                                : Json.MAPPER.convertValue(body, Object.class));
                if (!out.getValid()) {
                    List<String> errs = new ArrayList<>();
                    for (OutputUnit e : out.getErrors() == null ? List.<OutputUnit>of() : out.getErrors()) {
                        errs.add(e.getInstanceLocation() + " " + e.getError());
                    }
                    violation(
                            method + " " + op.template + ": body does not match the schema: " + errs + " body " + body);
                    respond(ex, 422, Map.of("message", "Invalid request.", "errors", errs), method, path, query, body);
                    return;
                }
            }
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            String bearer = auth == null ? "" : auth.replaceFirst("^(token|Bearer) ", "");
            if (oauth.issued(bearer) && oauth.login(bearer) == null) {
                // A user token GitHub handed out and took back: its 401 is GitHub's answer, not our mistake.
                respond(ex, 401, Map.of("message", "Bad credentials"), method, path, query, body);
                return;
            }
            if (!authorized(op.template, method, auth)) {
                violation(method + " " + op.template + ": not authenticated as GitHub requires ("
                        + (auth == null ? "no Authorization" : auth.split(" ")[0]) + ")");
                respond(ex, 401, Map.of("message", "Bad credentials"), method, path, query, body);
                return;
            }
            if (failuresLeft > 0) {
                failuresLeft--;
                failureHeaders.forEach((k, v) -> ex.getResponseHeaders()
                        .add(
                                k,
                                v.replace(
                                        "{now+2}", String.valueOf(Instant.now().getEpochSecond() + 2))));
                respond(
                        ex,
                        failureStatus,
                        Map.of("message", failureStatus == 403 ? "API rate limit exceeded" : "Server Error"),
                        method,
                        path,
                        query,
                        body);
                return;
            }
            answer(ex, op.template, method, params, query, body, oauth.login(bearer));
        } catch (RuntimeException e) {
            violation("stand-in failure: " + e);
            respond(
                    ex,
                    500,
                    Map.of("message", e.toString()),
                    ex.getRequestMethod(),
                    ex.getRequestURI().getPath(),
                    null,
                    null);
        }
    }

    private boolean authorized(String template, String method, String auth) {
        if (auth == null) {
            return false;
        }
        if (template.startsWith("/app")) {
            return auth.startsWith("Bearer ") && validJwt(auth.substring(7));
        }
        String t = auth.replaceFirst("^(token|Bearer) ", "");
        if (oauth.login(t) != null) {
            return USER_OPERATIONS.contains(method + " " + template);
        }
        if (template.equals("/user")) {
            // GitHub: "Resource not accessible by integration" for an installation token; only a person has a /user.
            return false;
        }
        if (appKey == null) {
            return t.equals(token);
        }
        Minted m = installationTokens.get(t);
        // A token restricted to one repository's contents is for git, never for the API the coordinator calls.
        return m != null && m.repository() == null;
    }

    /** git's smart HTTP protocol, answered by {@code git http-backend} (CGI) over the repository's bare directory. */
    private void serveGit(HttpExchange ex, String fullName, String rest, String query) throws IOException {
        Path bare = repos.get(fullName);
        String service = rest.endsWith("git-upload-pack")
                ? "git-upload-pack"
                : query == null ? "" : query.replaceFirst(".*service=", "");
        if (bare == null || (rest.equals("/info/refs") && !"git-upload-pack".equals(service))) {
            gitFetches.add(new GitFetch(fullName, service, 404, false, null));
            ex.sendResponseHeaders(404, -1);
            return;
        }
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        Minted minted = null;
        if (auth != null && auth.startsWith("Basic ")) {
            String userPass =
                    new String(Base64.getDecoder().decode(auth.substring(6).trim()), StandardCharsets.UTF_8);
            String t = userPass.substring(userPass.indexOf(':') + 1);
            minted = appKey != null
                    ? installationTokens.get(t)
                    : t.equals(this.token) ? new Minted(Instant.MAX, null, Map.of()) : null;
        }
        String name = fullName.substring(fullName.indexOf('/') + 1);
        boolean allowed = !privateRepos.contains(fullName)
                || (minted != null
                        && (minted.repository() == null || minted.repository().equals(name)));
        if (!allowed) {
            gitFetches.add(
                    new GitFetch(fullName, service, 401, auth != null, minted == null ? null : minted.repository()));
            ex.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"GitHub\"");
            ex.sendResponseHeaders(401, -1);
            return;
        }
        byte[] in;
        try (InputStream body = ex.getRequestBody()) {
            in = body.readAllBytes();
        }
        int status = GitHttpServer.cgi(ex, bare, rest, in);
        gitFetches.add(
                new GitFetch(fullName, service, status, minted != null, minted == null ? null : minted.repository()));
    }

    private boolean validJwt(String jwt) {
        if (appKey == null) {
            return false;
        }
        String[] parts = jwt.split("\\.");
        if (parts.length != 3) {
            return false;
        }
        try {
            JsonNode header = Json.MAPPER.readTree(Base64.getUrlDecoder().decode(parts[0]));
            JsonNode claims = Json.MAPPER.readTree(Base64.getUrlDecoder().decode(parts[1]));
            Signature s = Signature.getInstance("SHA256withRSA");
            s.initVerify(appKey);
            s.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
            long now = Instant.now().getEpochSecond();
            long iat = claims.path("iat").asLong();
            long exp = claims.path("exp").asLong();
            return header.path("alg").asText().equals("RS256")
                    && s.verify(Base64.getUrlDecoder().decode(parts[2]))
                    && claims.path("iss").asText().equals(appId)
                    && iat <= now
                    && exp > now
                    && exp - iat <= 600;
        } catch (Exception e) {
            return false;
        }
    }

    /** @param user the login of the user token the request came with, or null */
    private void answer(
            HttpExchange ex,
            String template,
            String method,
            List<String> params,
            String query,
            JsonNode body,
            String user)
            throws IOException {
        String now = Instant.now().toString().replaceAll("\\.\\d+Z$", "Z");
        switch (method + " " + template) {
            case "POST /app/installations/{installation_id}/access_tokens" -> {
                if (!params.get(0).matches("[0-9]+") || !installations.contains(Long.parseLong(params.get(0)))) {
                    // GitHub: an installation of another App, or one that was removed, is not found.
                    respond(
                            ex,
                            404,
                            Map.of(
                                    "message",
                                    "Not Found",
                                    "documentation_url",
                                    "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app"),
                            method,
                            ex.getRequestURI().getRawPath(),
                            query,
                            body);
                    return;
                }
                String t = "ghs_" + Long.toHexString(Double.doubleToLongBits(Math.random())) + ids.incrementAndGet();
                Instant expires = Instant.now().plusSeconds(3600);
                String restrictedTo = null;
                Map<String, String> asked = new LinkedHashMap<>();
                if (body != null && body.has("repositories")) {
                    restrictedTo = body.path("repositories").path(0).asText();
                    body.path("permissions")
                            .fields()
                            .forEachRemaining(
                                    e -> asked.put(e.getKey(), e.getValue().asText()));
                }
                installationTokens.put(t, new Minted(expires, restrictedTo, asked));
                respond(
                        ex,
                        201,
                        Map.of(
                                "token",
                                t,
                                "expires_at",
                                expires.toString().replaceAll("\\.\\d+Z$", "Z"),
                                "permissions",
                                Map.of("checks", "write", "contents", "read", "statuses", "write"),
                                "repository_selection",
                                "all"),
                        method,
                        ex.getRequestURI().getRawPath(),
                        query,
                        body);
            }
            case "GET /user" -> {
                Map<String, Object> u = new LinkedHashMap<>();
                u.put("login", user);
                u.put("id", Math.abs(user.hashCode()));
                u.put("node_id", "U_" + Math.abs(user.hashCode()));
                u.put("type", "User");
                u.put("site_admin", false);
                u.put("html_url", "https://github.com/" + user);
                respond(ex, 200, u, method, ex.getRequestURI().getRawPath(), query, body);
            }
            case "GET /repos/{owner}/{repo}" -> {
                String full = params.get(0) + "/" + params.get(1);
                boolean hidden = user != null
                        && privateRepos.contains(full)
                        && !readers.getOrDefault(full, java.util.Set.of()).contains(user);
                if (!repos.containsKey(full) || hidden) {
                    respond(
                            ex,
                            404,
                            Map.of("message", "Not Found"),
                            method,
                            ex.getRequestURI().getRawPath(),
                            query,
                            body);
                    return;
                }
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("id", Math.abs(full.hashCode()));
                r.put("node_id", "R_" + Math.abs(full.hashCode()));
                r.put("name", params.get(1));
                r.put("full_name", full);
                r.put("owner", Map.of("login", params.get(0), "id", 1, "type", "User"));
                r.put("private", privateRepos.contains(full));
                if (user != null) {
                    r.put(
                            "permissions",
                            Map.of("admin", false, "maintain", false, "push", false, "triage", false, "pull", true));
                }
                r.put("html_url", "https://github.com/" + full);
                r.put("url", url() + "/repos/" + full);
                r.put("default_branch", "main");
                respond(ex, 200, r, method, ex.getRequestURI().getRawPath(), query, body);
            }
            case "GET /repos/{owner}/{repo}/contents/{path}" -> {
                Path bare = repos.get(params.get(0) + "/" + params.get(1));
                String ref = query == null ? "HEAD" : queryParam(query, "ref");
                Proc.Result r = bare == null
                        ? null
                        : Proc.run(List.of("git", "--git-dir=" + bare, "show", ref + ":" + params.get(2)), null, 60);
                if (r == null || r.exit() != 0) {
                    respond(
                            ex,
                            404,
                            Map.of(
                                    "message",
                                    "Not Found",
                                    "documentation_url",
                                    "https://docs.github.com/rest/repos/contents#get-repository-content"),
                            method,
                            ex.getRequestURI().getRawPath(),
                            query,
                            body);
                    return;
                }
                byte[] content = r.out().getBytes(StandardCharsets.UTF_8);
                Map<String, Object> c = new LinkedHashMap<>();
                c.put("type", "file");
                c.put("encoding", "base64");
                c.put("size", content.length);
                c.put("name", params.get(2).replaceAll(".*/", ""));
                c.put("path", params.get(2));
                c.put("content", Base64.getMimeEncoder().encodeToString(content));
                c.put("sha", "0".repeat(40));
                c.put("url", url() + "/repos/" + params.get(0) + "/" + params.get(1) + "/contents/" + params.get(2));
                c.put("git_url", null);
                c.put("html_url", null);
                c.put("download_url", null);
                c.put("_links", Map.of("self", c.get("url")));
                respond(ex, 200, c, method, ex.getRequestURI().getRawPath(), query, body);
            }
            case "POST /repos/{owner}/{repo}/check-runs" -> {
                long id = ids.incrementAndGet();
                String fullName = params.get(0) + "/" + params.get(1);
                String sha = body.path("head_sha").asText("");
                Map<String, Object> run = new LinkedHashMap<>();
                run.put("id", id);
                run.put("node_id", "CR_" + id);
                run.put("head_sha", sha);
                run.put("name", body.path("name").asText(""));
                run.put("url", url() + "/repos/" + fullName + "/check-runs/" + id);
                run.put("html_url", "https://github.com/" + fullName + "/runs/" + id);
                run.put("started_at", now);
                // One suite per App and commit, as GitHub makes it for an App's check runs.
                long suite = checkSuites.computeIfAbsent(fullName + "@" + sha, k -> (long) ids.incrementAndGet());
                run.put("check_suite", Map.of("id", suite));
                run.put("app", Map.of("id", Long.parseLong(appId == null ? "0" : appId), "slug", "multiarch"));
                run.put("pull_requests", List.of());
                applyCheckRun(run, body);
                checkRuns.put(id, new CheckRun(fullName, run));
                respond(ex, 201, run, method, ex.getRequestURI().getRawPath(), query, body);
            }
            case "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}" -> {
                CheckRun known = checkRuns.get(Long.parseLong(params.get(2)));
                if (known == null || !known.repo().equals(params.get(0) + "/" + params.get(1))) {
                    respond(
                            ex,
                            404,
                            Map.of("message", "Not Found"),
                            method,
                            ex.getRequestURI().getRawPath(),
                            query,
                            body);
                    return;
                }
                Map<String, Object> run;
                synchronized (known) {
                    applyCheckRun(known.run(), body);
                    run = new LinkedHashMap<>(known.run());
                }
                respond(ex, 200, run, method, ex.getRequestURI().getRawPath(), query, body);
            }
            case "GET /repos/{owner}/{repo}/commits/{ref}/check-runs" -> {
                String fullName = params.get(0) + "/" + params.get(1);
                String name = query == null ? null : queryParam(query, "check_name");
                String app = query == null ? null : queryParam(query, "app_id");
                List<Map<String, Object>> runs = new ArrayList<>();
                for (CheckRun c : new java.util.TreeMap<>(checkRuns).values()) {
                    synchronized (c) {
                        Map<String, Object> run = c.run();
                        if (c.repo().equals(fullName)
                                && run.get("head_sha").equals(params.get(2))
                                && (name == null || name.equals(run.get("name")))
                                && (app == null || app.equals(String.valueOf(appId)))) {
                            runs.add(new LinkedHashMap<>(run));
                        }
                    }
                }
                runs.sort((a, b) -> Long.compare((Long) b.get("id"), (Long) a.get("id")));
                respond(
                        ex,
                        200,
                        Map.of("total_count", runs.size(), "check_runs", runs),
                        method,
                        ex.getRequestURI().getRawPath(),
                        query,
                        body);
            }
            case "POST /repos/{owner}/{repo}/statuses/{sha}" -> {
                int id = ids.incrementAndGet();
                Map<String, Object> s = new LinkedHashMap<>();
                s.put("id", id);
                s.put("node_id", "SC_" + id);
                s.put("url", url() + "/repos/" + params.get(0) + "/" + params.get(1) + "/statuses/" + params.get(2));
                s.put("state", body.path("state").asText());
                s.put("description", body.path("description").asText(null));
                s.put("target_url", body.path("target_url").asText(null));
                s.put("context", body.path("context").asText("default"));
                s.put("avatar_url", null);
                s.put("created_at", now);
                s.put("updated_at", now);
                s.put("creator", Map.of("login", "multiarch[bot]", "id", 2, "type", "Bot"));
                respond(ex, 201, s, method, ex.getRequestURI().getRawPath(), query, body);
            }
            case "GET /rate_limit" ->
                respond(
                        ex,
                        200,
                        Map.of(
                                "resources",
                                Map.of(),
                                "rate",
                                Map.of(
                                        "limit",
                                        5000,
                                        "remaining",
                                        4999,
                                        "reset",
                                        Instant.now().getEpochSecond() + 3600,
                                        "used",
                                        1)),
                        method,
                        ex.getRequestURI().getRawPath(),
                        query,
                        body);
            default -> {
                violation(method + " " + template + ": the stand-in does not serve this operation");
                respond(
                        ex,
                        501,
                        Map.of("message", "not served by the stand-in"),
                        method,
                        ex.getRequestURI().getRawPath(),
                        query,
                        body);
            }
        }
    }

    private static String queryParam(String query, String name) {
        for (String kv : query.split("&")) {
            int eq = kv.indexOf('=');
            if (eq > 0 && kv.substring(0, eq).equals(name)) {
                return URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
            }
        }
        return "HEAD";
    }

    private void violation(String v) {
        violations.add(v);
    }

    private void respond(
            HttpExchange ex, int status, Object body, String method, String path, String query, JsonNode requestBody)
            throws IOException {
        byte[] bytes = Json.MAPPER.writeValueAsBytes(body);
        calls.add(new Call(method, path, query, requestBody, status, Json.MAPPER.readTree(bytes)));
        if (!ex.getResponseHeaders().containsKey("X-RateLimit-Remaining")) {
            // As GitHub answers every API call: the primary rate limit, counting down, resetting in an hour.
            int left = Math.max(0, rateLimitRemaining.decrementAndGet());
            ex.getResponseHeaders().add("X-RateLimit-Limit", "5000");
            ex.getResponseHeaders().add("X-RateLimit-Remaining", String.valueOf(left));
            ex.getResponseHeaders().add("X-RateLimit-Used", String.valueOf(5000 - left));
            ex.getResponseHeaders().add("X-RateLimit-Reset", String.valueOf(rateLimitReset));
            ex.getResponseHeaders().add("X-RateLimit-Resource", "core");
        }
        ex.getResponseHeaders().add("Content-Type", "application/json; charset=utf-8");
        ex.getResponseHeaders().add("X-GitHub-Media-Type", "github.v3; format=json");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    /** The cache bin/setup-host fills from the npm registry. */
    public static Path fixtures() {
        String cache = System.getenv("MULTIARCH_CACHE");
        Path base = cache != null ? Path.of(cache) : Path.of(System.getProperty("user.home"), ".cache", "multiarch");
        Path gh = base.resolve("github");
        if (!Files.isRegularFile(gh.resolve("webhooks-examples.json"))) {
            throw new IllegalStateException(gh + " has no GitHub fixtures: run bin/setup-host first");
        }
        return gh;
    }

    /**
     * GitHub's OpenAPI description cut to the paths of {@code github/openapi-paths.txt}, as bin/setup-host prepares
     * it: named after a hash of that list, so a list changed since setup-host last ran is noticed here, not as a
     * stand-in that refuses an operation it should know.
     */
    public static Path openApi() {
        try (InputStream in = GitHubStandIn.class.getResourceAsStream("/github/openapi-paths.txt")) {
            if (in == null) {
                throw new IllegalStateException("github/openapi-paths.txt is missing from the test classpath");
            }
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(in.readAllBytes());
            Path subset = fixtures()
                    .resolve("openapi-subset-"
                            + java.util.HexFormat.of().formatHex(digest).substring(0, 16) + ".json");
            if (!Files.isRegularFile(subset)) {
                throw new IllegalStateException(subset + " is missing: src/test/resources/github/openapi-paths.txt"
                        + " changed since bin/setup-host last ran; run bin/setup-host");
            }
            return subset;
        } catch (IOException | java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        HeldRequest h = hold;
        if (h != null) {
            h.drop();
        }
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
