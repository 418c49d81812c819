package dev.multiarch.web;

import static dev.multiarch.web.ServerFixture.assertRefused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.store.StoreException;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The failure path every route shares: unknown paths, bodies over the limit, and what a bug answers. */
@ExtendWith(VertxExtension.class)
class RepliesTest {
    private static final Pattern INTERNAL =
            Pattern.compile("internal error \\(reference ([0-9a-f]{8})\\); the coordinator's log has the details");

    @TempDir
    Path dir;

    private ServerFixture server;
    private final List<LogRecord> logged = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            logged.add(r);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    @BeforeEach
    void start(Vertx vertx, VertxTestContext ctx) {
        Logger.getLogger(Replies.class.getName()).addHandler(capture);
        server = new ServerFixture(vertx, dir);
        server.start().onComplete(ctx.succeedingThenComplete());
    }

    @AfterEach
    void stop(VertxTestContext ctx) {
        Logger.getLogger(Replies.class.getName()).removeHandler(capture);
        server.close().onComplete(ctx.succeedingThenComplete());
    }

    @Test
    void unknownPath_is404_namingIt(VertxTestContext ctx) {
        server.get("/api/nothing-here")
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertRefused(a, 404, "no such page: /api/nothing-here");
                    ctx.completeNow();
                })));
    }

    @Test
    void bodyOverTheApiLimit_is413(VertxTestContext ctx) {
        Buffer big = Buffer.buffer(new byte[(int) CoordinatorServer.API_BODY_LIMIT + 1]);
        server.call(HttpMethod.POST, "/api/jobs/1/log?attempt=1", "Bearer whoever", big)
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertRefused(a, 413, "the request body is larger than /api/jobs/1/log accepts (at most 8 MiB)");
                    ctx.completeNow();
                })));
    }

    @Test
    void storeFailure_is500_withAReferenceToTheLog_andNothingOfTheCause(VertxTestContext ctx) {
        StoreException cause =
                new StoreException("store failure: jdbc:h2:file:/srv/data;PASSWORD=hunter2 is locked", null);
        server.breakStore(cause);
        Checkpoint answered = ctx.checkpoint(3);
        for (String path : List.of("/api/builds", "/api/runners", "/builds/1")) {
            server.get(path)
                    .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                        assertEquals(500, a.status(), a.body());
                        assertEquals("application/json", a.contentType());
                        Matcher m = INTERNAL.matcher(a.error());
                        assertTrue(m.matches(), a.error());
                        assertFalse(a.body().contains("hunter2"), a.body());
                        assertFalse(a.body().contains("jdbc"), a.body());
                        LogRecord r = logged.stream()
                                .filter(x ->
                                        x.getMessage().equals("GET " + path + " failed (reference " + m.group(1) + ")"))
                                .findFirst()
                                .orElseThrow(
                                        () -> new AssertionError("no log line for " + m.group(1) + " in " + logged));
                        assertSame(cause, r.getThrown(), "the stack trace is in the log");
                        answered.flag();
                    })));
        }
    }

    @Test
    void storeFailure_onARunnerCall_is500_soTheRunnerRetries(VertxTestContext ctx) {
        server.breakStore(new StoreException("store failure: disk full", null));
        server.post("/api/runners/poll", "Bearer 0123456789abcdef", null)
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertEquals(500, a.status(), a.body());
                    assertTrue(INTERNAL.matcher(a.error()).matches(), a.error());
                    ctx.completeNow();
                })));
    }
}
