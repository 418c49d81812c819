package dev.multiarch.web;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.multiarch.config.ServiceConfig;
import dev.multiarch.dispatch.Dispatcher;
import dev.multiarch.pipeline.Coordinator;
import dev.multiarch.platform.Platform;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.source.Git;
import dev.multiarch.store.BuildRecord;
import dev.multiarch.store.JdbcStore;
import dev.multiarch.store.NewBuild;
import dev.multiarch.store.Store;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A real {@link CoordinatorServer} on a port the OS picks, over an H2 store in a temporary directory; no registry,
 * buildah or git is touched by the requests the tests make. The store can be broken on demand (every call throws),
 * which is how a test reaches the 500 path through the real handlers.
 */
final class ServerFixture {
    static final String SECRET = "test-registration-secret-0123456789";
    static final String ADMIN_TOKEN = "test-admin-token-9876543210";
    static final String UNTRUSTED_SECRET = "test-untrusted-registration-secret-0123";

    /** What the server answered; {@code headers} for redirects and cookies. */
    record Answer(int status, String contentType, String body, MultiMap headers) {
        Answer(int status, String contentType, String body) {
            this(status, contentType, body, MultiMap.caseInsensitiveMultiMap());
        }

        String location() {
            return headers.get("Location");
        }

        /** The Set-Cookie header that sets {@code name}, whole (value and attributes), or null. */
        String setCookie(String name) {
            return headers.getAll("Set-Cookie").stream()
                    .filter(c -> c.startsWith(name + "="))
                    .findFirst()
                    .orElse(null);
        }

        /** The value {@code name} is set to, or null. */
        String cookie(String name) {
            String c = setCookie(name);
            return c == null ? null : c.substring(name.length() + 1).split(";", 2)[0];
        }

        JsonObject json() {
            return new JsonObject(body);
        }

        JsonArray array() {
            return new JsonArray(body);
        }

        String error() {
            return json().getString("error");
        }
    }

    private final Vertx vertx;
    private final JdbcStore jdbc;
    private volatile RuntimeException storeFailure;
    final Store store;
    private final Dispatcher dispatcher;
    private final ExecutorService workers = Executors.newFixedThreadPool(2);
    final Coordinator coordinator;
    private final CoordinatorServer server;
    /** One for every fixture (Java 17's client has no close; its selector thread ends with it). */
    private static final java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
            .version(java.net.http.HttpClient.Version.HTTP_1_1)
            .followRedirects(java.net.http.HttpClient.Redirect.NEVER)
            .build();

    ServerFixture(Vertx vertx, Path dir) {
        this(vertx, dir, Optional.empty());
    }

    /** @param signIn how people sign in (a test's fake GitHub), if at all */
    ServerFixture(Vertx vertx, Path dir, Optional<SignIn> signIn) {
        this(vertx, dir, signIn, JdbcStore.embedded(dir.resolve("data")));
    }

