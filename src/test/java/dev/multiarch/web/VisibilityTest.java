package dev.multiarch.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.store.BuildRecord;
import dev.multiarch.store.BuildState;
import dev.multiarch.store.JdbcStore;
import dev.multiarch.testing.TestClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Who sees which build, and how often GitHub is asked. */
class VisibilityTest {
    private final TestClock clock = new TestClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final FakeSignIn github = new FakeSignIn().reader("octo-org/hello", "octocat");
    private JdbcStore store;
    private Sessions sessions;
    private Visibility visibility;

    @BeforeEach
    void open(@TempDir Path dir) {
        store = JdbcStore.embedded(dir, clock);
        sessions = new Sessions(store.sessions(), clock);
        visibility = new Visibility(Optional.of(github), sessions, clock);
    }

    @AfterEach
    void close() {
        store.close();
    }

    private static BuildRecord build(String repo, boolean privateRepo) {
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        return BuildRecord.builder()
                .id(1)
                .repo(repo)
                .cloneUrl("u")
                .commit("c")
                .ref("ref")
                .push(true)
                .privateRepo(privateRepo)
                .state(BuildState.FAILED)
                .error("x")
                .createdAt(t)
                .updatedAt(t)
                .build();
    }

    private Viewer signedIn(String login) {
        SignIn.Person p = new SignIn.Person(login, FakeSignIn.token(login), null);
        return new Viewer(p, sessions.open(p).id(), false);
    }

    @Test
    void publicBuilds_areForEveryone_privateOnes_forNoAnonymousViewer() {
        assertTrue(visibility.sees(Viewer.ANONYMOUS, build("octo-org/hello", false)));
        assertFalse(visibility.sees(Viewer.ANONYMOUS, build("octo-org/hello", true)));
        assertTrue(visibility.sees(Viewer.ADMIN, build("octo-org/hello", true)));
        assertEquals(0, github.asked.get(), "nobody signed in: GitHub is not asked");
    }

    @Test
    void readers_seePrivateBuilds_othersDoNot_answersAreRememberedFiveMinutes() {
        Viewer octocat = signedIn("octocat");
        Viewer mallory = signedIn("mallory");
        for (int i = 0; i < 3; i++) {
            assertTrue(visibility.sees(octocat, build("octo-org/hello", true)));
            assertTrue(visibility.sees(octocat, build("Octo-Org/Hello", true)), "names are case-insensitive");
            assertFalse(visibility.sees(mallory, build("octo-org/hello", true)));
        }
        assertEquals(2, github.asked.get(), "once per (login, repository)");
        github.reader("octo-org/hello", "mallory");
        assertFalse(visibility.sees(mallory, build("octo-org/hello", true)), "still remembered");
        visibility.forget("mallory");
        assertTrue(visibility.sees(mallory, build("octo-org/hello", true)), "signing in again asks afresh");
        assertEquals(3, github.asked.get());
        clock.pass(Visibility.REMEMBER);
        assertTrue(visibility.sees(octocat, build("octo-org/hello", true)));
        assertEquals(4, github.asked.get(), "asked again after five minutes");
    }

    @Test
    void aRevokedToken_endsTheSession_andShowsNothing() {
        Viewer octocat = signedIn("octocat");
        github.revoke("octocat");
        assertFalse(visibility.sees(octocat, build("octo-org/hello", true)));
        assertTrue(sessions.person(octocat.session()).isEmpty(), "signed out");
        int asked = github.asked.get();
        assertFalse(visibility.sees(octocat, build("octo-org/other", true)));
        assertEquals(asked, github.asked.get(), "a closed session asks GitHub nothing more");
    }

    @Test
    void gitHubUnreachable_showsNothing_andIsNotAskedAgainForHalfAMinute() {
        Viewer octocat = signedIn("octocat");
        github.unreachable = true;
        assertFalse(visibility.sees(octocat, build("octo-org/hello", true)));
        assertFalse(visibility.sees(octocat, build("octo-org/hello", true)));
        assertEquals(1, github.asked.get());
        github.unreachable = false;
        clock.pass(Duration.ofSeconds(30));
        assertTrue(visibility.sees(octocat, build("octo-org/hello", true)));
    }

    @Test
    void withoutSignIn_privateBuildsAreForTheAdminTokenOnly() {
        Visibility none = new Visibility(Optional.empty(), sessions, clock);
        assertFalse(none.sees(signedIn("octocat"), build("octo-org/hello", true)));
        assertTrue(none.sees(Viewer.ADMIN, build("octo-org/hello", true)));
        assertTrue(none.sees(Viewer.ANONYMOUS, build("octo-org/hello", false)));
    }
}
