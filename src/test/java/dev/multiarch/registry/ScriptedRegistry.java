package dev.multiarch.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.base.Json;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import okhttp3.HttpUrl;
import okio.Buffer;

/**
 * A registry on a MockWebServer that answers as the distribution spec and one real registry's documentation describe
 * it: its API host and token realm (told apart by the {@code Host} header, as {@link HostRoutes} keeps it), Bearer or
 * Basic challenges with per-repository token scopes, manifests that must find their blobs, cross-repository mounts
 * (or an upload session instead, as ECR), chunked uploads with {@code Content-Range} checks and {@code Range}
 * answers, and the registry's limits on chunk sizes. Every exchange is kept so a test can assert what a real registry
 * would have seen. Failures are injected by {@link #failPatch}, {@link #cutBlobRead} and {@link #before}.
 */
final class ScriptedRegistry extends Dispatcher implements AutoCloseable {
    private static final Pattern MANIFEST = Pattern.compile("/v2/(.+)/manifests/([^/]+)");
    private static final Pattern UPLOADS = Pattern.compile("/v2/(.+)/blobs/uploads/([^/]*)");
    private static final Pattern BLOB = Pattern.compile("/v2/(.+)/blobs/([^/]+)");

    /** One exchange as the registry saw it. */
    record Exchange(String method, String host, HttpUrl url, okhttp3.Headers headers, long bodySize, int status) {
        String line() {
            return method + " " + host + " " + url.encodedPath() + " " + status;
        }
    }

    private record Stored(String mediaType, byte[] bytes) {}

    private static final class Upload {
        final String repo;
        final Buffer data = new Buffer();
        final List<Long> parts = new ArrayList<>();
        boolean forgotten;

        Upload(String repo) {
            this.repo = repo;
        }
    }

    final MockWebServer server = new MockWebServer();
    final String apiHost;
    private final List<Exchange> exchanges = new ArrayList<>();
    private final Map<String, Map<String, byte[]>> blobs = new HashMap<>();
    private final Map<String, Map<String, Stored>> manifests = new HashMap<>();
    private final Map<String, Upload> uploads = new HashMap<>();
    private final Map<String, Set<String>> tokens = new HashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private final List<java.util.function.Function<RecordedRequest, MockResponse>> hooks = new ArrayList<>();

    private String scheme;
    private HttpUrl realm;
    private String service;
    private String user;
    private String password;
    private boolean anonymousPull;
    private boolean mounts = true;
    private boolean mountNeedsFrom;
    private boolean chunks = true;
    private long maxPatch;
    private long minPart;
    private int patchStatus = 202;
    private boolean forgetsOnFailure;
    private int failPatchNumber;
    private long failPatchKeep;
    private int failPatchStatus;
    private int cutReadNumber;
    private int patches;
    private int blobReads;

    ScriptedRegistry(String apiHost) throws IOException {
        this.apiHost = apiHost;
        server.setDispatcher(this);
        server.start(InetAddress.getLoopbackAddress(), 0);
    }

    /** Where routes for this registry's hosts point. */
    HttpUrl url() {
        return server.url("/");
    }

    /** The host names a client must route here: the API host, and the token realm's host. */
    List<String> hosts() {
        return realm == null || realm.host().equals(apiHost) ? List.of(apiHost) : List.of(apiHost, realm.host());
    }

    /** Token authentication: {@code Bearer realm=…,service=…}; tokens from the realm, for {@code user} if not null. */
    ScriptedRegistry bearer(String realmUrl, String service, String user, String password) {
        this.scheme = "Bearer";
        this.realm = HttpUrl.get(realmUrl);
        this.service = service;
        this.user = user;
        this.password = password;
        return this;
    }

    /** Basic authentication with {@code realm} and, as ECR sends it, a service. */
    ScriptedRegistry basic(String realmText, String service, String user, String password) {
        this.scheme = "Basic";
        this.realm = HttpUrl.get(realmText);
        this.service = service;
        this.user = user;
        this.password = password;
        return this;
    }

    /** Anyone gets a pull token (public images on Docker Hub and GHCR). */
    ScriptedRegistry anonymousPull() {
        this.anonymousPull = true;
        return this;
    }

    /** Mount requests open an upload session instead (202), as ECR without BLOB_MOUNTING. */
    ScriptedRegistry noMounts() {
        this.mounts = false;
        return this;
    }

    /** {@code mount} without {@code from} is refused (Quay). */
    ScriptedRegistry mountNeedsFrom() {
        this.mountNeedsFrom = true;
        return this;
    }

