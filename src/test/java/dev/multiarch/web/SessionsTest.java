package dev.multiarch.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.store.JdbcStore;
import dev.multiarch.testing.TestClock;
import dev.multiarch.testing.TestDatabases;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The rules of signing in that need no server: states, sessions, where a sign-in may return, cookies; on H2 and on
 * PostgreSQL, where the sign-ins and sessions live, shared by every coordinator on the store.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(TestDatabases.Kind.class)
@ExtendWith(TestDatabases.class)
class SessionsTest {
    @Parameter
    TestDatabases.Kind kind;

    @TempDir
    Path dir;

    private final TestClock clock = new TestClock(Instant.parse("2026-01-01T00:00:00Z"));
    private TestDatabases.TestDatabase db;
    private JdbcStore store;
    private Sessions sessions;

    @BeforeEach
    void open(TestDatabases databases) {
        db = databases.fresh(kind, dir);
        store = db.open(clock);
        sessions = new Sessions(store.sessions(), clock);
    }

    @AfterEach
    void close() {
        store.close();
    }

    private static SignIn.Person person(String login, Instant expires) {
        return new SignIn.Person(login, "ghu_secret_" + login, expires);
    }

    @Test
    void state_returnsItsNextPath_once() {
        Sessions.Started s = sessions.begin("/builds/7");
        assertEquals("/builds/7", sessions.finish(s.state(), s.browser()));
        HttpError again = assertThrows(HttpError.class, () -> sessions.finish(s.state(), s.browser()));
        assertEquals(403, again.status);
        assertEquals("this sign-in is unknown, already used or expired; start again at /login", again.getMessage());
    }

    @Test
    void state_expiresAfterTenMinutes() {
        Sessions.Started early = sessions.begin("/builds");
        Sessions.Started late = sessions.begin("/builds");
        clock.pass(Duration.ofMinutes(10).minusSeconds(1));
        assertEquals("/builds", sessions.finish(early.state(), early.browser()));
        clock.pass(Duration.ofSeconds(1));
        assertEquals(403, assertThrows(HttpError.class, () -> sessions.finish(late.state(), late.browser())).status);
    }

    @Test
    void state_fromAnotherBrowser_isRefused_andSpent() {
        Sessions.Started mine = sessions.begin("/builds");
        Sessions.Started theirs = sessions.begin("/builds");
        HttpError e = assertThrows(HttpError.class, () -> sessions.finish(mine.state(), theirs.browser()));
        assertEquals(403, e.status);
        assertEquals(
                "this sign-in was started in another browser (or its cookie was lost); start again at /login",
                e.getMessage());
        assertThrows(HttpError.class, () -> sessions.finish(mine.state(), null));
        assertThrows(HttpError.class, () -> sessions.finish(mine.state(), mine.browser()), "spent by the attempt");
        assertThrows(HttpError.class, () -> sessions.finish(null, mine.browser()));
    }

    @Test
    void statesAndSessionIds_are256RandomBits_neverRepeated() {
        Sessions.Started a = sessions.begin("/builds");
        Sessions.Started b = sessions.begin("/builds");
        for (String v : List.of(a.state(), a.browser(), b.state(), b.browser())) {
            assertEquals(32, Base64.getUrlDecoder().decode(v).length);
        }
        assertNotEquals(a.state(), b.state());
        assertNotEquals(a.state(), a.browser(), "the cookie's value is not the state GitHub sees");
        Sessions.Opened s1 = sessions.open(person("octocat", null));
        Sessions.Opened s2 = sessions.open(person("octocat", null));
        assertEquals(32, Base64.getUrlDecoder().decode(s1.id()).length);
        assertNotEquals(s1.id(), s2.id());
    }

    @Test
    void pendingSignIns_areBounded_expiredOnesMakeRoom() {
        Sessions sessions = new Sessions(store.sessions(), clock, 50);
        for (int i = 0; i < 50; i++) {
            sessions.begin("/builds");
        }
        HttpError full = assertThrows(HttpError.class, () -> sessions.begin("/builds"));
        assertEquals(503, full.status);
        clock.pass(Sessions.STATE_LIFETIME);
        sessions.begin("/builds");
    }

