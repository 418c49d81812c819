package dev.multiarch.web;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.multiarch.store.BuildRecord;
import dev.multiarch.testing.TestDatabases;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two coordinators (real servers, each with its own store) on one PostgreSQL database, as behind a load balancer
 * without sticky sessions: a sign-in started on one comes back to the other, and the session works on both.
 */
@ExtendWith({VertxExtension.class, TestDatabases.class})
class SharedSignInTest {
    private static final String HIDDEN_REPO = "octo-org/hello";

    @TempDir
    Path dir;

    private final FakeSignIn github = new FakeSignIn().reader(HIDDEN_REPO, "octocat");
    private Vertx otherVertx;
    private ServerFixture a;
    private ServerFixture b;
    private BuildRecord hidden;

    @BeforeEach
    void start(Vertx vertx, TestDatabases databases, VertxTestContext ctx) throws Exception {
        TestDatabases.TestDatabase db = databases.fresh(TestDatabases.Kind.POSTGRESQL, dir);
        otherVertx = Vertx.vertx();
        a = new ServerFixture(
                vertx, java.nio.file.Files.createDirectories(dir.resolve("a")), Optional.of(github), db.open());
        b = new ServerFixture(
                otherVertx, java.nio.file.Files.createDirectories(dir.resolve("b")), Optional.of(github), db.open());
        hidden = a.buildOf(HIDDEN_REPO, true);
        Future.all(a.start(), b.start()).onComplete(ctx.succeedingThenComplete());
    }

    @AfterEach
    void stop(VertxTestContext ctx) {
        Future.all(a.close(), b.close()).onComplete(ctx.succeedingThenComplete());
    }

    private static String state(String authorizeUrl) {
        for (String kv : URI.create(authorizeUrl).getRawQuery().split("&")) {
            if (kv.startsWith("state=")) {
                return URLDecoder.decode(kv.substring(6), StandardCharsets.UTF_8);
            }
        }
        throw new AssertionError("no state in " + authorizeUrl);
    }

    private List<Long> seen(ServerFixture server, String cookie) {
        ServerFixture.Answer list = ServerFixture.await(server.get("/api/builds", cookie));
        assertEquals(200, list.status(), list.body());
        return list.array().stream().map(x -> ((JsonObject) x).getLong("id")).toList();
    }

    @Test
    void signInStartedOnA_callbackOnB_sessionValidOnBoth_signOutOnBEndsItOnA() {
        ServerFixture.Answer started = ServerFixture.await(
                a.get("/login?next=" + URLEncoder.encode("/builds/" + hidden.id(), StandardCharsets.UTF_8), null));
        assertEquals(302, started.status(), started.body());
        String loginCookie = Sessions.LOGIN_COOKIE + "=" + started.cookie(Sessions.LOGIN_COOKIE);

        ServerFixture.Answer back = ServerFixture.await(b.get(
                "/login/callback?code=code-for-octocat&state="
                        + URLEncoder.encode(state(started.location()), StandardCharsets.UTF_8),
                loginCookie));
        assertEquals(302, back.status(), back.body());
        assertEquals("/builds/" + hidden.id(), back.location(), "back where the sign-in started, on A");
        String session = Sessions.SESSION_COOKIE + "=" + back.cookie(Sessions.SESSION_COOKIE);

        assertEquals(List.of(hidden.id()), seen(a, session), "the session opened on B works on A");
        assertEquals(List.of(hidden.id()), seen(b, session));
        assertEquals(List.of(), seen(a, null));
        ServerFixture.Answer replay = ServerFixture.await(a.get(
                "/login/callback?code=code-for-octocat&state="
                        + URLEncoder.encode(state(started.location()), StandardCharsets.UTF_8),
                loginCookie));
        assertEquals(403, replay.status(), "the state was spent on B, so A refuses it too");

        ServerFixture.Answer out = ServerFixture.await(b.get("/logout", session));
        assertEquals(302, out.status(), out.body());
        assertEquals(List.of(), seen(a, session), "signed out on B, signed out on A");
    }
}
