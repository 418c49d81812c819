package dev.multiarch.github;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.config.ServiceConfig;
import dev.multiarch.dispatch.Dispatcher;
import dev.multiarch.pipeline.Coordinator;
import dev.multiarch.source.Git;
import dev.multiarch.store.DeliveryState;
import dev.multiarch.store.JdbcStore;
import dev.multiarch.store.Store;
import dev.multiarch.testing.Poll;
import dev.multiarch.web.CoordinatorServer;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /webhook} on a real server (port 0) before anything is processed: what is refused from the headers
 * alone, and the budget of bodies held at once. GitHub itself is never reached (its API URL is a closed port).
 */
class WebhookAnswersTest {
    @TempDir
    Path dir;

    private Vertx vertx;
    private JdbcStore jdbc;
    /** The store the coordinator sees: {@link #jdbc}, whose deliveries cannot be stored while {@link #storeFails}. */
    private Store store;

    private volatile boolean storeFails;
    private Dispatcher dispatcher;
    private ExecutorService workers;
    private Coordinator coordinator;
    private GitHubIntegration github;
    private CoordinatorServer server;

    @BeforeEach
    void start() throws Exception {
        jdbc = JdbcStore.embedded(dir.resolve("store"));
        store = (Store) Proxy.newProxyInstance(
                Store.class.getClassLoader(), new Class<?>[] {Store.class}, (proxy, method, args) -> {
                    if (storeFails && method.getName().equals("addDeliveries")) {
                        throw new IllegalStateException("the test's store refuses deliveries");
                    }
                    try {
                        return method.invoke(jdbc, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        ServiceConfig sc = ServiceConfig.builder(dir.resolve("store"), "0123456789abcdef0123")
                .port(0)
                .publicUrl("http://ci.example")
                .sourceCache(dir.resolve("sources"))
                .build();
        dispatcher = new Dispatcher(store, Duration.ofSeconds(30));
        workers = Executors.newSingleThreadExecutor();
        coordinator = new Coordinator(sc, store, dispatcher, new Git.FileReader(dir.resolve("sources")), workers);
        github = new GitHubIntegration(
                        GitHubConfig.of(
                                Map.of(
                                        "webhook-secret",
                                        "s",
                                        "token",
                                        "ghp_t",
                                        "api-url",
                                        "http://127.0.0.1:9",
                                        "workflows",
                                        Path.of("workflows").toAbsolutePath().toString()),
                                dir),
                        "http://ci.example")
                .bodyBudget(1000)
                .journalRecords(2);
        server = new CoordinatorServer(coordinator, dispatcher, List.of(github.routes(coordinator)));
        vertx = Vertx.vertx();
        vertx.deployVerticle(server).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        github.close();
        coordinator.close();
        workers.shutdownNow();
        dispatcher.close();
        jdbc.close();
    }

    /** A connection that sent a request head (and maybe part of its body); reads the status line, 10 s at most. */
    private Socket open(String head, String bodyPart) throws IOException {
        Socket s = new Socket("127.0.0.1", server.port());
        s.setSoTimeout(10_000);
        OutputStream out = s.getOutputStream();
        out.write((head + "\r\n" + bodyPart).getBytes(StandardCharsets.UTF_8));
        out.flush();
        return s;
    }

    private static String head(int contentLength) {
        return "POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "X-Hub-Signature-256: sha256=00\r\nX-GitHub-Event: ping\r\nX-GitHub-Delivery: d-1\r\n"
                + "Content-Length: " + contentLength + "\r\n";
    }

    /** The status line and the headers of the answer. */
    private static String answer(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        StringBuilder sb = new StringBuilder();
        int c;
        while (!sb.toString().endsWith("\r\n\r\n") && (c = in.read()) >= 0) {
            sb.append((char) c);
        }
        return sb.toString();
    }

    /** One request over a fresh connection: its status line, headers and body. */
    private String exchange(String head, String body) throws IOException {
        try (Socket s = open(head, body)) {
            // Headers, then as many bytes as they declare: a refusal before the body keeps the connection open.
            String headers = answer(s);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)content-length: *([0-9]+)")
                    .matcher(headers);
            int length = m.find() ? Integer.parseInt(m.group(1)) : 0;
            return headers + new String(s.getInputStream().readNBytes(length), StandardCharsets.UTF_8);
        }
    }

    private static void assertRefused(String answer, int status, String error) {
        assertTrue(answer.startsWith("HTTP/1.1 " + status + " "), answer);
        assertTrue(answer.toLowerCase().contains("content-type: application/json"), answer);
        String body = answer.substring(answer.indexOf("\r\n\r\n") + 4);
        assertEquals("{\"error\":" + io.vertx.core.json.Json.encode(error) + "}", body, answer);
    }

    @Test
    void refusals_areJsonErrorsLikeEveryOtherAnswer() throws Exception {
        String ok = "POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
        assertRefused(
                exchange(
                        "POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n", "{}"),
                415,
                "the webhook's content type must be application/json (got text/plain)");
        assertRefused(exchange(ok + "Content-Length: 2\r\n", "{}"), 401, "missing X-Hub-Signature-256");
        // (A Content-Length that is no number never gets here: the HTTP parser answers 400 itself.)
        assertRefused(
                exchange(ok + "X-Hub-Signature-256: sha256=00\r\nContent-Length: 26214401\r\n", ""),
                413,
                "the delivery is over 25 MB");
        assertRefused(
                exchange(ok + "X-Hub-Signature-256: sha256=00\r\nX-GitHub-Event: ping\r\nContent-Length: 2\r\n", "{}"),
                403,
                "X-Hub-Signature-256 does not match any configured webhook secret");
        String body = "{}";
        assertRefused(
                exchange(
                        ok + "X-Hub-Signature-256: " + WebhookSignature.sign("s", body.getBytes(StandardCharsets.UTF_8))
                                + "\r\nContent-Length: 2\r\n",
                        body),
                400,
                "missing X-GitHub-Event or X-GitHub-Delivery");
    }

    @Test
    void bodiesOverTheBudgetAtOnce_are503WithRetryAfter_untilTheHeldOneEnds() throws Exception {
        try (Socket held = open(head(800), "{\"zen\":")) {
            Poll.until(() -> github.bodiesHeld() == 800, "the first body holds 800 bytes of the budget");
            try (Socket second = open(head(800), "")) {
                String a = answer(second);
                assertTrue(a.startsWith("HTTP/1.1 503 "), a);
                assertTrue(a.toLowerCase().contains("retry-after: 5"), a);
            }
            held.getOutputStream().write(" \"x\"}".getBytes(StandardCharsets.UTF_8));
            held.getOutputStream().write(" ".repeat(800 - 12).getBytes(StandardCharsets.UTF_8));
            held.getOutputStream().flush();
            String a = answer(held);
            assertTrue(a.startsWith("HTTP/1.1 403 "), "read whole, then its signature was wrong: " + a);
        }
        Poll.until(() -> github.bodiesHeld() == 0, "the budget is free again");
        try (Socket third = open(head(800), "")) {
            third.getOutputStream().write(" ".repeat(800).getBytes(StandardCharsets.UTF_8));
            String a = answer(third);
            assertTrue(a.startsWith("HTTP/1.1 403 "), a);
        }
        Poll.until(() -> github.bodiesHeld() == 0, "released after each answer");
    }

    @Test
    void aClientThatHangsUpMidBody_givesItsShareOfTheBudgetBack() throws Exception {
        Socket gone = open(head(800), "{\"zen\":");
        Poll.until(() -> github.bodiesHeld() == 800, "the body holds 800 bytes of the budget");
        gone.close();
        Poll.until(() -> github.bodiesHeld() == 0, "released when the connection closed");
    }

    private String signed(String deliveryId, String hookId, String event) throws IOException {
        byte[] body = "{\"zen\":\"Keep it logically awesome.\",\"hook_id\":1}".getBytes(StandardCharsets.UTF_8);
        return exchange(
                "POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "X-Hub-Signature-256: " + WebhookSignature.sign("s", body) + "\r\nX-GitHub-Event: " + event
                        + "\r\nX-GitHub-Delivery: " + deliveryId + "\r\nX-GitHub-Hook-ID: " + hookId
                        + "\r\nContent-Length: " + body.length + "\r\n",
                new String(body, StandardCharsets.UTF_8));
    }

    @Test
    void signedDeliveryWithHeadersTheStoreCannotHold_is400_andNothingIsJournaledOrStored() throws Exception {
        // The signature covers the body only: a captured signed body can come with any headers. A delivery id longer
        // than its column, once acknowledged, would fail every group commit after it.
        assertRefused(
                signed("d".repeat(101), "4242", "ping"),
                400,
                "X-GitHub-Delivery must be at most 100 letters, digits, '.', '_', ':' or '-'");
        assertRefused(signed("d-2", "42x", "ping"), 400, "X-GitHub-Hook-ID must be a number of at most 64 digits");
        assertRefused(
                signed("d-3", "4242", "Ping"), 400, "X-GitHub-Event must be at most 100 lowercase letters or '_'");
        String ok = signed("d-4", "4242", "ping");
        assertTrue(ok.startsWith("HTTP/1.1 202 "), ok);
        Poll.until(
                () -> store.deliveriesIn(dev.multiarch.store.DeliveryState.RECEIVED)
                                        .size()
                                + store.deliveriesIn(dev.multiarch.store.DeliveryState.PROCESSED)
                                        .size()
                                + store.deliveriesIn(dev.multiarch.store.DeliveryState.IGNORED)
                                        .size()
                        == 1,
                "the good delivery stored, and only it");
    }

    @Test
    void aJournaledDelivery_holdsItsShareOfTheBudgetUntilStored_aRedeliveryNot() throws Exception {
        String first = signed("d-5", "4242", "ping");
        assertTrue(first.startsWith("HTTP/1.1 202 "), first);
        Poll.until(() -> github.bodiesHeld() == 0, "given back once its group was committed");
        String again = signed("d-5", "4242", "ping");
        assertTrue(again.startsWith("HTTP/1.1 200 "), again);
        Poll.until(() -> github.bodiesHeld() == 0, "a redelivery gives its share back when answered");
    }

    @Test
    void aDeliveryStoredBeforeTheIntegrationStarted_waitsForIt_thenIsProcessed() throws Exception {
        // routes() ran (the server listens) and started() did not: what an earlier process journaled is replayed in
        // started(), and a delivery taken in between must not be processed ahead of it.
        String first = signed("d-7", "4242", "ping");
        assertTrue(first.startsWith("HTTP/1.1 202 "), first);
        Poll.until(() -> github.waitingForStart() == 1, "stored, and held until started");
        assertEquals(1, store.deliveriesIn(DeliveryState.RECEIVED).size());
        github.started(coordinator);
        assertEquals(0, github.waitingForStart());
        Poll.until(() -> store.deliveriesIn(DeliveryState.RECEIVED).isEmpty(), "processed once started");
    }

    @Test
    void pastTheJournalsBound_whileTheStoreFails_is503WithRetryAfter_andTheRedeliveryIsTakenOnceItRecovers()
            throws Exception {
        storeFails = true;
        for (String id : List.of("f-1", "f-2")) {
            String a = signed(id, "4242", "ping");
            assertTrue(a.startsWith("HTTP/1.1 202 "), a);
        }
        String full = signed("f-3", "4242", "ping");
        assertRefused(full, 503, "too many webhook deliveries are waiting to be stored; try again shortly");
        assertTrue(full.toLowerCase().contains("retry-after: 5"), full);
        storeFails = false;
        // GitHub's redelivery (the same id), once the store takes the journal's two again.
        Poll.until(
                () -> {
                    try {
                        return signed("f-3", "4242", "ping").startsWith("HTTP/1.1 202 ");
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                },
                "f-3 taken once there is room");
        Poll.until(
                () -> store.storedDeliveries(java.util.Set.of(
                                        new Store.DeliveryKey("4242", "f-1"),
                                        new Store.DeliveryKey("4242", "f-2"),
                                        new Store.DeliveryKey("4242", "f-3")))
                                .size()
                        == 3,
                "all three stored");
    }

    @Test
    void aDeliveryAnEarlierProcessStoredAndLeftUnprocessed_isTakenAtStart_notWhenItsClaimRunsOut() throws Exception {
        // Stored (and so claimed for Store.DELIVERY_CLAIM) by a process that then died; the embedded store has one
        // owner, so this one takes it at start instead of the sweep 30 s later.
        assertTrue(store.addDelivery(new Store.Delivery(
                "4242",
                "left-1",
                "ping",
                "{\"zen\":\"left\",\"hook_id\":1}",
                java.time.Instant.now(),
                DeliveryState.RECEIVED,
                null)));
        github.started(coordinator);
        Poll.until(() -> store.deliveriesIn(DeliveryState.RECEIVED).isEmpty(), "processed at start");
    }
}