    /** PATCH is refused (Artifact Registry). */
    ScriptedRegistry noChunks() {
        this.chunks = false;
        return this;
    }

    /** PATCH bodies over {@code bytes} get 416 (GHCR). */
    ScriptedRegistry maxPatch(long bytes) {
        this.maxPatch = bytes;
        return this;
    }

    /** Parts under {@code bytes}, but the last, fail the upload when it is completed (ECR's S3 multipart parts). */
    ScriptedRegistry minPart(long bytes) {
        this.minPart = bytes;
        return this;
    }

    /** The status a stored PATCH is answered with (ECR has answered 201). */
    ScriptedRegistry patchStatus(int status) {
        this.patchStatus = status;
        return this;
    }

    /**
     * After a failed PATCH, the session is unknown (distribution 2.8: a session whose stored size no longer matches
     * the offset in its {@code _state} is BLOB_UPLOAD_INVALID, 404, and cancelled).
     */
    ScriptedRegistry forgetsOnFailure() {
        this.forgetsOnFailure = true;
        return this;
    }

    /** The {@code n}th PATCH (from 1) stores the first {@code keep} bytes of its body, then answers {@code status}. */
    ScriptedRegistry failPatch(int n, long keep, int status) {
        this.failPatchNumber = n;
        this.failPatchKeep = keep;
        this.failPatchStatus = status;
        return this;
    }

    /** The {@code n}th blob GET (from 1) sends half of its body and then breaks the connection. */
    ScriptedRegistry cutBlobRead(int n) {
        this.cutReadNumber = n;
        return this;
    }

    /** A hook consulted before anything else; it answers, or returns null to let the registry answer. */
    ScriptedRegistry before(java.util.function.Function<RecordedRequest, MockResponse> hook) {
        hooks.add(hook);
        return this;
    }

    synchronized void putBlob(String repo, byte[] bytes) {
        putBlob(repo, Digest.sha256(bytes), bytes);
    }

    /** Stores bytes under any digest: a registry serving corrupt content. */
    synchronized void putBlob(String repo, Digest digest, byte[] bytes) {
        blobs.computeIfAbsent(repo, r -> new HashMap<>()).put(digest.toString(), bytes);
    }

    synchronized byte[] blob(String repo, Digest digest) {
        return blobs.getOrDefault(repo, Map.of()).get(digest.toString());
    }

    synchronized void putManifest(String repo, String tag, Manifest m) {
        Stored s = new Stored(m.mediaType(), m.bytes());
        Map<String, Stored> r = manifests.computeIfAbsent(repo, x -> new HashMap<>());
        r.put(m.digest().toString(), s);
        if (tag != null) {
            r.put(tag, s);
        }
    }

    synchronized boolean hasManifest(String repo, String reference) {
        return manifests.getOrDefault(repo, Map.of()).containsKey(reference);
    }

    synchronized List<Exchange> exchanges() {
        return List.copyOf(exchanges);
    }

    /** {@code METHOD host path status} per exchange, in order. */
    synchronized List<String> lines() {
        return exchanges.stream().map(Exchange::line).toList();
    }

    synchronized List<Exchange> matching(String method, String pathPart) {
        return exchanges.stream()
                .filter(e -> e.method.equals(method) && e.url.encodedPath().contains(pathPart))
                .toList();
    }

    /** The token requests, as URLs with their {@code service} and {@code scope} parameters. */
    synchronized List<Exchange> tokenRequests() {
        return realm == null
                ? List.of()
                : exchanges.stream()
                        .filter(e -> e.host.equals(hostHeader(realm))
                                && e.url.encodedPath().equals(realm.encodedPath()))
                        .toList();
    }

    @Override
    public synchronized MockResponse dispatch(RecordedRequest r) {
        String host = r.getHeaders().get("Host");
        HttpUrl url = HttpUrl.get("http://" + host + r.getTarget());
        MockResponse answer = answer(r, host, url);
        if (r.getMethod().equals("HEAD") && answer.getBody() != null) {
            // A HEAD answer has headers only; bytes after them would be read as the next answer on the connection.
            answer = new MockResponse.Builder()
                    .code(answer.getCode())
                    .headers(answer.getHeaders())
                    .build();
        }
        exchanges.add(new Exchange(r.getMethod(), host, url, r.getHeaders(), r.getBodySize(), answer.getCode()));
        return answer;
    }

