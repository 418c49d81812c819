package dev.multiarch.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A reverse proxy in front of a real registry that records every exchange (method, path, {@code Content-Range},
 * {@code Range}, body size, status) and can break one on purpose: forward only the first half of the Nth
 * {@code PATCH} and answer 502 (a gateway failing mid-upload after the registry stored part of it), or send only half
 * of the Nth blob {@code GET} and drop the connection. Upload {@code Location}s are rewritten to point at the proxy.
 */
public final class RegistryProxy implements AutoCloseable {
    private static final Set<String> HOP = Set.of(
            "connection",
            "content-length",
            "host",
            "transfer-encoding",
            "upgrade",
            "keep-alive",
            "expect",
            "te",
            "trailer",
            "proxy-connection");

    /** One exchange as the proxy saw it. */
    public record Exchange(String method, String path, String contentRange, String range, int bodySize, int status) {}

    private final HttpServer server;
    private final String upstream;
    private final HttpClient http =
            HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    private final List<Exchange> exchanges = new ArrayList<>();
    private final AtomicInteger patches = new AtomicInteger();
    private volatile int cutPatch;
    private volatile String cutGet;

    public RegistryProxy(String upstreamHost) throws IOException {
        this.upstream = upstreamHost;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        // A held request must not stop the others: one thread per exchange.
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.start();
    }

    public String host() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    /** The {@code n}th PATCH (from 1) reaches the registry with half its body; the client gets 502. */
    public RegistryProxy cutPatch(int n) {
        this.cutPatch = n;
        return this;
    }

    /** The first GET whose path ends with {@code pathEnd} (a blob's digest) sends half its body, then drops. */
    public RegistryProxy cutGet(String pathEnd) {
        this.cutGet = pathEnd;
        return this;
    }

    /**
     * Every {@code method} request whose path ends with {@code pathEnd} is answered {@code status} with the registry
     * error {@code code}, without reaching the registry (a registry with immutable tags refusing a {@code .sig} tag).
     */
    public RegistryProxy refuse(String method, String pathEnd, int status, String code) {
        this.refusal = new Refusal(method, pathEnd, status, code);
        return this;
    }

    /**
     * The first {@code method} request whose path ends with {@code pathEnd} is held: {@link HeldRequest#arrived()} completes
     * when it comes, and after {@link HeldRequest#drop()} it is answered 502 without ever reaching the registry (a client
     * killed while it waited gets nothing). Recorded with status 0.
     */
    public synchronized HeldRequest hold(String method, String pathEnd) {
        hold = new HeldRequest(method, pathEnd);
        return hold;
    }

    private HeldRequest hold;

    private volatile double manifestFailures;
    private final java.util.Random random = new java.util.Random(42);

    /**
     * From now on a {@code fraction} of manifest requests (HEAD, GET, PUT of {@code /manifests/}) is answered 503
     * without reaching the registry, chosen at random (a fixed seed): a registry having a bad day. Recorded as 503.
     */
    public RegistryProxy failManifests(double fraction) {
        this.manifestFailures = fraction;
        return this;
    }

    private synchronized boolean failThis(String path) {
        return manifestFailures > 0 && path.contains("/manifests/") && random.nextDouble() < manifestFailures;
    }

    private synchronized HeldRequest takeHold(String method, String path) {
        HeldRequest h = hold;
        if (h != null && h.matches(method, path)) {
            hold = null;
            return h;
        }
        return null;
    }

    private record Refusal(String method, String pathEnd, int status, String code) {}

    /**
     * After {@code n} more requests have gone through, every request is answered {@code status} with the registry
     * error {@code code} and reaches nothing, until {@link #heal()}: a registry that breaks in the middle of a copy
     * (a quota reached, an outage) and stays broken.
     */
    public synchronized RegistryProxy breakAfter(int n, int status, String code) {
        this.breakAt = exchanges.size() + n;
        this.breakWith = new Refusal("", "", status, code);
        return this;
    }

    /** Ends {@link #breakAfter}: requests reach the registry again. */
    public synchronized RegistryProxy heal() {
        this.breakWith = null;
        return this;
    }

    private int breakAt;
    private Refusal breakWith;

    private synchronized Refusal broken() {
        return breakWith != null && exchanges.size() >= breakAt ? breakWith : null;
    }

    private volatile Refusal refusal;

    public synchronized List<Exchange> exchanges() {
        return List.copyOf(exchanges);
    }

    public List<Exchange> matching(String method, String pathPart) {
        return exchanges().stream()
                .filter(e -> e.method().equals(method) && e.path().contains(pathPart))
                .toList();
    }

