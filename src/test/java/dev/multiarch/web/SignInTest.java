package dev.multiarch.web;

import static dev.multiarch.web.ServerFixture.ADMIN_TOKEN;
import static dev.multiarch.web.ServerFixture.assertRefused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.store.BuildRecord;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signing in and who sees which build, on a real server with a scripted GitHub ({@link FakeSignIn}). Requests are
 * made one after another as a browser would, each awaited on the test thread; redirects are read, not followed.
 */
@ExtendWith(VertxExtension.class)
class SignInTest {
    private static final String HIDDEN_REPO = "octo-org/hello";

    @TempDir
    Path dir;

    private final FakeSignIn github = new FakeSignIn().reader(HIDDEN_REPO, "octocat");
    private ServerFixture server;
    private BuildRecord shown;
    private BuildRecord hidden;

    @BeforeEach
    void start(Vertx vertx, VertxTestContext ctx) {
        server = new ServerFixture(vertx, dir, Optional.of(github));
        shown = server.buildOf("octo-org/public", false);
        hidden = server.buildOf(HIDDEN_REPO, true);
        server.start().onComplete(ctx.succeedingThenComplete());
    }

    @AfterEach
    void stop(VertxTestContext ctx) {
        server.close().onComplete(ctx.succeedingThenComplete());
    }

    private ServerFixture.Answer get(String path, String cookie) {
        return ServerFixture.await(server.get(path, cookie));
    }

    private static Map<String, String> query(String url) {
        Map<String, String> q = new LinkedHashMap<>();
        for (String kv : URI.create(url).getRawQuery().split("&")) {
            String[] p = kv.split("=", 2);
            q.put(p[0], URLDecoder.decode(p[1], StandardCharsets.UTF_8));
        }
        return q;
    }

    /** {@code GET /login?next=…}: GitHub's authorize URL (its state) and the browser's login cookie. */
    private record Started(String state, String loginCookie, ServerFixture.Answer answer) {}

    private Started login(String next) {
        ServerFixture.Answer a =
                get("/login" + (next == null ? "" : "?next=" + URLEncoder.encode(next, StandardCharsets.UTF_8)), null);
        assertEquals(302, a.status(), a.body());
        assertTrue(a.location().startsWith(FakeSignIn.AUTHORIZE + "?"), a.location());
        return new Started(
                query(a.location()).get("state"), Sessions.LOGIN_COOKIE + "=" + a.cookie(Sessions.LOGIN_COOKIE), a);
    }

    private ServerFixture.Answer callback(String code, String state, String cookie) {
        return get(
                "/login/callback?code=" + code + "&state=" + URLEncoder.encode(state, StandardCharsets.UTF_8), cookie);
    }

    /** Signs {@code login} in through the whole flow: the session cookie, as the browser would send it. */
    private String signIn(String login) {
        Started s = login("/builds");
        ServerFixture.Answer back = callback("code-for-" + login, s.state(), s.loginCookie());
        assertEquals(302, back.status(), back.body());
        return Sessions.SESSION_COOKIE + "=" + back.cookie(Sessions.SESSION_COOKIE);
    }

    private static List<Long> ids(ServerFixture.Answer list) {
        assertEquals(200, list.status(), list.body());
        return list.array().stream().map(b -> ((JsonObject) b).getLong("id")).toList();
    }

    /** What each place a build appears shows {@code cookie}'s holder: the lists, the API by id and the page. */
    private void assertSeesHiddenBuild(String cookie, boolean sees) {
        assertEquals(sees ? List.of(hidden.id(), shown.id()) : List.of(shown.id()), ids(get("/api/builds", cookie)));
        ServerFixture.Answer byId = get("/api/builds/" + hidden.id(), cookie);
        ServerFixture.Answer page = get("/builds/" + hidden.id(), cookie);
        String listPage = get("/builds", cookie).body();
        if (sees) {
            assertEquals(200, byId.status(), byId.body());
            assertTrue(byId.json().getBoolean("private"));
            assertEquals(200, page.status(), page.body());
            assertTrue(page.body().contains(HIDDEN_REPO + " (private)"), page.body());
            assertTrue(listPage.contains("href=\"/builds/" + hidden.id() + "\""), listPage);
        } else {
            assertRefused(byId, 404, "no build " + hidden.id());
            assertRefused(page, 404, "no build " + hidden.id());
            assertFalse(listPage.contains(HIDDEN_REPO), listPage);
            assertFalse(listPage.contains("href=\"/builds/" + hidden.id() + "\""), listPage);
        }
        assertTrue(listPage.contains("href=\"/builds/" + shown.id() + "\""), "public builds stay public");
        assertEquals(200, get("/api/builds/" + shown.id(), cookie).status());
    }

