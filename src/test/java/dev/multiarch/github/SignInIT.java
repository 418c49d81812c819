package dev.multiarch.github;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.multiarch.testing.CoordinatorApi;
import dev.multiarch.testing.GitHubEvents;
import dev.multiarch.testing.GitHubStandIn;
import dev.multiarch.testing.GitRepo;
import dev.multiarch.testing.PipelineRig;
import dev.multiarch.testing.Ports;
import dev.multiarch.testing.RegistryServer;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import okhttp3.Cookie;
import okhttp3.CookieJar;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signing in end to end: the coordinator (a process of the real jar) with the GitHub integration in token mode and
 * the App's OAuth client configured, GitHub's real webhook payloads, and the stand-in playing GitHub's web flow and
 * API. A private repository's build (its push refused for want of a {@code .multiarch.yaml}: a build with a page, and
 * no runner needed) is invisible until a reader follows the real redirects — {@code /login}, the stand-in's authorize
 * page, the callback — with a browser's cookie handling.
 */
class SignInIT {
    static final String HIDDEN = "octo-org/hello";
    static final String SHOWN = "octo-org/public";
    static final String WEBHOOK_SECRET = "webhook-secret-signin-0123456789";
    static final String BOT_TOKEN = "ghp_signin_bot_token_0123456789";
    static final String CLIENT_ID = "Iv1.signin0123456789";
    static final String CLIENT_SECRET = "client-secret-signin-0123456789abcdef";

    @TempDir
    static Path dir;

    static RegistryServer registry;
    static GitHubStandIn github;
    static PipelineRig rig;
    static long hiddenId;
    static long shownId;

    @BeforeAll
    static void start() throws Exception {
        registry = RegistryServer.start();
        github = new GitHubStandIn(GitHubStandIn.openApi(), null, null, BOT_TOKEN);
        GitRepo hidden = GitRepo.create(Files.createDirectories(dir.resolve("hello")));
        GitRepo shown = GitRepo.create(Files.createDirectories(dir.resolve("public")));
        github.repo(HIDDEN, Path.of(hidden.cloneUrl()));
        github.repo(SHOWN, Path.of(shown.cloneUrl()));
        github.makePrivate(HIDDEN);
        github.reader(HIDDEN, "octocat");
        rig = new PipelineRig(dir, registry, 6)
                .withConfig(
                        "repositories:\n  - match: octo-org/*\n    images: [" + registry.host() + "/*]\n"
                                + "github:\n  api-url: " + github.url() + "\n"
                                + "  webhook-secrets: [\"${WH}\"]\n  token: ${BOT_TOKEN}\n"
                                + "  client-id: " + CLIENT_ID + "\n  client-secret: ${CLIENT_SECRET}\n"
                                + "  workflows: " + Path.of("workflows").toAbsolutePath() + "\n",
                        Map.of("WH", WEBHOOK_SECRET, "BOT_TOKEN", BOT_TOKEN, "CLIENT_SECRET", CLIENT_SECRET));
        // The App's callback URL, as registered on GitHub: the coordinator's public URL (here its default).
        github.oauthClient(CLIENT_ID, CLIENT_SECRET, rig.url() + "/login/callback");
        rig.startCoordinator();
        hiddenId = pushTag(HIDDEN, hidden, true);
        shownId = pushTag(SHOWN, shown, false);
    }

    @AfterAll
    static void stop() {
        if (rig != null) {
            rig.close();
        }
        if (github != null) {
            github.close();
        }
        if (registry != null) {
            registry.close();
        }
    }