    private synchronized boolean takeCutGet() {
        if (cutGet == null) {
            return false;
        }
        cutGet = null;
        return true;
    }

    private synchronized void record(Exchange e) {
        exchanges.add(e);
    }

    private void handle(HttpExchange ex) throws IOException {
        String method = ex.getRequestMethod();
        String path = ex.getRequestURI().getPath();
        String contentRange = ex.getRequestHeaders().getFirst("Content-Range");
        String range = ex.getRequestHeaders().getFirst("Range");
        byte[] body;
        try (InputStream in = ex.getRequestBody()) {
            body = in.readAllBytes();
        }
        HeldRequest held = takeHold(method, path);
        if (held != null) {
            held.waitForDrop();
            record(new Exchange(method, path, contentRange, range, body.length, 0));
            ex.sendResponseHeaders(502, -1);
            ex.close();
            return;
        }
        if (failThis(path)) {
            record(new Exchange(method, path, contentRange, range, body.length, 503));
            byte[] msg = "{\"errors\":[{\"code\":\"UNAVAILABLE\",\"message\":\"injected by the test\"}]}"
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(503, method.equals("HEAD") ? -1 : msg.length);
            if (!method.equals("HEAD")) {
                try (OutputStream os = ex.getResponseBody()) {
                    os.write(msg);
                }
            }
            ex.close();
            return;
        }
        Refusal refused = refusal;
        Refusal broken = broken();
        if (broken != null) {
            refused = new Refusal(method, path, broken.status(), broken.code());
        }
        if (refused != null && method.equals(refused.method()) && path.endsWith(refused.pathEnd())) {
            record(new Exchange(method, path, contentRange, range, body.length, refused.status()));
            byte[] msg = ("{\"errors\":[{\"code\":\"" + refused.code() + "\",\"message\":\"refused by the test\"}]}")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(refused.status(), msg.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(msg);
            }
            return;
        }
        boolean cutThisPatch = method.equals("PATCH") && patches.incrementAndGet() == cutPatch;
        boolean cutThisGet = method.equals("GET") && cutGet != null && path.endsWith(cutGet) && takeCutGet();
        byte[] forwarded = cutThisPatch ? Arrays.copyOf(body, body.length / 2) : body;
        HttpResponse<byte[]> r;
        try {
            r = forward(ex, method, forwarded);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ex.close();
            return;
        }
        if (cutThisPatch) {
            record(new Exchange(method, path, contentRange, range, body.length, 502));
            byte[] msg = "{\"errors\":[{\"code\":\"UNAVAILABLE\",\"message\":\"bad gateway\"}]}".getBytes();
            ex.sendResponseHeaders(502, msg.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(msg);
            }
            return;
        }
        record(new Exchange(method, path, contentRange, range, body.length, r.statusCode()));
        r.headers().map().forEach((k, vs) -> {
            if (!HOP.contains(k.toLowerCase(Locale.ROOT)) && !k.startsWith(":")) {
                ex.getResponseHeaders()
                        .put(
                                k,
                                vs.stream()
                                        .map(v -> k.equalsIgnoreCase("Location") ? v.replace(upstream, host()) : v)
                                        .toList());
            }
        });
        boolean noBody = method.equals("HEAD") || r.statusCode() == 204 || r.statusCode() == 304;
        if (noBody) {
            r.headers().firstValue("Content-Length").ifPresent(l -> ex.getResponseHeaders()
                    .set("Content-Length", l));
            ex.sendResponseHeaders(r.statusCode(), -1);
            ex.close();
            return;
        }
        ex.sendResponseHeaders(r.statusCode(), r.body().length == 0 ? -1 : r.body().length);
        OutputStream os = ex.getResponseBody();
        if (cutThisGet) {
            os.write(r.body(), 0, r.body().length / 2);
            os.flush();
            // Fewer bytes than announced: the server closes the connection instead of reusing it.
            ex.close();
            return;
        }
        os.write(r.body());
        os.close();
    }

    private HttpResponse<byte[]> forward(HttpExchange ex, String method, byte[] body)
            throws IOException, InterruptedException {
        HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create("http://" + upstream + ex.getRequestURI()))
                .method(
                        method,
                        body.length == 0 && !method.equals("PUT") && !method.equals("POST") && !method.equals("PATCH")
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofByteArray(body));
        ex.getRequestHeaders().forEach((k, vs) -> {
            if (!HOP.contains(k.toLowerCase(Locale.ROOT))) {
                vs.forEach(v -> rb.header(k, v));
            }
        });
        return http.send(rb.build(), HttpResponse.BodyHandlers.ofByteArray());
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