    /** Over a store the test opened (a PostgreSQL database that another store shares); closed with the server. */
    ServerFixture(Vertx vertx, Path dir, Optional<SignIn> signIn, JdbcStore jdbc) {
        this.vertx = vertx;
        this.jdbc = jdbc;
        this.store = (Store) Proxy.newProxyInstance(
                Store.class.getClassLoader(), new Class<?>[] {Store.class}, (proxy, method, args) -> {
                    RuntimeException failure = storeFailure;
                    if (failure != null && !method.getName().equals("close")) {
                        throw failure;
                    }
                    try {
                        return method.invoke(jdbc, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        ServiceConfig config = ServiceConfig.builder(dir.resolve("data"), SECRET)
                .adminToken(ADMIN_TOKEN)
                .untrustedRunnerSecret(UNTRUSTED_SECRET)
                .port(0)
                .publicUrl("http://coordinator.test")
                .longPoll(Duration.ofMillis(200))
                .sourceCache(dir.resolve("sources"))
                .build();
        this.dispatcher = new Dispatcher(store, config.leaseDuration());
        this.coordinator =
                new Coordinator(config, store, dispatcher, new Git.FileReader(config.sourceCache()), workers);
        this.server = new CoordinatorServer(coordinator, dispatcher, List.of(), signIn);
    }

    /** A shorter idle timeout than the configured one; before {@link #start()}. */
    ServerFixture idleTimeout(Duration d) {
        server.idleTimeout(d);
        return this;
    }

    Future<?> start() {
        return vertx.deployVerticle(server);
    }

    /** From now on every store call throws {@code failure}. */
    void breakStore(RuntimeException failure) {
        storeFailure = failure;
    }

    Future<Answer> call(HttpMethod method, String path, String authorization, Buffer body) {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap();
        if (authorization != null) {
            headers.add("Authorization", authorization);
        }
        return call(method, path, headers, body);
    }

    /**
     * A request with these headers (a Cookie); redirects are not followed. Sent with the JDK's client, not Vert.x's:
     * Vert.x 5.0.7's {@code HttpClientResponse.body()} can miss the end of a response that arrives on another thread
     * first and never complete (eclipse-vertx/vert.x#6038, fixed after 5.0.7), which is what left a test waiting
     * now and then for an answer the server had sent (ServerFixture.await). The server under test is Vert.x's.
     */
    Future<Answer> call(HttpMethod method, String path, MultiMap headers, Buffer body) {
        java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + server.port() + path))
                .method(
                        method.name(),
                        body == null
                                ? java.net.http.HttpRequest.BodyPublishers.noBody()
                                : java.net.http.HttpRequest.BodyPublishers.ofByteArray(body.getBytes()));
        headers.forEach(h -> b.header(h.getKey(), h.getValue()));
        return Future.fromCompletionStage(client.sendAsync(
                        b.build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString(java.nio.charset.StandardCharsets.UTF_8))
                .thenApply(r -> {
                    MultiMap h = MultiMap.caseInsensitiveMultiMap();
                    r.headers().map().forEach((name, values) -> values.forEach(v -> h.add(name, v)));
                    return new Answer(
                            r.statusCode(),
                            r.headers().firstValue("Content-Type").orElse(null),
                            r.body(),
                            h);
                }));
    }

    /** A GET with {@code Cookie: cookie} (null: none). */
    Future<Answer> get(String path, String cookie) {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap();
        if (cookie != null) {
            headers.add("Cookie", cookie);
        }
        return call(HttpMethod.GET, path, headers, null);
    }

    /**
     * A test's answer, or an AssertionError after 30 s. A wait for one answer that never ended was seen once each in
     * DashboardTest, SignInTest and DashboardScaleTest (which waited without a limit and held a CI run for minutes) in
     * full runs, never alone. Looked at live in the last: the server's workers idle, no connection open between the
     * test's client and the server, no HTTP request object of either side left in the heap; the test's future simply
     * never completed. The error carries what every thread was doing (also on standard error, which surefire keeps).
     */
    static <T> T await(Future<T> f) {
        try {
            return f.await(30, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            StringBuilder threads = new StringBuilder();
            Thread.getAllStackTraces().forEach((t, stack) -> {
                threads.append('\n').append(t.getName()).append(' ').append(t.getState());
                for (StackTraceElement el : stack) {
                    threads.append("\n    at ").append(el);
                }
            });
            System.err.println("no answer within 30 s; threads:" + threads);
            throw new AssertionError("no answer within 30 s; threads:" + threads, e);
        }
    }

    int port() {
        return server.port();
    }

    Future<Answer> get(String path) {
        return call(HttpMethod.GET, path, (String) null, null);
    }

    Future<Answer> post(String path, String authorization, String body) {
        return call(HttpMethod.POST, path, authorization, body == null ? null : Buffer.buffer(body));
    }

    /** A queued build of {@code commit} with one job per platform, as the planner would store it. */
    BuildRecord queuedBuild(String commit, String... platforms) {
        return store.createBuild(NewBuild.builder()
                .repo("acme/app")
                .cloneUrl("file:///nowhere.git")
                .commit(commit)
                .ref("refs/tags/v1.0.0")
                .image(ImageReference.parse("registry.test/acme/app"))
                .spec("{}")
                .tags("[]")
                .version("1.0.0")
                .push(true)
                .jobs(java.util.Arrays.stream(platforms)
                        .map(p -> new NewBuild.NewJob(Platform.parse(p), 600))
                        .toList())
                .build());
    }

    /** A failed build of {@code repo} (no jobs; the store's minimum), of a private repository or not. */
    BuildRecord buildOf(String repo, boolean privateRepo) {
        return store.createBuild(NewBuild.builder()
                .repo(repo)
                .cloneUrl("https://github.example/" + repo + ".git")
                .commit("c".repeat(40))
                .ref("refs/tags/v1.0.0")
                .image(ImageReference.parse("registry.test/" + repo))
                .push(true)
                .privateRepo(privateRepo)
                .failedWith("refused by policy: " + repo)
                .build());
    }

    /** A build that failed before it had jobs (an invalid {@code .multiarch.yaml}). */
    BuildRecord failedBuild(String why) {
        return store.createBuild(NewBuild.builder()
                .repo("acme/app")
                .cloneUrl("file:///nowhere.git")
                .commit("b".repeat(40))
                .ref("refs/tags/v1.0.0")
                .push(true)
                .failedWith(why)
                .build());
    }

    /** Stops the server, then what it used; the store last. */
    Future<Void> close() {
        return vertx.close().andThen(ar -> {
            dispatcher.close();
            workers.shutdownNow();
            try {
                // The coordinator's work still running writes to the store and its directory: the store closes, and
                // the test's temporary directory goes, only after it (a clean-clone run once failed to delete it).
                if (!workers.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the coordinator's work did not stop within 30 s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            coordinator.close();
            jdbc.close();
        });
    }

    static void assertRefused(Answer a, int status, String message) {
        assertEquals(status, a.status(), a.body());
        assertEquals("application/json", a.contentType());
        assertEquals(message, a.error());
    }
}
