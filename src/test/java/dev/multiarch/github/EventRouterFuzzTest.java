package dev.multiarch.github;

import static dev.multiarch.testing.Fuzzing.check;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.SilentCloseable;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.multiarch.base.Json;
import dev.multiarch.config.ServiceConfig;
import dev.multiarch.dispatch.Dispatcher;
import dev.multiarch.pipeline.Coordinator;
import dev.multiarch.source.Git;
import dev.multiarch.store.JdbcStore;
import dev.multiarch.testing.Fuzzing;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * A signed delivery's payload, as the event thread handles it ({@code GitHubIntegration.process}): JSON text parsed
 * with the one mapper, then {@link EventRouter#route}, with a real store and coordinator and a loopback stand-in for
 * GitHub's contents API that serves a {@code .multiarch.yaml} from the same input (both are the pusher's to write).
 *
 * <p>{@code route} answers a note, or throws IOException when GitHub cannot be read (the delivery is retried).
 * Anything else would mark the delivery failed with an exception's class name: a finding.
 *
 * <p>Input: {@code EVENTS NUL .multiarch.yaml NUL payload}, EVENTS one line of event names; the payload is routed
 * once per event, in order, each time as a new delivery (so a push and a re-run of it fit in one input). The store
 * lives for the whole fuzzing run, so a finding can depend on builds earlier inputs made: the reproducer then needs
 * those inputs too.
 */
class EventRouterFuzzTest {
    @TempDir
    Path dir;

    private JdbcStore store;
    private Dispatcher dispatcher;
    private ExecutorService workers;
    private GitHubAccess access;
    private FakeContents github;
    private EventRouter router;
    private final AtomicLong deliveries = new AtomicLong();

    @BeforeEach
    void setUp() throws IOException {
        store = JdbcStore.embedded(dir.resolve("store"));
        github = new FakeContents();
        ServiceConfig sc = ServiceConfig.builder(dir.resolve("store"), "0123456789abcdef0123")
                .port(0)
                .publicUrl("http://ci.example")
                .longPoll(Duration.ofSeconds(5))
                .sourceCache(dir.resolve("sources"))
                .build();
        dispatcher = new Dispatcher(store, Duration.ofSeconds(30));
        workers = Executors.newSingleThreadExecutor();
        Coordinator coordinator =
                new Coordinator(sc, store, dispatcher, new Git.FileReader(dir.resolve("sources")), workers);
        access = new GitHubAccess(
                GitHubConfig.of(Map.of("webhook-secret", "s", "token", "ghp_t", "api-url", github.url()), dir),
                Clock.systemUTC());
        // Every kind of workflow on, publishing, so that every path of the router is reachable.
        List<Workflow> workflows = List.of(
                new Workflow("release", true, Workflow.Kind.TAG, List.of("*"), true, List.of()),
                new Workflow(
                        "edge", true, Workflow.Kind.BRANCH, List.of("{default}", "release/*"), true, List.of("edge")),
                new Workflow("pr", true, Workflow.Kind.PULL_REQUEST, List.of("*"), true, List.of("pr-{number}")));
        router = new EventRouter(coordinator, access, workflows);
    }

    @AfterEach
    void tearDown() {
        access.close();
        workers.shutdownNow();
        dispatcher.close();
        store.close();
        github.close();
    }

    @FuzzTest(maxDuration = "3m")
    void route(byte[] data) {
        // Jazzer's SSRF detector stays on for every other destination: a payload that made the router connect
        // anywhere but the stand-in would be a finding.
        SilentCloseable allowed = BugDetectors.allowNetworkConnections(
                (host, port) -> port == github.port() && (host.equals("localhost") || host.equals("127.0.0.1")));
        try {
            routeAll(data);
        } finally {
            allowed.close();
        }
    }

    private void routeAll(byte[] data) {
        List<String> in = Fuzzing.split(data, 3);
        github.config = in.get(1).isEmpty() ? null : in.get(1);
        JsonNode payload;
        try {
            payload = Json.MAPPER.readTree(in.get(2));
        } catch (IOException e) {
            return; // any JsonProcessingException: what the event thread catches
        }
        for (String event : in.get(0).trim().split("\\s+")) {
            String delivery = "fuzz-" + deliveries.incrementAndGet();
            Fuzzing.parse(() -> router.route(event, payload, delivery), IOException.class)
                    .ifPresent(note -> check(note != null && !note.isBlank(), "no note for " + event));
        }
    }

    /**
     * GitHub's {@code GET /repos/{owner}/{repo}} and {@code GET /repos/{owner}/{repo}/contents/.multiarch.yaml}, the
     * only calls routing makes; the file is whatever the current input says (404 when it says nothing).
     */
    static final class FakeContents implements AutoCloseable {
        private static final Pattern REPO = Pattern.compile("/repos/([^/]+)/([^/]+)(/contents/(.+))?");

        volatile String config;
        private final HttpServer server;

        FakeContents() throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/", this::handle);
            server.start();
        }

        int port() {
            return server.getAddress().getPort();
        }

        String url() {
            return "http://127.0.0.1:" + port();
        }

        private void handle(HttpExchange ex) throws IOException {
            Matcher m = REPO.matcher(ex.getRequestURI().getRawPath());
            String text = config;
            if (!m.matches()
                    || (m.group(3) != null && (text == null || !m.group(4).equals(".multiarch.yaml")))) {
                respond(ex, 404, Map.of("message", "Not Found"));
                return;
            }
            String full = m.group(1) + "/" + m.group(2);
            String repoUrl = url() + "/repos/" + full;
            if (m.group(3) == null) {
                respond(
                        ex,
                        200,
                        Map.of(
                                "id",
                                1,
                                "name",
                                m.group(2),
                                "full_name",
                                full,
                                "owner",
                                Map.of("login", m.group(1), "id", 1, "type", "User"),
                                "url",
                                repoUrl,
                                "default_branch",
                                "main"));
                return;
            }
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("type", "file");
            c.put("encoding", "base64");
            c.put("name", ".multiarch.yaml");
            c.put("path", ".multiarch.yaml");
            c.put("content", Base64.getMimeEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8)));
            c.put("sha", "0".repeat(40));
            c.put("url", repoUrl + "/contents/.multiarch.yaml");
            respond(ex, 200, c);
        }

        private static void respond(HttpExchange ex, int status, Object body) throws IOException {
            byte[] bytes = Json.write(body);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }
}
