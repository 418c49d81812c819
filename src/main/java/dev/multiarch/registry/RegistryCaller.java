package dev.multiarch.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.base.Json;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLException;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * Runs every {@link RegistryOperation}: picks the base URL (the registry's API host from {@link RegistryProfile}:
 * {@code docker.io} is served at {@code registry-1.docker.io}), owns the HTTP exchange, and maps unexpected answers to
 * {@link RegistryException}s carrying the registry's own error code (distribution-spec "Error Codes"); a 429's hint
 * names the rate limit the registry stated ({@link RateLimit}).
 *
 * <p>Schemes, as docker treats registries: HTTPS with verified TLS by default; plain HTTP first for loopback
 * registries ({@code localhost}, 127.0.0.0/8, ::1) and with {@code --plain-http}, switching to unverified TLS when
 * the port turns out to speak TLS; an {@code --insecure} registry is tried with unverified TLS, falling back to HTTP.
 */
final class RegistryCaller {
    private final HttpClients clients;
    private final boolean plainHttpEverywhere;
    private final Set<String> insecure;
    private final boolean insecureEverywhere;
    private final RetryPolicy retry;
    private final RegistryClient.FailureListener failures;
    private final Map<String, HttpUrl> bases = new ConcurrentHashMap<>();

    RegistryCaller(
            HttpClients clients,
            boolean plainHttpEverywhere,
            Set<String> insecure,
            boolean insecureEverywhere,
            RetryPolicy retry,
            RegistryClient.FailureListener failures) {
        this.clients = clients;
        this.plainHttpEverywhere = plainHttpEverywhere;
        this.insecure = insecure;
        this.insecureEverywhere = insecureEverywhere;
        this.retry = retry;
        this.failures = failures;
    }

    /** Runs one operation; a failure is told to the listener (metrics), then thrown. */
    <T> T call(String registry, RegistryOperation<T> op) {
        try {
            return attempt(registry, op);
        } catch (RegistryException e) {
            try {
                failures.failed(e);
            } catch (RuntimeException ignored) {
                // A listener's trouble must not replace the registry's error.
            }
            throw e;
        }
    }

    private <T> T attempt(String registry, RegistryOperation<T> op) {
        HttpUrl base = base(registry);
        boolean isInsecure = insecureEverywhere || insecure.contains(registry) || isLoopback(registry);
        OkHttpClient client = clients.forScheme(base.scheme(), isInsecure);
        Request request = op.request(base)
                .newBuilder()
                .tag(AuthScope.class, new AuthScope(registry, op.scopes()))
                .build();
        try (Response r = client.newCall(request).execute()) {
            if (op.accepts(r.code())) {
                return op.handle(r);
            }
            if (r.code() == 400 && base.scheme().equals("http") && isInsecure && speaksTls(r)) {
                // Plain HTTP to a TLS port: Go's server answers 400 "Client sent an HTTP request to an HTTPS
                // server". A loopback or insecure registry that serves TLS is then used over unverified TLS.
                bases.put(registry, base.newBuilder().scheme("https").build());
                return attempt(registry, op);
            }
            throw fromResponse(registry, op, r);
        } catch (RegistryAuthException e) {
            throw RegistryException.builder(op.action(), op.target())
                    .code(e.code())
                    .detail(e.getMessage())
                    .hint("check the credentials for " + registry
                            + " (--username/--password, docker login, or --docker-cfg)")
                    .build(e);
        } catch (SSLException e) {
            if (isInsecure && base.scheme().equals("https")) {
                bases.put(registry, base.newBuilder().scheme("http").build());
                return attempt(registry, op);
            }
            throw RegistryException.builder(op.action(), op.target())
                    .code("TLS_FAILED")
                    .detail(e.getMessage())
                    .hint("if " + registry + " serves plain HTTP or a self-signed certificate, pass --insecure")
                    .build(e);
        } catch (InterruptedIOException e) {
            throw RegistryException.builder(op.action(), op.target())
                    .code("TIMEOUT")
                    .detail(e.getMessage() == null ? "no answer in time" : e.getMessage())
                    .hint(registry + " did not answer in time")
                    .build(e);
        } catch (IOException e) {
            String why = e instanceof UnknownHostException
                    ? "unknown host " + e.getMessage()
                    : e instanceof ConnectException
                            ? "connection refused by " + registry
                            : e.getClass().getSimpleName() + ": " + e.getMessage();
            throw RegistryException.builder(op.action(), op.target())
                    .code("UNREACHABLE")
                    .detail(why)
                    .hint("gave up after " + retry.attempts() + " attempts; is " + registry + " up and reachable?")
                    .build(e);
        }
    }

