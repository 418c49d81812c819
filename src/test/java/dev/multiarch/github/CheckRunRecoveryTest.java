package dev.multiarch.github;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.github.CheckReport.Target;
import dev.multiarch.github.CheckReport.Wanted;
import dev.multiarch.store.JdbcStore;
import dev.multiarch.store.Store;
import dev.multiarch.testing.GitHubEvents;
import dev.multiarch.testing.GitHubStandIn;
import dev.multiarch.testing.GitRepo;
import dev.multiarch.testing.TestClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kohsuke.github.GHCheckRun;

/**
 * A check run GitHub created for a send whose answer never reached the store (the coordinator killed in between, or
 * the answer lost to a timeout) is found and updated by the next send, never created a second time; states that do
 * not settle a check are paced ({@link StatusReporter#PACE}); against the GitHub stand-in in App mode, which keeps the
 * check runs it was asked to create.
 */
class CheckRunRecoveryTest {
    private static final String CONTEXT = "multiarch / linux/arm64";

    @TempDir
    Path dir;

    private final TestClock clock = new TestClock(Instant.parse("2026-11-28T10:00:00Z"));
    private GitHubStandIn github;
    private GitHubAccess access;
    private JdbcStore store;
    private StatusReporter reporter;
    private String sha;

    @BeforeEach
    void setUp() throws Exception {
        Path pem = dir.resolve("app.pem");
        KeyPair key = GitHubEvents.appKey(pem);
        github = new GitHubStandIn(GitHubStandIn.openApi(), "424242", key.getPublic(), null);
        GitRepo repo = GitRepo.create(Files.createDirectories(dir.resolve("repo")));
        sha = repo.commit("c", Map.of("README", "x\n"));
        github.repo("octo/app", Path.of(repo.cloneUrl()));
        access = new GitHubAccess(
                TestApp.config(pem, github.url(), dir),
                // The App's JWT and installation tokens are checked against the real time.
                java.time.Clock.systemUTC());
        store = JdbcStore.embedded(dir.resolve("store"));
        reporter = new StatusReporter(store, access, "http://ci.example", clock);
    }

    @AfterEach
    void tearDown() {
        reporter.close();
        access.close();
        store.close();
        github.close();
    }

    private String body(CheckState state) {
        return new CheckReport(
                        new Target("octo/app", sha, GitHubStandIn.INSTALLATION, "http://ci.example/builds/7"),
                        new Wanted(state, state.name(), state.name(), "**" + state.name() + "**", null))
                .toJson();
    }

    /** What the earlier sender got GitHub to do before it was lost: the check run, created with our external id. */
    private long createdByTheLostSender(long build, String context) throws Exception {
        return access.client(GitHubStandIn.INSTALLATION)
                .getRepository("octo/app")
                .createCheckRun(context, sha)
                .withExternalID(build + "/" + context)
                .withStatus(GHCheckRun.Status.QUEUED)
                .create()
                .getId();
    }

    private long listCalls() {
        return github.calls().stream()
                .filter(c -> c.method().equals("GET") && c.path().endsWith("/check-runs"))
                .count();
    }

    private long calls(String method) {
        return github.calls().stream()
                .filter(c -> c.method().equals(method) && c.path().contains("/check-runs"))
                .count();
    }

    @Test
    void statesThatPassWithinThePace_reachGitHubAsOneUpdate_aSettlingStateAtOnce() throws Exception {
        store.wantReport(7, CONTEXT, body(CheckState.PENDING), false);
        reporter.sendDue();
        assertEquals(1, calls("POST"), "created at once");
        // Building, then verifying, within the pace: nothing yet.
        store.wantReport(7, CONTEXT, body(CheckState.PENDING).replace("PENDING", "building"), false);
        reporter.sendDue();
        store.wantReport(7, CONTEXT, body(CheckState.PENDING).replace("PENDING", "verifying"), false);
        clock.pass(StatusReporter.PACE.minusMillis(1));
        reporter.sendDue();
        assertEquals(0, calls("PATCH"), "paced");
        clock.pass(Duration.ofMillis(1));
        reporter.sendDue();
        assertEquals(1, calls("PATCH"), "the newest of the two, once");
        assertTrue(
                String.valueOf(github.checkRuns("octo/app", sha).get(0).get("output"))
                        .contains("verifying"),
                github.checkRuns("octo/app", sha).toString());
        // Paced again after that update, but a settling state does not wait.
        store.wantReport(7, CONTEXT, body(CheckState.PENDING).replace("PENDING", "publishing"), false);
        store.wantReport(7, CONTEXT, body(CheckState.SUCCESS), true);
        reporter.sendDue();
        assertEquals(2, calls("PATCH"));
        assertEquals("success", github.checkRuns("octo/app", sha).get(0).get("conclusion"));
        Store.Report r = store.reports(7).get(0);
        assertEquals(r.version(), r.sentVersion());
        assertEquals(null, r.nextAttempt(), "nothing paced after the check settled");
        assertEquals(List.of(), github.violations());
    }