    private MockResponse answer(RecordedRequest r, String host, HttpUrl url) {
        for (var hook : hooks) {
            MockResponse m = hook.apply(r);
            if (m != null) {
                return m;
            }
        }
        if (realm != null
                && "Bearer".equals(scheme)
                && host.equals(hostHeader(realm))
                && url.encodedPath().equals(realm.encodedPath())) {
            return token(r, url);
        }
        if (!host.equals(apiHost)) {
            return error(400, "HOST_UNKNOWN", "this registry is " + apiHost + ", not " + host);
        }
        String path = url.encodedPath();
        if (path.equals("/v2/")) {
            return authorized(r, null, null) ? json(200, "{}") : challenge(null, "pull");
        }
        Matcher m = UPLOADS.matcher(path);
        if (m.matches()) {
            return upload(r, url, m.group(1), m.group(2));
        }
        m = MANIFEST.matcher(path);
        if (m.matches()) {
            return manifest(r, m.group(1), m.group(2));
        }
        m = BLOB.matcher(path);
        if (m.matches()) {
            return blob(r, m.group(1), m.group(2));
        }
        return error(404, "NOT_FOUND", path);
    }

    // --- auth -------------------------------------------------------------------------------------------------

    private static String action(RecordedRequest r) {
        return switch (r.getMethod()) {
            case "GET", "HEAD" -> "pull";
            default -> "push";
        };
    }

    private boolean authorized(RecordedRequest r, String repo, String action) {
        if (scheme == null) {
            return true;
        }
        String auth = r.getHeaders().get("Authorization");
        if (auth == null) {
            return false;
        }
        if (scheme.equals("Basic")) {
            return auth.equals(basic(user, password));
        }
        if (!auth.startsWith("Bearer ")) {
            return false;
        }
        Set<String> grants = tokens.get(auth.substring("Bearer ".length()));
        return grants != null && (repo == null || grants.contains(repo + ":" + action));
    }

    private MockResponse challenge(String repo, String action) {
        StringBuilder c =
                new StringBuilder(scheme).append(" realm=\"").append(realm).append('"');
        if (service != null) {
            c.append(",service=\"").append(service).append('"');
        }
        if (repo != null && scheme.equals("Bearer")) {
            c.append(",scope=\"repository:")
                    .append(repo)
                    .append(':')
                    .append(action.equals("pull") ? "pull" : "pull,push")
                    .append('"');
        }
        return new MockResponse.Builder()
                .code(401)
                .addHeader("WWW-Authenticate", c.toString())
                .addHeader("Content-Type", "application/json")
                .body(
                        "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\",\"detail\":null}]}")
                .build();
    }

