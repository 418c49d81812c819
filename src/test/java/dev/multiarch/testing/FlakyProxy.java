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
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A reverse proxy in front of a real registry that answers its first {@code failures} requests with 503 (a registry
 * having a bad minute), then forwards everything unchanged.
 */
public final class FlakyProxy implements AutoCloseable {
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

    private final HttpServer server;
    private final AtomicInteger remainingFailures;
    private final AtomicInteger failed = new AtomicInteger();
    private final HttpClient http =
            HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    public FlakyProxy(String upstreamHost, int failures) throws IOException {
        this.remainingFailures = new AtomicInteger(failures);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> handle(ex, upstreamHost));
        server.start();
    }

    public String host() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    /** How many requests got a 503. */
    public int failed() {
        return failed.get();
    }

    private void handle(HttpExchange ex, String upstream) throws IOException {
        try (ex) {
            byte[] body;
            try (InputStream in = ex.getRequestBody()) {
                body = in.readAllBytes();
            }
            if (remainingFailures.getAndDecrement() > 0) {
                failed.incrementAndGet();
                byte[] msg = "{\"errors\":[{\"code\":\"UNAVAILABLE\",\"message\":\"flaky proxy\"}]}".getBytes();
                ex.getResponseHeaders().add("Content-Type", "application/json");
                ex.sendResponseHeaders(503, msg.length);
                ex.getResponseBody().write(msg);
                return;
            }
            HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create("http://" + upstream + ex.getRequestURI()))
                    .method(
                            ex.getRequestMethod(),
                            body.length == 0
                                            && !ex.getRequestMethod().equals("PUT")
                                            && !ex.getRequestMethod().equals("POST")
                                    ? HttpRequest.BodyPublishers.noBody()
                                    : HttpRequest.BodyPublishers.ofByteArray(body));
            ex.getRequestHeaders().forEach((k, vs) -> {
                if (!HOP.contains(k.toLowerCase(Locale.ROOT))) {
                    vs.forEach(v -> rb.header(k, v));
                }
            });
            HttpResponse<byte[]> r = http.send(rb.build(), HttpResponse.BodyHandlers.ofByteArray());
            r.headers().map().forEach((k, vs) -> {
                if (!HOP.contains(k.toLowerCase(Locale.ROOT)) && !k.startsWith(":")) {
                    List<String> out = vs.stream()
                            .map(v -> k.equalsIgnoreCase("Location") ? v.replace(upstream, host()) : v)
                            .toList();
                    ex.getResponseHeaders().put(k, out);
                }
            });
            boolean noBody = ex.getRequestMethod().equals("HEAD") || r.statusCode() == 204 || r.statusCode() == 304;
            if (noBody) {
                String len = r.headers().firstValue("Content-Length").orElse(null);
                if (len != null) {
                    ex.getResponseHeaders().set("Content-Length", len);
                }
                ex.sendResponseHeaders(r.statusCode(), -1);
            } else {
                ex.sendResponseHeaders(r.statusCode(), r.body().length == 0 ? -1 : r.body().length);
                try (OutputStream os = ex.getResponseBody()) {
                    os.write(r.body());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
