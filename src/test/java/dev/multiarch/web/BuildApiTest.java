package dev.multiarch.web;

import static dev.multiarch.web.ServerFixture.ADMIN_TOKEN;
import static dev.multiarch.web.ServerFixture.SECRET;
import static dev.multiarch.web.ServerFixture.assertRefused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.store.BuildRecord;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(VertxExtension.class)
class BuildApiTest {
    private static final String ADMIN = "Bearer " + ADMIN_TOKEN;

    @TempDir
    Path dir;

    private ServerFixture server;

    @BeforeEach
    void start(Vertx vertx, VertxTestContext ctx) {
        server = new ServerFixture(vertx, dir);
        server.start().onComplete(ctx.succeedingThenComplete());
    }

    @AfterEach
    void stop(VertxTestContext ctx) {
        server.close().onComplete(ctx.succeedingThenComplete());
    }

    private static String trigger(String commit) {
        return "{\"cloneUrl\":\"https://git.example/nowhere.git\",\"ref\":\"refs/tags/v1.0.0\""
                + (commit == null ? "" : ",\"commit\":\"" + commit + "\"") + "}";
    }

    @Test
    void createBuilds_withoutAuthorization_is401_withAWrongSecret_is403(VertxTestContext ctx) {
        Checkpoint answered = ctx.checkpoint(2);
        server.post("/api/builds", null, trigger("a".repeat(40)))
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertRefused(a, 401, "missing Authorization: Bearer <token>");
                    answered.flag();
                })));
        server.post("/api/builds", "Bearer not-the-secret", trigger("a".repeat(40)))
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertRefused(a, 403, "this needs the coordinator's admin token (server.admin-token)");
                    answered.flag();
                })));
    }

    @Test
    void createBuilds_withTheRunnerRegistrationSecret_is403(VertxTestContext ctx) {
        server.post("/api/builds", "Bearer " + SECRET, trigger("a".repeat(40)))
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertRefused(a, 403, "this needs the coordinator's admin token (server.admin-token)");
                    assertEquals(List.of(), server.store.recentBuilds(10), "nothing was built");
                    ctx.completeNow();
                })));
    }

    @Test
    void createBuilds_withACloneUrlGitWouldRunOrReadLocally_is400(VertxTestContext ctx) {
        List<String> bad = List.of(
                "--upload-pack=touch /tmp/pwned",
                "ext::sh -c touch% /tmp/pwned",
                "file:///etc",
                "/srv/git/private.git",
                "ssh://git@example/repo.git",
                "http://example.com/repo.git",
                "http://127.0.0.1.evil.example/repo.git");
        Checkpoint answered = ctx.checkpoint(bad.size());
        for (String url : bad) {
            String body = "{\"cloneUrl\":" + io.vertx.core.json.Json.encode(url) + ",\"ref\":\"refs/tags/v1\","
                    + "\"commit\":\"" + "a".repeat(40) + "\"}";
            server.post("/api/builds", ADMIN, body)
                    .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                        assertRefused(
                                a, 400, "cloneUrl must be https:// (or http:// to this machine), got '" + url + "'");
                        answered.flag();
                    })));
        }
    }

    @Test
    void createBuilds_withAUserAndPasswordInTheCloneUrl_is400_andNeverEchoesThem(VertxTestContext ctx) {
        List<String> bad = List.of(
                "https://bot:hunter2-password@github.example/acme/app.git",
                "https://ghp_tokenonly@github.example/acme/app.git",
                "http://user:hunter2-password@127.0.0.1:8080/acme/app.git");
        Checkpoint answered = ctx.checkpoint(bad.size());
        for (String url : bad) {
            String body = "{\"cloneUrl\":" + io.vertx.core.json.Json.encode(url) + ",\"ref\":\"refs/tags/v1\","
                    + "\"commit\":\"" + "a".repeat(40) + "\"}";
            server.post("/api/builds", ADMIN, body)
                    .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                        assertRefused(
                                a,
                                400,
                                "cloneUrl must not carry a user name or password (user:password@host); the"
                                        + " coordinator hands runners what they need to fetch a private repository");
                        assertTrue(server.store.recentBuilds(10).isEmpty(), "nothing stored");
                        answered.flag();
                    })));
        }
    }

    @Test
    void createBuilds_declaringABodyOverTheLimit_is413_beforeItIsRead(VertxTestContext ctx) throws Exception {
        // A raw request: headers that promise a terabyte, and no body at all. The answer must come without waiting
        // for it.
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream()
                    .write(("POST /api/builds HTTP/1.1\r\nHost: x\r\nAuthorization: " + ADMIN
                                    + "\r\nContent-Type: application/json\r\nContent-Length: " + (1L << 40)
                                    + "\r\n\r\n")
                            .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            String status = new java.io.BufferedReader(new java.io.InputStreamReader(
                            socket.getInputStream(), java.nio.charset.StandardCharsets.US_ASCII))
                    .readLine();
            ctx.verify(() -> assertEquals("HTTP/1.1 413 Request Entity Too Large", status));
        }
        ctx.completeNow();
    }

    @Test
    void createBuilds_withoutCommit_is400(VertxTestContext ctx) {
        server.post("/api/builds", ADMIN, trigger(null))
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertRefused(a, 400, "cloneUrl, commit and ref are required");
                    ctx.completeNow();
                })));
    }

    @Test
    void createBuilds_withAShortCommit_is400(VertxTestContext ctx) {
        server.post("/api/builds", ADMIN, trigger("abc123"))
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertRefused(a, 400, "commit must be a full hex object id, got 'abc123'");
                    ctx.completeNow();
                })));
    }

    @Test
    void createBuilds_withMalformedJson_is400(VertxTestContext ctx) {
        server.post("/api/builds", ADMIN, "{\"cloneUrl\": \"x\", \"push\": \"maybe\"}")
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertEquals(400, a.status(), a.body());
                    assertTrue(a.error().startsWith("malformed TriggerRequest: "), a.error());
                    assertTrue(a.error().contains("\"maybe\""), a.error());
                    ctx.completeNow();
                })));
    }

    @Test
    void createBuilds_withAnEmptyTag_is400(VertxTestContext ctx) {
        String body = trigger("a".repeat(40)).replace("}", ",\"tags\":[\"edge\",\"\"]}");
        server.post("/api/builds", ADMIN, body)
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertRefused(a, 400, "tags: an empty tag in [edge, ]");
                    ctx.completeNow();
                })));
    }

    @Test
    void withoutSignIn_loginIs404_andPrivateBuildsAreForTheAdminTokenOnly(VertxTestContext ctx) {
        BuildRecord hidden = server.buildOf("octo-org/hello", true);
        BuildRecord shown = server.buildOf("octo-org/public", false);
        Checkpoint answered = ctx.checkpoint(4);
        for (String path : List.of("/login?next=/builds", "/login/callback?code=x&state=y")) {
            server.get(path)
                    .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                        assertRefused(
                                a,
                                404,
                                "sign-in is not configured on this coordinator (it needs the GitHub App's client-id and"
                                        + " client-secret under github: in config.yaml)");
                        answered.flag();
                    })));
        }
        server.get("/api/builds")
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertEquals(List.of(shown.id()), ids(a.array()));
                    answered.flag();
                })));
        server.call(io.vertx.core.http.HttpMethod.GET, "/api/builds", ADMIN, null)
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertEquals(List.of(shown.id(), hidden.id()), ids(a.array()), "newest first");
                    answered.flag();
                })));
    }

    @Test
    void getBuild_withNonNumericId_is400_andUnknownId_is404(VertxTestContext ctx) {
        Checkpoint answered = ctx.checkpoint(4);
        for (String path : List.of("/api/builds/latest", "/builds/latest")) {
            server.get(path)
                    .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                        assertRefused(a, 400, "not an id: 'latest' (expected a number)");
                        answered.flag();
                    })));
        }
        for (String path : List.of("/api/builds/4242", "/builds/4242")) {
            server.get(path)
                    .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                        assertRefused(a, 404, "no build 4242");
                        answered.flag();
                    })));
        }
    }

    @Test
    void builds_carryTheirOwnJobs_andFilterByCommit(VertxTestContext ctx) {
        BuildRecord first = server.queuedBuild("1".repeat(40), "linux/amd64", "linux/arm64");
        BuildRecord second = server.queuedBuild("2".repeat(40), "linux/s390x");
        BuildRecord failed = server.failedBuild(".multiarch.yaml:1: images: is required");
        Checkpoint answered = ctx.checkpoint(2);
        server.get("/api/builds")
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertEquals(200, a.status(), a.body());
                    JsonArray bs = a.array();
                    assertEquals(List.of(failed.id(), second.id(), first.id()), ids(bs), "newest first");
                    assertEquals(List.of(), platforms(bs.getJsonObject(0)));
                    assertEquals(List.of("linux/s390x"), platforms(bs.getJsonObject(1)));
                    assertEquals(List.of("linux/amd64", "linux/arm64"), platforms(bs.getJsonObject(2)));
                    answered.flag();
                })));
        server.get("/api/builds?commit=" + "2".repeat(40))
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertEquals(List.of(second.id()), ids(a.array()));
                    answered.flag();
                })));
    }

    @Test
    void build_saysWhetherItIsTerminal_andOnlyARunningPageFollowsLiveEvents(VertxTestContext ctx) {
        BuildRecord queued = server.queuedBuild("1".repeat(40), "linux/amd64");
        BuildRecord failed = server.failedBuild(".multiarch.yaml:1: images: is required");
        Checkpoint answered = ctx.checkpoint(4);
        server.get("/api/builds/" + queued.id())
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertEquals("queued", a.json().getString("state"));
                    assertFalse(a.json().getBoolean("terminal"));
                    answered.flag();
                })));
        server.get("/api/builds/" + failed.id())
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertEquals("failed", a.json().getString("state"));
                    assertTrue(a.json().getBoolean("terminal"));
                    answered.flag();
                })));
        server.get("/builds/" + queued.id())
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertEquals("text/html; charset=utf-8", a.contentType());
                    assertTrue(a.body().contains("data-events=\"/builds/" + queued.id() + "/events?after="), a.body());
                    assertFalse(a.body().contains("http-equiv=refresh"), "live, not reloaded");
                    answered.flag();
                })));
        server.get("/builds/" + failed.id())
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertTrue(a.body().contains("images: is required"), a.body());
                    assertFalse(a.body().contains("data-events="), a.body());
                    answered.flag();
                })));
    }

    @Test
    void cancel_unknownBuild_is404(VertxTestContext ctx) {
        server.post("/api/builds/4242/cancel", ADMIN, null)
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertRefused(a, 404, "no build 4242");
                    ctx.completeNow();
                })));
    }

    @Test
    void cancel_withoutTheSecret_is403_andLeavesTheBuild(VertxTestContext ctx) {
        BuildRecord b = server.queuedBuild("1".repeat(40), "linux/amd64");
        server.post("/api/builds/" + b.id() + "/cancel", "Bearer guess", null)
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertRefused(a, 403, "this needs the coordinator's admin token (server.admin-token)");
                    assertEquals(
                            "QUEUED",
                            server.store.build(b.id()).orElseThrow().state().name());
                    ctx.completeNow();
                })));
    }

    @Test
    void cancelAndRerun_withEitherRunnerSecret_are403_andLeaveTheBuild(VertxTestContext ctx) {
        BuildRecord b = server.queuedBuild("1".repeat(40), "linux/amd64");
        List<String> asks = List.of("cancel", "rerun");
        List<String> secrets = List.of(SECRET, ServerFixture.UNTRUSTED_SECRET);
        Checkpoint answered = ctx.checkpoint(asks.size() * secrets.size());
        for (String ask : asks) {
            for (String secret : secrets) {
                server.post("/api/builds/" + b.id() + "/" + ask, "Bearer " + secret, null)
                        .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                            assertRefused(a, 403, "this needs the coordinator's admin token (server.admin-token)");
                            assertEquals(
                                    "QUEUED",
                                    server.store
                                            .build(b.id())
                                            .orElseThrow()
                                            .state()
                                            .name());
                            answered.flag();
                        })));
            }
        }
    }

    @Test
    void bodies_jsonOrMultipart_neverLeaveAFileUploadsDirectory(VertxTestContext ctx) throws java.io.IOException {
        // A directory left by something else (an old checkout had one) is compared, not skipped over: no new entry.
        java.nio.file.Path uploads = java.nio.file.Path.of("file-uploads");
        java.util.Set<String> before = entries(uploads);
        String multipart = "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.bin\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n" + "x".repeat(4096) + "\r\n--b--\r\n";
        io.vertx.core.MultiMap form = io.vertx.core.MultiMap.caseInsensitiveMultiMap()
                .add("Authorization", ADMIN)
                .add("Content-Type", "multipart/form-data; boundary=b");
        io.vertx.core.MultiMap anonymous =
                io.vertx.core.MultiMap.caseInsensitiveMultiMap().add("Content-Type", "multipart/form-data; boundary=b");
        server.call(
                        io.vertx.core.http.HttpMethod.POST,
                        "/api/builds",
                        form,
                        io.vertx.core.buffer.Buffer.buffer(multipart))
                .compose(a -> server.call(
                        io.vertx.core.http.HttpMethod.POST,
                        "/api/runners/register",
                        anonymous,
                        io.vertx.core.buffer.Buffer.buffer(multipart)))
                .compose(a -> server.post("/api/builds", ADMIN, trigger("a".repeat(40))))
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertEquals(before, entries(uploads), "a body was written to ./file-uploads");
                    ctx.completeNow();
                })));
    }

    /** The names in {@code dir}; null when there is no such directory. */
    private static java.util.Set<String> entries(java.nio.file.Path dir) throws java.io.IOException {
        if (!java.nio.file.Files.isDirectory(dir)) {
            return null;
        }
        try (java.util.stream.Stream<java.nio.file.Path> s = java.nio.file.Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet());
        }
    }

    @Test
    void cancel_queuedBuild_is204_thenAgain_is409(VertxTestContext ctx) {
        BuildRecord b = server.queuedBuild("1".repeat(40), "linux/amd64");
        String path = "/api/builds/" + b.id() + "/cancel";
        server.post(path, ADMIN, null)
                .compose(first -> {
                    ctx.verify(() -> assertEquals(204, first.status(), first.body()));
                    return server.post(path, ADMIN, null);
                })
                .onComplete(ctx.succeeding(again -> ctx.verify(() -> {
                    assertRefused(
                            again,
                            409,
                            "build " + b.id() + " is cancelled; only a queued or running build can be cancelled");
                    ctx.completeNow();
                })));
    }

    private static List<Long> ids(JsonArray builds) {
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < builds.size(); i++) {
            out.add(builds.getJsonObject(i).getLong("id"));
        }
        return out;
    }

    private static List<String> platforms(JsonObject build) {
        List<String> out = new ArrayList<>();
        JsonArray jobs = build.getJsonArray("jobs");
        for (int i = 0; i < jobs.size(); i++) {
            out.add(jobs.getJsonObject(i).getString("platform"));
        }
        return out;
    }
}