    /** The token endpoint: grants what was asked to the configured user, pull to anyone when images are public. */
    private MockResponse token(RecordedRequest r, HttpUrl url) {
        String auth = r.getHeaders().get("Authorization");
        boolean user = auth != null && auth.equals(basic(this.user, this.password));
        if (auth != null && !user) {
            return error(401, "UNAUTHORIZED", "incorrect username or password");
        }
        if (!user && !anonymousPull) {
            return error(401, "UNAUTHORIZED", "authentication required");
        }
        if (service != null && !service.equals(url.queryParameter("service"))) {
            return error(400, "DENIED", "unknown service " + url.queryParameter("service"));
        }
        Set<String> grants = new HashSet<>();
        for (String scope : url.queryParameterValues("scope")) {
            String[] parts = scope.split(":");
            if (parts.length != 3 || !parts[0].equals("repository")) {
                continue;
            }
            for (String a : parts[2].split(",")) {
                if (user || a.equals("pull")) {
                    grants.add(parts[1] + ":" + a);
                }
            }
        }
        String token = "tok-" + ids.incrementAndGet();
        tokens.put(token, grants);
        return json(200, "{\"token\":\"" + token + "\",\"access_token\":\"" + token + "\",\"expires_in\":300}");
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    // --- manifests --------------------------------------------------------------------------------------------

    private MockResponse manifest(RecordedRequest r, String repo, String reference) {
        if (!authorized(r, repo, action(r))) {
            return challenge(repo, action(r));
        }
        if (r.getMethod().equals("PUT")) {
            return putManifest(r, repo, reference);
        }
        Stored s = manifests.getOrDefault(repo, Map.of()).get(reference);
        if (s == null) {
            return error(404, "MANIFEST_UNKNOWN", "manifest unknown");
        }
        MockResponse.Builder b = new MockResponse.Builder()
                .code(200)
                .addHeader("Content-Type", s.mediaType)
                .addHeader("Docker-Content-Digest", Digest.sha256(s.bytes).toString());
        if (r.getMethod().equals("HEAD")) {
            return b.addHeader("Content-Length", s.bytes.length).build();
        }
        return b.body(new Buffer().write(s.bytes)).build();
    }

    private MockResponse putManifest(RecordedRequest r, String repo, String reference) {
        byte[] bytes = r.getBody() == null ? new byte[0] : r.getBody().toByteArray();
        String type = r.getHeaders().get("Content-Type");
        JsonNode n = Json.parse(bytes);
        List<String> needed = new ArrayList<>();
        n.path("manifests").forEach(c -> needed.add(c.path("digest").asText()));
        for (String d : needed) {
            if (!hasManifest(repo, d)) {
                return error(400, "MANIFEST_BLOB_UNKNOWN", d);
            }
        }
        List<String> layers = new ArrayList<>();
        if (n.has("config")) {
            layers.add(n.path("config").path("digest").asText());
        }
        n.path("layers").forEach(l -> layers.add(l.path("digest").asText()));
        for (String d : layers) {
            if (!blobs.getOrDefault(repo, Map.of()).containsKey(d)) {
                return error(400, "MANIFEST_BLOB_UNKNOWN", d);
            }
        }
        Manifest m = Manifest.of(bytes, type);
        putManifest(repo, reference.startsWith("sha256:") ? null : reference, m);
        return new MockResponse.Builder()
                .code(201)
                .addHeader("Docker-Content-Digest", m.digest().toString())
                .addHeader("Location", "/v2/" + repo + "/manifests/" + m.digest())
                .build();
    }

    // --- blobs ------------------------------------------------------------------------------------------------

    private MockResponse blob(RecordedRequest r, String repo, String digest) {
        if (!authorized(r, repo, "pull")) {
            return challenge(repo, "pull");
        }
        byte[] bytes = blobs.getOrDefault(repo, Map.of()).get(digest);
        if (bytes == null) {
            return error(404, "BLOB_UNKNOWN", "blob unknown to registry");
        }
        if (r.getMethod().equals("HEAD")) {
            return new MockResponse.Builder()
                    .code(200)
                    .addHeader("Content-Length", bytes.length)
                    .addHeader("Docker-Content-Digest", digest)
                    .build();
        }
        blobReads++;
        long from = 0;
        String range = r.getHeaders().get("Range");
        MockResponse.Builder b = new MockResponse.Builder().addHeader("Docker-Content-Digest", digest);
        if (range != null && range.matches("bytes=[0-9]+-")) {
            from = Long.parseLong(range.substring(6, range.length() - 1));
            b.code(206).addHeader("Content-Range", "bytes " + from + "-" + (bytes.length - 1) + "/" + bytes.length);
        } else {
            b.code(200);
        }
        if (blobReads == cutReadNumber) {
            // MockWebServer writes half of the body, then closes the socket.
            b.onResponseBody(new SocketEffect.CloseSocket());
        }
        return b.body(new Buffer().write(bytes, (int) from, (int) (bytes.length - from)))
                .build();
    }

    // --- uploads ----------------------------------------------------------------------------------------------

    private MockResponse upload(RecordedRequest r, HttpUrl url, String repo, String id) {
        if (!authorized(r, repo, "push")) {
            return challenge(repo, "push");
        }
        if (id.isEmpty()) {
            return r.getMethod().equals("POST") ? startUpload(r, url, repo) : error(405, "UNSUPPORTED", "");
        }
        Upload u = uploads.get(id);
        if (u == null || !u.repo.equals(repo)) {
            return error(404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry");
        }
        if (u.forgotten) {
            uploads.remove(id);
            return error(404, "BLOB_UPLOAD_INVALID", "blob upload invalid");
        }
        return switch (r.getMethod()) {
            case "PATCH" -> patch(r, repo, id, u);
            case "PUT" -> complete(r, url, repo, id, u);
            case "GET" -> uploadAnswer(204, repo, id, u).build();
            case "DELETE" -> {
                uploads.remove(id);
                yield new MockResponse.Builder().code(204).build();
            }
            default -> error(405, "UNSUPPORTED", r.getMethod());
        };
    }

    private MockResponse startUpload(RecordedRequest r, HttpUrl url, String repo) {
        String mount = url.queryParameter("mount");
        String from = url.queryParameter("from");
        if (mount != null && from == null && mountNeedsFrom) {
            return error(400, "UNSUPPORTED", "mount needs from");
        }
        if (mount != null && from != null && mounts) {
            boolean readable = !"Bearer".equals(scheme) || authorized(r, from, "pull");
            byte[] bytes = blobs.getOrDefault(from, Map.of()).get(mount);
            if (readable && bytes != null) {
                putBlob(repo, Digest.parse(mount), bytes);
                return new MockResponse.Builder()
                        .code(201)
                        .addHeader("Location", "/v2/" + repo + "/blobs/" + mount)
                        .addHeader("Docker-Content-Digest", mount)
                        .build();
            }
        }
        String id = "u" + ids.incrementAndGet();
        Upload u = new Upload(repo);
        uploads.put(id, u);
        return uploadAnswer(202, repo, id, u).build();
    }

    private MockResponse.Builder uploadAnswer(int status, String repo, String id, Upload u) {
        long size = u.data.size();
        return new MockResponse.Builder()
                .code(status)
                .addHeader(
                        "Location",
                        "https://" + apiHost + "/v2/" + repo + "/blobs/uploads/" + id + "?_state=" + id + "-" + size)
                .addHeader("Range", "0-" + (size > 0 ? size - 1 : 0))
                .addHeader("Docker-Upload-UUID", id);
    }

    private MockResponse patch(RecordedRequest r, String repo, String id, Upload u) {
        if (!chunks) {
            return error(400, "UNSUPPORTED", "chunked uploads are not supported");
        }
        patches++;
        byte[] body = r.getBody() == null ? new byte[0] : r.getBody().toByteArray();
        String range = r.getHeaders().get("Content-Range");
        if (range != null) {
            String[] se = range.split("-");
            long start = Long.parseLong(se[0]);
            long end = Long.parseLong(se[1]);
            if (start != u.data.size() || end - start + 1 != body.length) {
                return uploadAnswer(416, repo, id, u).build();
            }
        }
        if (maxPatch > 0 && body.length > maxPatch) {
            return uploadAnswer(416, repo, id, u).build();
        }
        if (patches == failPatchNumber) {
            u.data.write(body, 0, (int) Math.min(failPatchKeep, body.length));
            u.parts.add(Math.min(failPatchKeep, body.length));
            u.forgotten = forgetsOnFailure;
            return error(failPatchStatus, "UNKNOWN", "scripted failure");
        }
        u.data.write(body);
        u.parts.add((long) body.length);
        return uploadAnswer(patchStatus, repo, id, u).build();
    }

    private MockResponse complete(RecordedRequest r, HttpUrl url, String repo, String id, Upload u) {
        byte[] body = r.getBody() == null ? new byte[0] : r.getBody().toByteArray();
        if (body.length > 0) {
            u.data.write(body);
            u.parts.add((long) body.length);
        }
        for (int i = 0; i < u.parts.size() - 1; i++) {
            if (u.parts.get(i) < minPart) {
                uploads.remove(id);
                return error(400, "BLOB_UPLOAD_INVALID", "part " + (i + 1) + " is smaller than " + minPart);
            }
        }
        byte[] bytes = u.data.readByteArray();
        Digest d = Digest.parse(url.queryParameter("digest"));
        uploads.remove(id);
        if (!d.matches(bytes)) {
            return error(400, "DIGEST_INVALID", "provided digest did not match uploaded content");
        }
        putBlob(repo, d, bytes);
        return new MockResponse.Builder()
                .code(201)
                .addHeader("Location", "/v2/" + repo + "/blobs/" + d)
                .addHeader("Docker-Content-Digest", d.toString())
                .build();
    }

    /** The sizes of the PATCH bodies each finished or open upload received, in order. */
    synchronized List<Long> patchSizes() {
        return exchanges.stream()
                .filter(e -> e.method.equals("PATCH"))
                .map(e -> e.bodySize)
                .toList();
    }

    // --- helpers ----------------------------------------------------------------------------------------------

    private static MockResponse json(int status, String body) {
        return new MockResponse.Builder()
                .code(status)
                .addHeader("Content-Type", "application/json")
                .body(body)
                .build();
    }

    private static MockResponse error(int status, String code, String message) {
        return json(
                status,
                "{\"errors\":[{\"code\":\"" + code + "\",\"message\":\"" + message.replace("\"", "'") + "\"}]}");
    }

    static String hostHeader(HttpUrl u) {
        return u.port() == HttpUrl.defaultPort(u.scheme()) ? u.host() : u.host() + ":" + u.port();
    }

    @Override
    public void close() {
        server.close();
    }
}