    /** Delivers a tag push of a commit without {@code .multiarch.yaml}; the failed build it makes, seen as admin. */
    static long pushTag(String repo, GitRepo git, boolean isPrivate) {
        String commit = git.commit("no config here", Map.of("README", repo + "\n"));
        ObjectNode p = GitHubEvents.example(
                "push",
                e -> e.path("ref").asText().startsWith("refs/tags/")
                        && e.path("created").asBoolean()
                        && !e.path("deleted").asBoolean());
        GitHubEvents.repoint(p, repo, git.cloneUrl(), 0);
        p.remove("installation");
        p.put("ref", "refs/tags/v1.0.0").put("after", commit).put("before", "0".repeat(40));
        ((ObjectNode) p.path("repository")).put("private", isPrivate);
        assertEquals(
                202,
                GitHubEvents.deliver(rig.url() + "/webhook", "push", p, WEBHOOK_SECRET)
                        .status());
        long[] id = {0};
        Ports.await("the build of " + repo, Duration.ofSeconds(60), () -> {
            JsonNode builds = json(get(ADMIN, "/api/builds?commit=" + commit));
            if (builds.size() == 0) {
                return false;
            }
            id[0] = builds.get(0).path("id").asLong();
            return builds.get(0).path("terminal").asBoolean();
        });
        return id[0];
    }

    record Page(int status, String url, String body) {}

    /** The admin token: sees every build (how this test finds the private one it made). */
    static final OkHttpClient ADMIN = new OkHttpClient.Builder()
            .addInterceptor(c -> c.proceed(c.request()
                    .newBuilder()
                    .header("Authorization", "Bearer " + PipelineRig.ADMIN_TOKEN)
                    .build()))
            .build();