    @Test
    void session_lastsEightHours_orUntilItsTokenExpires() {
        Sessions.Opened s = sessions.open(person("octocat", clock.instant().plus(Duration.ofDays(1))));
        assertEquals(Duration.ofHours(8), s.lifetime());
        Sessions.Opened short1 = sessions.open(person("hubot", clock.instant().plus(Duration.ofHours(1))));
        assertEquals(Duration.ofHours(1), short1.lifetime());
        clock.pass(Duration.ofHours(1).minusSeconds(1));
        assertEquals("hubot", sessions.person(short1.id()).orElseThrow().login());
        clock.pass(Duration.ofSeconds(1));
        assertTrue(sessions.person(short1.id()).isEmpty(), "the token expired, the session with it");
        assertEquals("octocat", sessions.person(s.id()).orElseThrow().login());
        clock.pass(Duration.ofHours(7));
        assertTrue(sessions.person(s.id()).isEmpty());
    }

    @Test
    void close_endsOnlyThatSession_unknownIdsAreNobody() {
        Sessions.Opened a = sessions.open(person("octocat", null));
        Sessions.Opened b = sessions.open(person("octocat", null));
        sessions.close(a.id());
        assertTrue(sessions.person(a.id()).isEmpty());
        assertTrue(sessions.person(b.id()).isPresent());
        assertTrue(sessions.person("guess").isEmpty());
        assertTrue(sessions.person(null).isEmpty());
    }

    @Test
    void next_keepsPathsOfThisSite_refusesEverythingElse() {
        for (String ok : List.of("/builds", "/builds/7", "/api/builds?commit=abc", "/", "/builds/7#job-3")) {
            assertEquals(ok, Sessions.next(ok), ok);
        }
        for (String bad : List.of(
                "https://evil.example/",
                "//evil.example/builds",
                "/\\evil.example",
                "\\\\evil.example",
                "/\t/evil.example",
                "/\n/evil.example",
                "/ /evil.example",
                "javascript:alert(1)",
                "builds/7",
                "/builds/\u00e9",
                "/login?next=/builds",
                "/logout",
                "/" + "a".repeat(2000),
                "")) {
            assertEquals("/builds", Sessions.next(bad), bad);
        }
        assertEquals("/builds", Sessions.next(null));
    }

    @Test
    void sessionCookie_isHttpOnlySecureLax_forTheWholeSite() {
        String c = Sessions.sessionCookie("abc", Duration.ofHours(8)).encode();
        List<String> attrs = attributes(c);
        assertTrue(c.startsWith("multiarch_session=abc;"), c);
        assertTrue(attrs.contains("httponly"), c);
        assertTrue(attrs.contains("secure"), c);
        assertTrue(attrs.contains("samesite=lax"), c);
        assertTrue(attrs.contains("path=/"), c);
        assertTrue(attrs.contains("max-age=28800"), c);
        assertFalse(attrs.stream().anyMatch(a -> a.startsWith("domain")), "host-only: no Domain " + c);
    }

    @Test
    void loginCookie_goesOnlyToTheCallback_forTenMinutes_andClearingMatchesIt() {
        List<String> attrs = attributes(Sessions.loginCookie("xyz").encode());
        assertTrue(attrs.containsAll(
                List.of("httponly", "secure", "samesite=lax", "path=/login/callback", "max-age=600")));
        List<String> cleared =
                attributes(Sessions.cleared(Sessions.LOGIN_COOKIE).encode());
        assertTrue(cleared.containsAll(List.of("path=/login/callback", "max-age=0")), cleared.toString());
        List<String> out = attributes(Sessions.cleared(Sessions.SESSION_COOKIE).encode());
        assertTrue(out.containsAll(List.of("path=/", "max-age=0", "secure", "httponly")), out.toString());
    }

    @Test
    void aPerson_andAnOpenedSession_neverPrintTheirSecrets() {
        SignIn.Person p = person("octocat", null);
        assertFalse(p.toString().contains("ghu_"), p.toString());
        assertTrue(p.toString().contains("octocat"));
        Sessions.Opened o = sessions.open(p);
        assertFalse(o.toString().contains(o.id()), o.toString());
        assertFalse(new Viewer(p, o.id(), false).toString().contains(o.id()));
        assertFalse(new Viewer(p, o.id(), false).toString().contains("ghu_"));
    }