    @Test
    void anonymous_seesNoPrivateBuild_andById_getsTheAnswerOfABuildThatDoesNotExist() {
        assertSeesHiddenBuild(null, false);
        ServerFixture.Answer none = get("/api/builds/4242", null);
        ServerFixture.Answer mine = get("/api/builds/" + hidden.id(), null);
        assertEquals(none.body().replace("4242", "N"), mine.body().replace(String.valueOf(hidden.id()), "N"));
        assertEquals(0, github.asked.get(), "nobody signed in: GitHub is not asked");
        assertTrue(get("/builds", null).body().contains("<a href=\"/login?next=%2Fbuilds\">sign in with GitHub</a>"));
    }

    @Test
    void reader_signsIn_andSeesThePrivateBuild_askingGitHubOnce() {
        Started s = login("/builds/" + hidden.id());
        Map<String, String> authorize = query(s.answer().location());
        assertEquals("http://coordinator.test/login/callback", authorize.get("redirect_uri"));
        assertEquals("no-store", s.answer().headers().get("Cache-Control"));

        ServerFixture.Answer back = callback("code-for-octocat", s.state(), s.loginCookie());
        assertEquals(302, back.status(), back.body());
        assertEquals("/builds/" + hidden.id(), back.location(), "back where the sign-in started");
        assertEquals("http://coordinator.test/login/callback", github.lastRedirectUri);
        String setCookie = back.setCookie(Sessions.SESSION_COOKIE);
        for (String attribute : List.of("HttpOnly", "Secure", "SameSite=Lax", "Path=/;")) {
            assertTrue((setCookie + ";").toLowerCase().contains("; " + attribute.toLowerCase()), setCookie);
        }
        long maxAge = Long.parseLong(setCookie.replaceAll(".*Max-Age=([0-9]+).*", "$1"));
        assertTrue(maxAge > 8 * 3600 - 60 && maxAge <= 8 * 3600, "eight hours, as the token: " + setCookie);
        assertTrue(back.setCookie(Sessions.LOGIN_COOKIE).contains("Max-Age=0"), "the login cookie is spent");
        String cookie = Sessions.SESSION_COOKIE + "=" + back.cookie(Sessions.SESSION_COOKIE);

        assertSeesHiddenBuild(cookie, true);
        assertEquals(1, github.asked.get(), "once per (login, repository), then remembered");
        String page = get("/builds/" + hidden.id(), cookie).body();
        assertTrue(page.contains("signed in as <b>octocat</b>"), page);
        assertTrue(page.contains("<form method=post action=\"/logout\""), page);
        assertFalse(page.contains("ghu_"), "the person's token is never shown");
        assertFalse(get("/api/builds", cookie).body().contains("ghu_"));
    }

    @Test
    void signedInNonReader_seesNoPrivateBuild() {
        String cookie = signIn("mallory");
        assertSeesHiddenBuild(cookie, false);
        assertTrue(get("/builds", cookie).body().contains("signed in as <b>mallory</b>"));
    }

    @Test
    void adminToken_seesEveryBuild_otherAuthorizationCountsForNothing() {
        MultiMap admin = MultiMap.caseInsensitiveMultiMap().add("Authorization", "Bearer " + ADMIN_TOKEN);
        assertEquals(
                List.of(hidden.id(), shown.id()),
                ids(ServerFixture.await(server.call(HttpMethod.GET, "/api/builds", admin, null))));
        MultiMap proxy = MultiMap.caseInsensitiveMultiMap().add("Authorization", "Basic dXNlcjpwYXNz");
        assertEquals(
                List.of(shown.id()), ids(ServerFixture.await(server.call(HttpMethod.GET, "/api/builds", proxy, null))));
    }

    @Test
    void replayedState_isRefused() {
        Started s = login("/builds");
        assertEquals(
                302, callback("code-for-octocat", s.state(), s.loginCookie()).status());
        ServerFixture.Answer again = callback("code-for-octocat", s.state(), s.loginCookie());
        assertRefused(again, 403, "this sign-in is unknown, already used or expired; start again at /login");
        assertNull(again.setCookie(Sessions.SESSION_COOKIE));
    }