    static Page get(OkHttpClient client, String path) {
        try (Response r = client.newCall(
                        new Request.Builder().url(rig.url() + path).build())
                .execute()) {
            return new Page(r.code(), r.request().url().toString(), r.body().string());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode json(Page p) {
        assertEquals(200, p.status(), p.body());
        try {
            return CoordinatorApi.JSON.readTree(p.body());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<Long> ids(OkHttpClient client) {
        List<Long> out = new ArrayList<>();
        json(get(client, "/api/builds")).forEach(b -> out.add(b.path("id").asLong()));
        return out;
    }

    /**
     * A browser's cookie handling, as far as these tests need it: cookies are kept per host and path, replaced by name,
     * forgotten when expired. Like browsers (RFC 6265bis "secure-protected" origins include loopback), it sends a
     * {@code Secure} cookie to {@code http://127.0.0.1}; okhttp's own matching would not.
     */
    static final class Browser implements CookieJar {
        private final List<Cookie> cookies = new ArrayList<>();

        @Override
        public synchronized void saveFromResponse(HttpUrl url, List<Cookie> received) {
            for (Cookie c : received) {
                cookies.removeIf(k -> k.name().equals(c.name())
                        && k.domain().equals(c.domain())
                        && k.path().equals(c.path()));
                if (c.expiresAt() > System.currentTimeMillis()) {
                    cookies.add(c);
                }
            }
        }

        @Override
        public synchronized List<Cookie> loadForRequest(HttpUrl url) {
            HttpUrl asSecure = loopback(url) ? url.newBuilder().scheme("https").build() : url;
            cookies.removeIf(c -> c.expiresAt() <= System.currentTimeMillis());
            return cookies.stream().filter(c -> c.matches(asSecure)).toList();
        }

        synchronized List<Cookie> all() {
            return List.copyOf(cookies);
        }

        private static boolean loopback(HttpUrl url) {
            try {
                return InetAddress.getByName(url.host()).isLoopbackAddress();
            } catch (IOException e) {
                return false;
            }
        }

        OkHttpClient client() {
            return new OkHttpClient.Builder()
                    .cookieJar(this)
                    .followRedirects(true)
                    .callTimeout(Duration.ofSeconds(30))
                    .build();
        }
    }

    /** Signs {@code login} in by following {@code /login?next=…} to its end; the page it ends on. */
    static Page signIn(Browser browser, String login, String next) {
        github.signInAs(login);
        return get(browser.client(), "/login?next=" + next);
    }

    @Test
    void anonymous_seesNoPrivateBuild_byIdItDoesNotExist() {
        OkHttpClient anonymous = new OkHttpClient();
        assertEquals(List.of(shownId), ids(anonymous));
        for (String path : List.of("/api/builds/" + hiddenId, "/builds/" + hiddenId)) {
            Page p = get(anonymous, path);
            assertEquals(404, p.status(), path);
            assertEquals("{\"error\":\"no build " + hiddenId + "\"}\n", p.body());
        }
        Page list = get(anonymous, "/builds");
        assertFalse(list.body().contains(HIDDEN), list.body());
        assertTrue(list.body().contains(SHOWN));
        assertTrue(list.body().contains("sign in with GitHub"));
        assertEquals(200, get(anonymous, "/api/builds/" + shownId).status());
    }

    @Test
    void reader_followsTheRealRedirects_andThenSeesThePrivateBuild() {
        Browser browser = new Browser();
        Page landed = signIn(browser, "octocat", "/builds/" + hiddenId);
        assertEquals(200, landed.status(), landed.body());
        assertEquals(rig.url() + "/builds/" + hiddenId, landed.url(), "back where the sign-in started");
        assertTrue(landed.body().contains(HIDDEN + " (private)"), landed.body());
        assertTrue(landed.body().contains("signed in as <b>octocat</b>"));
        assertTrue(landed.body().contains(".multiarch.yaml: not found"), "the build's own error is shown");

        Cookie session = browser.all().stream()
                .filter(c -> c.name().equals("multiarch_session"))
                .findFirst()
                .orElseThrow();
        assertTrue(session.httpOnly() && session.secure() && session.path().equals("/") && session.hostOnly());
        assertEquals(
                List.of("multiarch_session"),
                browser.all().stream().map(Cookie::name).toList(),
                "the login cookie is spent");

        OkHttpClient signedIn = browser.client();
        assertEquals(List.of(shownId, hiddenId), ids(signedIn));
        JsonNode b = json(get(signedIn, "/api/builds/" + hiddenId));
        assertTrue(b.path("private").asBoolean());
        assertEquals(HIDDEN, b.path("repo").asText());

        assertEquals(302, logoutStatus(browser));
        assertEquals(404, get(browser.client(), "/api/builds/" + hiddenId).status(), "signed out");
        assertNoSecretShownOrLogged(landed.body());
        assertEquals(List.of(), github.violations());
    }

    @Test
    void nonReader_signedIn_seesNothingPrivate() {
        Browser browser = new Browser();
        Page landed = signIn(browser, "mallory", "/builds/" + hiddenId);
        assertEquals(404, landed.status(), landed.body());
        assertEquals(rig.url() + "/builds/" + hiddenId, landed.url());
        assertEquals("{\"error\":\"no build " + hiddenId + "\"}\n", landed.body());
        OkHttpClient signedIn = browser.client();
        assertEquals(List.of(shownId), ids(signedIn));
        Page list = get(signedIn, "/builds");
        assertTrue(list.body().contains("signed in as <b>mallory</b>"), list.body());
        assertFalse(list.body().contains(HIDDEN));
        assertTrue(
                github.calls().stream().anyMatch(c -> c.path().equals("/repos/" + HIDDEN) && c.status() == 404),
                "GitHub was asked with mallory's token and said 404");
        assertNoSecretShownOrLogged(list.body());
        assertEquals(List.of(), github.violations());
    }

    @Test
    void anOpenRedirect_inNext_landsOnBuilds() {
        Browser browser = new Browser();
        Page landed = signIn(browser, "octocat", "//evil.example/phish");
        assertEquals(rig.url() + "/builds", landed.url());
        assertEquals(200, landed.status());
    }

    private static int logoutStatus(Browser browser) {
        OkHttpClient noFollow =
                browser.client().newBuilder().followRedirects(false).build();
        try (Response r = noFollow.newCall(new Request.Builder()
                        .url(rig.url() + "/logout")
                        .post(okhttp3.RequestBody.create(new byte[0]))
                        .build())
                .execute()) {
            return r.code();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** No user token GitHub handed out, nor the client secret, in a page or in the coordinator's log. */
    private static void assertNoSecretShownOrLogged(String page) {
        List<String> secrets = new ArrayList<>(github.userTokens());
        assertFalse(secrets.isEmpty());
        secrets.add(CLIENT_SECRET);
        String log = rig.coordinator().log();
        for (String s : secrets) {
            assertFalse(page.contains(s), "a page shows a secret");
            assertFalse(log.contains(s), "the coordinator's log holds a secret");
        }
        assertTrue(log.contains("octocat signed in") || log.contains("mallory signed in"), log);
    }
}