    @Test
    void theStore_holdsNoSessionId_noState_andNoToken_inTheClear() throws Exception {
        Sessions.Started started = sessions.begin("/builds/7");
        SignIn.Person p = person("octocat", null);
        Sessions.Opened o = sessions.open(p);
        StringBuilder everything = new StringBuilder();
        try (Connection c = db.connect();
                Statement st = c.createStatement()) {
            for (String table : List.of("sign_ins", "sessions")) {
                try (ResultSet r = st.executeQuery("SELECT * FROM " + table)) {
                    while (r.next()) {
                        for (int i = 1; i <= r.getMetaData().getColumnCount(); i++) {
                            Object v = r.getObject(i);
                            everything.append(v instanceof byte[] b ? new String(b, StandardCharsets.ISO_8859_1) : v);
                            everything.append('|');
                        }
                    }
                }
            }
        }
        String stored = everything.toString();
        assertTrue(stored.contains(Sessions.hash(o.id())), "the session is found by the SHA-256 of its id: " + stored);
        assertTrue(stored.contains("octocat"));
        for (String secret : List.of(o.id(), started.state(), started.browser(), p.token())) {
            assertFalse(stored.contains(secret), "in the clear in the store: " + secret);
        }
        assertEquals(p.token(), sessions.person(o.id()).orElseThrow().token(), "the id opens the sealed token");
    }

    @Test
    void aSealedToken_alteredInTheStore_opensNoSession() throws Exception {
        Sessions.Opened o = sessions.open(person("octocat", null));
        try (Connection c = db.connect();
                PreparedStatement st = c.prepareStatement("UPDATE sessions SET login = 'mallory'")) {
            st.executeUpdate();
        }
        assertTrue(sessions.person(o.id()).isEmpty(), "the token is bound to the login it was sealed with");
    }

    /** Behind a load balancer: each request may reach another coordinator, each with its own store on one database. */
    @Test
    void signInStartedOnOneCoordinator_finishesOnAnother_andTheSessionWorksOnBoth() {
        try (JdbcStore other = kind == TestDatabases.Kind.POSTGRESQL ? db.open(clock) : null) {
            Sessions a = sessions;
            Sessions b = new Sessions((other == null ? store : other).sessions(), clock);
            Sessions.Started started = a.begin("/builds/9");
            assertEquals("/builds/9", b.finish(started.state(), started.browser()));
            assertThrows(HttpError.class, () -> a.finish(started.state(), started.browser()), "spent everywhere");
            Sessions.Opened o = b.open(person("octocat", null));
            assertEquals("octocat", a.person(o.id()).orElseThrow().login());
            assertEquals("octocat", b.person(o.id()).orElseThrow().login());
            a.close(o.id());
            assertTrue(b.person(o.id()).isEmpty(), "signing out on one ends it on all");
        }
    }

    @Test
    void aStateRacedForByTwoCoordinators_isSpentByOne() throws Exception {
        try (JdbcStore other = kind == TestDatabases.Kind.POSTGRESQL ? db.open(clock) : null) {
            Sessions b = new Sessions((other == null ? store : other).sessions(), clock);
            for (int round = 0; round < 20; round++) {
                Sessions.Started s = sessions.begin("/builds");
                ExecutorService two = Executors.newFixedThreadPool(2);
                try {
                    Future<Boolean> x = two.submit(() -> finishes(sessions, s));
                    Future<Boolean> y = two.submit(() -> finishes(b, s));
                    assertEquals(1, (x.get() ? 1 : 0) + (y.get() ? 1 : 0), "round " + round);
                } finally {
                    two.shutdown();
                }
            }
        }
    }

    private static boolean finishes(Sessions s, Sessions.Started started) {
        try {
            s.finish(started.state(), started.browser());
            return true;
        } catch (HttpError e) {
            return false;
        }
    }

    /** The attributes after the name=value, lower case, without spaces. */
    private static List<String> attributes(String setCookie) {
        String[] parts = setCookie.split(";");
        return java.util.Arrays.stream(parts, 1, parts.length)
                .map(a -> a.trim().toLowerCase(Locale.ROOT))
                .toList();
    }
}
