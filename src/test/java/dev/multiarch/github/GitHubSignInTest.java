package dev.multiarch.github;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.testing.GitHubStandIn;
import dev.multiarch.testing.GitRepo;
import dev.multiarch.web.SignIn;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Signing in with GitHub against the stand-in, which checks the OAuth calls and the REST calls made with user tokens. */
class GitHubSignInTest {
    private static final String CALLBACK = "https://ci.example/login/callback";

    @TempDir
    Path dir;

    private GitHubStandIn github;
    private GitHubSignIn signIn;
    private final OkHttpClient browser =
            new OkHttpClient.Builder().followRedirects(false).build();

    @BeforeEach
    void setUp() throws Exception {
        github = new GitHubStandIn(GitHubStandIn.openApi(), null, null, "ghp_bot");
        for (String r : List.of("octo-org/hello", "octo-org/public")) {
            github.repo(
                    r,
                    Path.of(GitRepo.create(Files.createDirectories(dir.resolve(r)))
                            .cloneUrl()));
        }
        github.makePrivate("octo-org/hello");
        github.reader("octo-org/hello", "octocat");
        github.oauthClient("Iv1.client", "client-secret-0123456789", CALLBACK);
        signIn = new GitHubSignIn(config("client-secret-0123456789"), Clock.systemUTC());
    }

    private GitHubConfig config(String clientSecret) {
        return GitHubConfig.of(
                Map.of(
                        "webhook-secret",
                        "s",
                        "token",
                        "ghp_bot",
                        "api-url",
                        github.url(),
                        "client-id",
                        "Iv1.client",
                        "client-secret",
                        clientSecret),
                dir);
    }

    @AfterEach
    void tearDown() {
        signIn.close();
        github.close();
        browser.dispatcher().executorService().shutdown();
    }

    /** What a browser does with the authorize URL: the stand-in approves and sends it back; the code it carries. */
    private String authorize(GitHubSignIn s, String as) throws Exception {
        github.signInAs(as);
        String url = s.authorizeUrl("state-123", CALLBACK);
        try (Response r =
                browser.newCall(new Request.Builder().url(url).build()).execute()) {
            assertEquals(302, r.code(), r.body().string());
            HttpUrl back = HttpUrl.get(r.header("Location"));
            assertEquals(CALLBACK, back.newBuilder().query(null).build().toString());
            assertEquals("state-123", back.queryParameter("state"));
            return back.queryParameter("code");
        }
    }

    @Test
    void authorizeUrl_isGitHubsWithClientIdCallbackAndState() {
        HttpUrl u = HttpUrl.get(signIn.authorizeUrl("s t&x", CALLBACK));
        assertEquals(
                github.url() + "/login/oauth/authorize",
                u.newBuilder().query(null).build().toString());
        assertEquals("Iv1.client", u.queryParameter("client_id"));
        assertEquals(CALLBACK, u.queryParameter("redirect_uri"));
        assertEquals("s t&x", u.queryParameter("state"));
    }

    @Test
    void exchange_givesThePersonWithAnEightHourToken_aCodeWorksOnce() throws Exception {
        String code = authorize(signIn, "octocat");
        SignIn.Person p = signIn.exchange(code, CALLBACK);
        assertEquals("octocat", p.login());
        assertTrue(p.token().startsWith("ghu_"));
        assertTrue(
                Duration.between(Instant.now(), p.expires())
                                .compareTo(Duration.ofHours(8).minusMinutes(1))
                        > 0,
                p.toString());
        assertFalse(p.toString().contains(p.token()));
        SignIn.Refused again = assertThrows(SignIn.Refused.class, () -> signIn.exchange(code, CALLBACK));
        assertEquals("bad_verification_code (The code passed is incorrect or expired.)", again.getMessage());
        assertEquals(List.of(), github.violations());
        assertTrue(
                github.calls().stream().anyMatch(c -> c.path().equals("/user") && c.status() == 200),
                "who it is comes from GET /user");
    }

    @Test
    void exchange_withAWrongClientSecret_isRefusedWithGitHubsCode_andTheSecretIsNotInTheMessage() throws Exception {
        GitHubSignIn wrong = new GitHubSignIn(config("not-the-secret"), Clock.systemUTC());
        try {
            String code = authorize(wrong, "octocat");
            SignIn.Refused e = assertThrows(SignIn.Refused.class, () -> wrong.exchange(code, CALLBACK));
            assertTrue(e.getMessage().startsWith("incorrect_client_credentials"), e.getMessage());
            assertFalse(e.getMessage().contains("not-the-secret"));
        } finally {
            wrong.close();
        }
    }

    @Test
    void canRead_privateRepositoryOnlyForItsReaders_publicForEveryone() throws Exception {
        SignIn.Person octocat = signIn.exchange(authorize(signIn, "octocat"), CALLBACK);
        SignIn.Person mallory = signIn.exchange(authorize(signIn, "mallory"), CALLBACK);
        assertTrue(signIn.canRead(octocat, "octo-org/hello"));
        assertFalse(signIn.canRead(mallory, "octo-org/hello"));
        assertTrue(signIn.canRead(mallory, "octo-org/public"));
        assertFalse(signIn.canRead(octocat, "octo-org/nothing"));
        int calls = github.calls().size();
        assertFalse(signIn.canRead(octocat, "../../user"), "only a repository name goes into a path");
        assertFalse(signIn.canRead(octocat, "/srv/git/x.git"));
        assertEquals(calls, github.calls().size(), "nothing asked");
        assertEquals(List.of(), github.violations());
    }

    @Test
    void canRead_withARevokedToken_isExpired() throws Exception {
        SignIn.Person octocat = signIn.exchange(authorize(signIn, "octocat"), CALLBACK);
        github.revokeUserTokens("octocat");
        SignIn.Expired e = assertThrows(SignIn.Expired.class, () -> signIn.canRead(octocat, "octo-org/hello"));
        assertEquals("GitHub no longer accepts octocat's token (HTTP 401)", e.getMessage());
        assertEquals(List.of(), github.violations());
    }

    @Test
    void canRead_whenGitHubFails_isAnErrorNotAnAnswer() throws Exception {
        SignIn.Person octocat = signIn.exchange(authorize(signIn, "octocat"), CALLBACK);
        github.failNext(1, 502, Map.of());
        java.io.IOException e =
                assertThrows(java.io.IOException.class, () -> signIn.canRead(octocat, "octo-org/hello"));
        assertTrue(e.getMessage().startsWith("GET /repos/octo-org/hello as octocat: HTTP 502"), e.getMessage());
        assertFalse(e.getMessage().contains(octocat.token()));
        github.failNext(1, 403, Map.of("X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "{now+2}"));
        assertThrows(java.io.IOException.class, () -> signIn.canRead(octocat, "octo-org/hello"), "a rate limit");
        assertTrue(signIn.canRead(octocat, "octo-org/hello"));
    }
}