    @Test
    void senderKilledAfterGitHubCreatedTheRun_nextSenderUpdatesThatRun() throws Exception {
        store.wantReport(7, CONTEXT, body(CheckState.PENDING));
        assertEquals(
                1, store.dueReports("killed-coordinator", clock.instant(), 10).size());
        long lost = createdByTheLostSender(7, CONTEXT);
        // Meanwhile the build finished; the killed coordinator's claim runs out.
        store.wantReport(7, CONTEXT, body(CheckState.SUCCESS));
        clock.pass(Store.REPORT_CLAIM.plus(Duration.ofSeconds(1)));

        reporter.sendDue();

        List<Map<String, Object>> runs = github.checkRuns("octo/app", sha);
        assertEquals(1, runs.size(), "one check run, not a second: " + runs);
        assertEquals(lost, ((Number) runs.get(0).get("id")).longValue());
        assertEquals("completed", runs.get(0).get("status"));
        assertEquals("success", runs.get(0).get("conclusion"));
        Store.Report r = store.reports(7).get(0);
        assertEquals(String.valueOf(lost), r.externalId());
        assertEquals(r.version(), r.sentVersion());
        assertEquals(1, listCalls());
        assertEquals(List.of(), github.violations());
    }

    @Test
    void createWhoseAnswerWasLost_isFoundByTheRetry_evenAfterANewerStateWasWanted() throws Exception {
        store.wantReport(7, CONTEXT, body(CheckState.PENDING));
        store.dueReports("this-coordinator", clock.instant(), 10);
        long lost = createdByTheLostSender(7, CONTEXT);
        // The create timed out after GitHub took it: deferred, then the wanted state changed (attempts start again).
        store.reportDeferred(7, CONTEXT, clock.instant().plusSeconds(5), "timeout");
        store.wantReport(7, CONTEXT, body(CheckState.FAILURE));
        assertEquals(0, store.reports(7).get(0).attempts());

        reporter.sendDue();

        List<Map<String, Object>> runs = github.checkRuns("octo/app", sha);
        assertEquals(1, runs.size(), "one check run, not a second: " + runs);
        assertEquals(lost, ((Number) runs.get(0).get("id")).longValue());
        assertEquals("failure", runs.get(0).get("conclusion"));
        assertEquals(String.valueOf(lost), store.reports(7).get(0).externalId());
    }

    @Test
    void runsOfOtherBuildsOrChecks_areNotTakenForIt() throws Exception {
        store.wantReport(7, CONTEXT, body(CheckState.PENDING));
        store.dueReports("killed-coordinator", clock.instant(), 10);
        // Same commit and check name, another build; same build, another check: neither is this report's run.
        long otherBuild = createdByTheLostSender(8, CONTEXT);
        long otherCheck = createdByTheLostSender(7, "multiarch");
        clock.pass(Store.REPORT_CLAIM.plus(Duration.ofSeconds(1)));

        reporter.sendDue();

        List<Map<String, Object>> runs = github.checkRuns("octo/app", sha);
        assertEquals(3, runs.size(), runs.toString());
        long created = Long.parseLong(store.reports(7).get(0).externalId());
        assertTrue(created != otherBuild && created != otherCheck, runs.toString());
    }

    @Test
    void firstSend_createsWithoutLookingForAnEarlierRun_andRecordsTheBuildsCheckSuite() throws Exception {
        long build = store.createBuild(dev.multiarch.store.NewBuild.builder()
                        .repo("octo/app")
                        .cloneUrl("https://github.example/octo/app.git")
                        .commit(sha)
                        .ref("refs/tags/v1")
                        .trigger(
                                new Origin("octo/app", sha, GitHubStandIn.INSTALLATION, 0, "release", false, "d-1", sha)
                                        .toJson())
                        .failedWith("not built: a test's build")
                        .build())
                .id();
        store.wantReport(build, CONTEXT, body(CheckState.PENDING));

        reporter.sendDue();

        List<Map<String, Object>> runs = github.checkRuns("octo/app", sha);
        assertEquals(1, runs.size());
        assertEquals(0, listCalls(), "a report never sent before costs no lookup");
        @SuppressWarnings("unchecked")
        long suite = ((Number) ((Map<String, Object>) runs.get(0).get("check_suite")).get("id")).longValue();
        assertEquals(
                build,
                store.latestBuildOfCheckSuite("octo/app", suite).orElseThrow().id());
        assertTrue(store.latestBuildOfCheckSuite("octo/other", suite).isEmpty(), "another repository's suite id");
        store.recordCheckSuite(build, suite + 1);
        assertEquals(
                build,
                store.latestBuildOfCheckSuite("octo/app", suite).orElseThrow().id(),
                "the first one stays");
    }

    @Test
    void aBuildsChecksSentTogether_lookUpTheRepositoryOnce() {
        for (String context : List.of("multiarch", "multiarch / linux/amd64", CONTEXT)) {
            store.wantReport(7, context, body(CheckState.PENDING));
        }

        reporter.sendDue();

        assertEquals(3, github.checkRuns("octo/app", sha).size());
        long lookups = github.calls().stream()
                .filter(c -> c.method().equals("GET") && c.path().equals("/repos/octo/app"))
                .count();
        assertEquals(1, lookups, "one GET /repos/octo/app for the batch, not one per check run");
    }
}
