package dev.multiarch.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a client that sends little or nothing can hold: idle connections, and bodies nobody authenticated. */
class ServerLimitsTest {
    @TempDir
    Path dir;

    private Vertx vertx;
    private ServerFixture server;

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        server = new ServerFixture(vertx, dir).idleTimeout(Duration.ofSeconds(1));
        server.start().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        server.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private Socket open(String request) throws IOException {
        Socket s = new Socket("127.0.0.1", server.port());
        s.setSoTimeout(10_000);
        s.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
        s.getOutputStream().flush();
        return s;
    }

    private static String statusLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            sb.append((char) c);
        }
        return sb.toString().trim();
    }

    @Test
    void idleTimeout_isAMinute_orLongerThanTheLongPoll() {
        assertEquals(Duration.ofSeconds(60), CoordinatorServer.idleTimeoutFor(Duration.ofSeconds(25)));
        assertEquals(Duration.ofSeconds(150), CoordinatorServer.idleTimeoutFor(Duration.ofSeconds(120)));
    }

    @Test
    void aConnectionThatSendsNothing_isClosed() throws Exception {
        try (Socket s = open("")) {
            long started = System.nanoTime();
            assertEquals(-1, s.getInputStream().read(), "closed without an answer");
            assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(9), "by the idle timeout");
        }
    }

    @Test
    void aLongPoll_stillEndsWithItsAnswer_underAnIdleTimeout() throws Exception {
        // The fixture's long-poll is 200 ms, its idle timeout here 1 s (in service: idleTimeoutFor keeps it longer).
        var r = server.coordinator.registerRunner(
                "box", List.of(dev.multiarch.platform.Platform.parse("linux/amd64")), List.of(), false);
        try (Socket s = open("POST /api/runners/poll HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + r.token()
                + "\r\nContent-Length: 0\r\n\r\n")) {
            assertEquals("HTTP/1.1 204 No Content", statusLine(s.getInputStream()));
        }
    }

    @Test
    void routesThatNeedAToken_refuseRequestsWithoutOne_beforeReadingTheBody() throws Exception {
        for (String path : List.of(
                "/api/runners/poll",
                "/api/jobs/1/log?attempt=1",
                "/api/jobs/1/complete",
                "/api/builds",
                "/api/builds/1/cancel",
                "/api/builds/1/rerun")) {
            // 4 MiB declared, none sent: an answer can only come before the body.
            try (Socket s = open("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 4194304\r\n\r\n")) {
                assertEquals("HTTP/1.1 401 Unauthorized", statusLine(s.getInputStream()), path);
            }
        }
    }
}
