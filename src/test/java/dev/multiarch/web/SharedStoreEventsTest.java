package dev.multiarch.web;

import static dev.multiarch.web.ServerFixture.ADMIN_TOKEN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.platform.Platform;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.store.BuildRecord;
import dev.multiarch.store.JdbcStore;
import dev.multiarch.store.JobRecord;
import dev.multiarch.store.NewBuild;
import dev.multiarch.testing.Poll;
import dev.multiarch.testing.TestDatabases;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live progress made by another coordinator: two stores on one PostgreSQL database, the server on the first, and the
 * build's progress (claim, log, cancel) recorded through the second only, so that no listener of the server's hears
 * of it. The stream must carry it all the same (its periodic store check), and end at the cancel. Also: the streams
 * are bounded.
 */
@ExtendWith({VertxExtension.class, TestDatabases.class})
class SharedStoreEventsTest {
    @TempDir
    Path dir;

    private TestDatabases.TestDatabase db;
    private JdbcStore other;
    private ServerFixture server;

    @BeforeEach
    void start(Vertx vertx, TestDatabases databases, VertxTestContext ctx) {
        db = databases.fresh(TestDatabases.Kind.POSTGRESQL, dir);
        server = new ServerFixture(vertx, dir, Optional.empty(), db.open());
        other = db.open();
        server.start().onComplete(ctx.succeedingThenComplete());
    }

    @AfterEach
    void stop(VertxTestContext ctx) {
        other.close();
        server.close().onComplete(ctx.succeedingThenComplete());
    }

    private BuildRecord queued() {
        return other.createBuild(NewBuild.builder()
                .repo("acme/app")
                .cloneUrl("file:///nowhere.git")
                .commit("d".repeat(40))
                .ref("refs/heads/main")
                .image(ImageReference.parse("registry.test/acme/app"))
                .spec("{}")
                .tags("[]")
                .jobs(List.of(new NewBuild.NewJob(Platform.parse("linux/amd64"), 600)))
                .build());
    }

    /** Opens a stream; what it receives is appended to {@code got}; the future completes when the server ends it. */
    private static CompletableFuture<Void> stream(
            HttpClient client, int port, String path, StringBuffer got, List<Integer> status) throws Exception {
        CompletableFuture<Void> ended = new CompletableFuture<>();
        status.add(client.request(HttpMethod.GET, port, "127.0.0.1", path)
                .compose(req ->
                        req.putHeader("Authorization", "Bearer " + ADMIN_TOKEN).send())
                .map(res -> {
                    res.handler(b -> got.append(b.toString()));
                    res.endHandler(v -> ended.complete(null));
                    return res.statusCode();
                })
                .await(30, TimeUnit.SECONDS));
        return ended;
    }

    @Test
    void progressRecordedByAnotherCoordinator_reachesTheStream_andItsCancelEndsIt(Vertx vertx) throws Exception {
        BuildRecord b = queued();
        HttpClient client = vertx.createHttpClient();
        StringBuffer got = new StringBuffer();
        List<Integer> status = new ArrayList<>();
        CompletableFuture<Void> ended = stream(client, server.port(), "/builds/" + b.id() + "/events", got, status);
        assertEquals(List.of(200), status);
        Poll.until(() -> got.toString().contains("\"state\":\"queued\""), got);

        JobRecord j = other.jobs(b.id()).get(0);
        JobRecord claimed = other.claimJob(j.id(), "runner-b", Instant.now().plusSeconds(600))
                .orElseThrow();
        Poll.until(() -> got.toString().contains("\"state\":\"running\""), got);
        other.appendLog(j.id(), claimed.attempt(), "from coordinator B\n", 1 << 20);
        Poll.until(() -> got.toString().contains("from coordinator B"), got);
        assertTrue(other.cancelBuild(b.id(), "cancelled on coordinator B"));
        ended.get(30, TimeUnit.SECONDS);
        String all = got.toString();
        assertTrue(all.contains("\"state\":\"cancelled\""), all);
        assertTrue(all.endsWith("event: end\ndata: {}\n\n"), all);
        assertEquals(1, count(all, "from coordinator B"), "each chunk once: " + all);
        client.close();
    }

    @Test
    void streamsBeyondTheLimit_areRefused_andAClosedOneFreesItsPlace(Vertx vertx) throws Exception {
        BuildRecord b = queued();
        HttpClient client = vertx.createHttpClient(
                new io.vertx.core.http.PoolOptions().setHttp1MaxSize(BuildEvents.MAX_STREAMS + 2));
        List<Integer> status = new ArrayList<>();
        for (int i = 0; i < BuildEvents.MAX_STREAMS; i++) {
            stream(client, server.port(), "/builds/" + b.id() + "/events", new StringBuffer(), status);
        }
        StringBuffer refused = new StringBuffer();
        CompletableFuture<Void> over = stream(client, server.port(), "/builds/" + b.id() + "/events", refused, status);
        over.get(30, TimeUnit.SECONDS);
        assertEquals(BuildEvents.MAX_STREAMS, count(status.toString(), "200"));
        assertEquals(503, status.get(status.size() - 1));
        assertTrue(refused.toString().contains("too many live streams"), refused.toString());
        client.close().await(30, TimeUnit.SECONDS);
        // The server hears the clients go and frees their places: a new stream is let in.
        HttpClient again = vertx.createHttpClient();
        Poll.until(
                () -> {
                    List<Integer> s = new ArrayList<>();
                    try {
                        StringBuffer ignored = new StringBuffer();
                        CompletableFuture<Void> f =
                                stream(again, server.port(), "/builds/" + b.id() + "/events", ignored, s);
                        if (s.get(0) == 200) {
                            return true;
                        }
                        f.get(30, TimeUnit.SECONDS);
                        return false;
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                },
                "a place after the clients closed");
        again.close();
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }
}