    private static boolean speaksTls(Response r) {
        try {
            return r.peekBody(512).string().contains("HTTPS server");
        } catch (IOException e) {
            return false;
        }
    }

    /** The registry's API base URL: its API host ({@link RegistryProfile}, e.g. Docker Hub's), with the scheme. */
    HttpUrl base(String registry) {
        return bases.computeIfAbsent(registry, r -> {
            String scheme = plainHttpEverywhere || isLoopback(r) ? "http" : "https";
            HttpUrl u = HttpUrl.parse(scheme + "://" + RegistryProfile.of(r).apiHost(r) + "/");
            if (u == null) {
                throw new IllegalArgumentException("invalid registry host '" + r + "'");
            }
            return u;
        });
    }

    /** docker treats localhost and 127.0.0.0/8 as insecure registries; we talk plain HTTP to them. */
    static boolean isLoopback(String registry) {
        String host = registry;
        if (host.startsWith("[")) {
            host = host.substring(1, host.indexOf(']'));
        } else if (host.indexOf(':') == host.lastIndexOf(':') && host.contains(":")) {
            host = host.substring(0, host.indexOf(':'));
        }
        host = host.toLowerCase(Locale.ROOT);
        if (host.equals("localhost")) {
            return true;
        }
        if (host.matches("[0-9.]+") || host.contains(":")) {
            try {
                return InetAddress.getByName(host).isLoopbackAddress();
            } catch (UnknownHostException e) {
                return false;
            }
        }
        return false;
    }

    private RegistryException fromResponse(String registry, RegistryOperation<?> op, Response r) throws IOException {
        String code = "HTTP " + r.code();
        String detail = null;
        ResponseBody body = r.body();
        byte[] bytes = body.source()
                .peek()
                .readByteArray(
                        Math.min(64 * 1024, Math.max(0, body.contentLength() < 0 ? 64 * 1024 : body.contentLength())));
        if (bytes.length > 0) {
            try {
                JsonNode errors = Json.parse(bytes).path("errors");
                if (errors.isArray() && !errors.isEmpty()) {
                    JsonNode e0 = errors.get(0);
                    code = e0.path("code").asText(code);
                    String message = e0.path("message").asText("");
                    JsonNode d = e0.get("detail");
                    String dText = d == null || d.isNull() ? "" : d.isTextual() ? d.asText() : d.toString();
                    detail = dText.isEmpty() ? message : message.isEmpty() ? dText : message + ": " + dText;
                }
            } catch (RuntimeException notJson) {
                String text = new String(bytes, java.nio.charset.StandardCharsets.UTF_8).strip();
                detail = text.length() > 200 ? text.substring(0, 200) + "…" : text;
            }
        }
        String hint = op.hint(code, r.code());
        if (hint == null) {
            hint = genericHint(code, r.code(), registry, r);
        }
        return RegistryException.builder(op.action(), op.target())
                .code(code)
                .detail(detail)
                .httpStatus(r.code())
                .hint(hint)
                .build();
    }

    private String genericHint(String code, int status, String registry, Response r) {
        if (status == 429) {
            return RateLimit.hint(registry, r.headers(), retry.attempts());
        }
        return switch (code) {
            case "UNAUTHORIZED", "DENIED" ->
                "check the credentials and their rights on this repository (--username/--password, docker login, --docker-cfg)";
            case "NAME_UNKNOWN" -> "the repository does not exist on this registry";
            case "MANIFEST_UNKNOWN" -> "no such tag or digest";
            default ->
                status >= 500
                        ? "the registry kept failing; retried " + retry.attempts() + " times"
                        : status == 401
                                ? "check the credentials (--username/--password, docker login, --docker-cfg)"
                                : null;
        };
    }

    RetryPolicy retry() {
        return retry;
    }

    void close() {
        clients.close();
    }
}