    @Test
    void stateFromAnotherBrowser_isRefused_andNeverReachesGitHub() {
        Started victim = login("/builds");
        Started attacker = login("/builds");
        ServerFixture.Answer crossed = callback("code-for-mallory", victim.state(), attacker.loginCookie());
        assertRefused(
                crossed,
                403,
                "this sign-in was started in another browser (or its cookie was lost); start again at /login");
        assertNull(crossed.setCookie(Sessions.SESSION_COOKIE));
        assertNull(github.lastRedirectUri, "no code was exchanged");
        assertRefused(
                callback("code-for-mallory", victim.state(), null),
                403,
                "this sign-in is unknown, already used or expired; start again at /login");
        assertRefused(
                callback("code-for-mallory", "made-up", attacker.loginCookie()),
                403,
                "this sign-in is unknown, already used or expired; start again at /login");
    }

    @Test
    void openRedirectInNext_isRefused_theSignInReturnsToBuilds() {
        for (String next :
                List.of("https://evil.example/", "//evil.example/x", "/\\evil.example", "/\t/evil.example")) {
            Started s = login(next);
            ServerFixture.Answer back = callback("code-for-octocat", s.state(), s.loginCookie());
            assertEquals(302, back.status(), back.body());
            assertEquals("/builds", back.location(), next);
        }
    }

    @Test
    void gitHubRefusingTheCode_isA403_withGitHubsReason() {
        Started s = login("/builds");
        assertRefused(
                callback("used-code", s.state(), s.loginCookie()),
                403,
                "GitHub refused the sign-in: bad_verification_code (The code passed is incorrect or expired.); start"
                        + " again at /login");
        ServerFixture.Answer denied = get(
                "/login/callback?error=access_denied&error_description=%3Cscript%3E&state="
                        + URLEncoder.encode(login("/builds").state(), StandardCharsets.UTF_8),
                null);
        assertEquals(403, denied.status(), "a state without its browser is refused before anything else");
    }

    @Test
    void logout_endsTheSession_andClearsTheCookie() {
        String cookie = signIn("octocat");
        assertEquals(2, ids(get("/api/builds", cookie)).size());
        MultiMap h = MultiMap.caseInsensitiveMultiMap().add("Cookie", cookie);
        ServerFixture.Answer out = ServerFixture.await(server.call(HttpMethod.POST, "/logout", h, null));
        assertEquals(302, out.status());
        assertEquals("/builds", out.location());
        assertTrue(
                out.setCookie(Sessions.SESSION_COOKIE).contains("Max-Age=0"), out.setCookie(Sessions.SESSION_COOKIE));
        assertSeesHiddenBuild(cookie, false);
        String again = signIn("octocat");
        assertEquals(302, get("/logout", again).status());
        assertSeesHiddenBuild(again, false);
    }

    @Test
    void revokedToken_endsTheSession() {
        String cookie = signIn("octocat");
        github.revoke("octocat");
        assertSeesHiddenBuild(cookie, false);
        assertFalse(get("/builds", cookie).body().contains("signed in as"), "signed out");
    }

    @Test
    void aTriggerMayDeclareItsRepositoryPrivate() {
        MultiMap admin = MultiMap.caseInsensitiveMultiMap().add("Authorization", "Bearer " + ADMIN_TOKEN);
        String body = "{\"repo\":\"octo-org/hello\",\"cloneUrl\":\"http://127.0.0.1:9/nowhere.git\",\"ref\":"
                + "\"refs/tags/v1\",\"commit\":\"" + "d".repeat(40) + "\",\"private\":true}";
        ServerFixture.Answer made = ServerFixture.await(
                server.call(HttpMethod.POST, "/api/builds", admin, io.vertx.core.buffer.Buffer.buffer(body)));
        assertEquals(201, made.status(), made.body());
        long id = ((JsonObject) made.array().getValue(0)).getLong("id");
        assertTrue(server.store.build(id).orElseThrow().privateRepo());
        assertRefused(get("/api/builds/" + id, null), 404, "no build " + id);
        assertEquals(200, get("/api/builds/" + id, signIn("octocat")).status());
    }

    @Test
    void runnersList_staysAsItIs() {
        ServerFixture.Answer a = get("/api/runners", null);
        assertEquals(200, a.status());
        assertNotNull(a.array());
    }
}
