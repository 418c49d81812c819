package dev.multiarch.github;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.multiarch.github.CheckReport.Target;
import dev.multiarch.github.CheckReport.Wanted;
import dev.multiarch.platform.Platform;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.store.JdbcStore;
import dev.multiarch.store.JobRecord;
import dev.multiarch.store.Store;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kohsuke.github.GHCheckRun;
import org.kohsuke.github.GHCommitState;

/** The status outbox: one typed record in and out of the store, and rows that cannot be read. */
class StatusReporterTest {
    private static final String TOKEN = "ghp_unit_test_token_0123456789";
    /** A row exactly as the reporter wrote it before the state was an enum. */
    private static final String UNTYPED_ROW = "{\"repo\":\"octo/app\",\"sha\":\"" + "a".repeat(40)
            + "\",\"installation\":4711,\"state\":\"error\",\"description\":\"Cancelled: superseded\","
            + "\"url\":\"http://ci.example/builds/7\",\"title\":\"Cancelled\",\"summary\":\"**cancelled**\"}";

    @TempDir
    Path dir;

    private final Clock clock = Clock.fixed(Instant.parse("2026-11-28T10:00:00Z"), ZoneOffset.UTC);
    private final Logger log = Logger.getLogger(StatusReporter.class.getName());
    private final List<LogRecord> logged = new ArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            synchronized (logged) {
                logged.add(r);
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    private JdbcStore store;
    private GitHubAccess access;
    private StatusReporter reporter;

    @BeforeEach
    void setUp() {
        store = JdbcStore.embedded(dir.resolve("store"));
        // Nothing listens there: these tests never reach GitHub.
        access = new GitHubAccess(
                GitHubConfig.of(Map.of("webhook-secret", "s", "token", TOKEN, "api-url", "http://127.0.0.1:9"), dir),
                clock);
        reporter = new StatusReporter(store, access, "http://ci.example", clock);
        log.addHandler(capture);
    }

    @AfterEach
    void tearDown() {
        log.removeHandler(capture);
        reporter.close();
        access.close();
        store.close();
    }

    @Test
    void unreadableRow_isLoggedWithBuildContextAndError_andNotTriedAgain() {
        String context = "multiarch / linux/arm64";
        store.wantReport(7, context, UNTYPED_ROW.replace("\"error\"", "\"cancelled\""));
        store.wantReport(7, "multiarch", "{\"repo\": \"octo/app\", ");

        reporter.sendDue();

        List<String> warnings;
        synchronized (logged) {
            warnings = logged.stream()
                    .filter(r -> r.getLevel() == Level.WARNING)
                    .map(LogRecord::getMessage)
                    .toList();
        }
        assertEquals(2, warnings.size(), warnings.toString());
        String bad =
                warnings.stream().filter(w -> w.contains(context)).findFirst().orElseThrow();
        assertTrue(
                bad.startsWith("status multiarch / linux/arm64 for build 7 is not sent: its stored state (version 1)"
                        + " is unreadable: Cannot deserialize value of type `dev.multiarch.github.CheckState` from String "
                        + "\"cancelled\""),
                bad);
        String truncated = warnings.stream()
                .filter(w -> w.startsWith("status multiarch for build 7 "))
                .findFirst()
                .orElseThrow();
        assertTrue(truncated.contains("is unreadable: Unexpected end-of-input"), truncated);
        warnings.forEach(w -> assertFalse(w.contains(TOKEN), w));

        assertEquals(List.of(), store.dueReports("sender", clock.instant(), 10), "neither row is tried again");
        for (Store.Report r : store.reports(7)) {
            assertEquals(r.version(), r.sentVersion(), r.toString());
            assertTrue(r.lastError().startsWith("unreadable: "), r.toString());
        }
        reporter.sendDue();
        synchronized (logged) {
            assertEquals(2, logged.size(), "nothing more to say about rows already dropped");
        }

        store.wantReport(7, context, UNTYPED_ROW);
        List<Store.Report> due = store.dueReports("sender", clock.instant(), 10);
        assertEquals(1, due.size(), "a newer state of the check is sent as usual");
        assertEquals(2, due.get(0).version());
    }

    @Test
    void githubRefusingConnections_defersTheReport_withTheError() {
        store.wantReport(7, "multiarch", UNTYPED_ROW);

        reporter.sendDue();

        Store.Report r = store.reports(7).get(0);
        assertEquals(0, r.sentVersion(), r.toString());
        assertEquals(1, r.attempts(), r.toString());
        assertTrue(r.nextAttempt().isAfter(clock.instant()), r.toString());
        synchronized (logged) {
            assertTrue(
                    logged.stream().anyMatch(l -> l.getMessage().startsWith("status multiarch for build 7 not sent (")),
                    logged.stream().map(LogRecord::getMessage).toList().toString());
        }
    }

    @Test
    void forkJobWaiting_saysItWaitsForARunnerOfUntrustedJobs_trustedOneDoesNot() throws JsonProcessingException {
        for (boolean untrusted : new boolean[] {true, false}) {
            Origin o = new Origin("octo/app", "c".repeat(40), 0, 9, "pull-requests", untrusted, "d", "b".repeat(40));
            dev.multiarch.store.BuildRecord b = store.createBuild(dev.multiarch.store.NewBuild.builder()
                    .repo("octo/app")
                    .cloneUrl("https://github.com/octo/app.git")
                    .commit("c".repeat(40))
                    .ref("refs/pull/9/head")
                    .image(ImageReference.parse("ghcr.io/octo/app"))
                    .spec("{}")
                    .tags("[]")
                    .untrusted(untrusted)
                    .trigger(o.toJson())
                    .jobs(List.of(new dev.multiarch.store.NewBuild.NewJob(Platform.parse("linux/amd64"), 600)))
                    .build());
            reporter.changed(b, store.jobs(b.id()));
            String row = store.reports(b.id()).stream()
                    .filter(r -> r.context().equals("multiarch / linux/amd64"))
                    .findFirst()
                    .orElseThrow()
                    .body();
            String description = CheckReport.fromJson(row).wanted().description();
            assertEquals(
                    untrusted
                            ? "Waiting for a runner that takes pull requests from forks (untrusted-jobs: true, registered with"
                                    + " runners.untrusted-registration-secret)"
                            : "Waiting for a runner",
                    description);
        }
    }

    @Test
    void summary_hasATimingTable_onePerPlatformRow_stepsInTheOrderTheyRan() throws JsonProcessingException {
        Origin o = new Origin("octo/app", "c".repeat(40), 0, 0, "release", false, null, null);
        dev.multiarch.store.BuildRecord b = store.createBuild(dev.multiarch.store.NewBuild.builder()
                .repo("octo/app")
                .cloneUrl("https://github.com/octo/app.git")
                .commit("c".repeat(40))
                .ref("refs/tags/v1.0.0")
                .image(ImageReference.parse("ghcr.io/octo/app"))
                .spec("{}")
                .tags("[]")
                .push(true)
                .trigger(o.toJson())
                .jobs(List.of(
                        new dev.multiarch.store.NewBuild.NewJob(Platform.parse("linux/amd64"), 600),
                        new dev.multiarch.store.NewBuild.NewJob(Platform.parse("linux/arm64"), 600)))
                .build());
        List<JobRecord> jobs = store.jobs(b.id());
        reporter.changed(b, jobs);
        assertFalse(summaryOf(b).contains("Time per step"), "no times yet, no table");

        java.util.Map<String, Long> amd = new java.util.LinkedHashMap<>();
        amd.put("queue", 120L);
        amd.put("fetch", 1300L);
        amd.put("build", 950L);
        amd.put("push", 70L);
        store.recordTimings(jobs.get(0).id(), jobs.get(0).attempt(), amd);
        java.util.Map<String, Long> arm = new java.util.LinkedHashMap<>();
        arm.put("queue", 1804L);
        arm.put("build", 2911L);
        arm.put("verify", 78L);
        store.recordTimings(jobs.get(1).id(), jobs.get(1).attempt(), arm);
        store.recordTimings(jobs.get(1).id(), jobs.get(1).attempt() + 1, java.util.Map.of("build", 99_000L));
        reporter.changed(b, jobs);
        String summary = summaryOf(b);
        assertTrue(
                summary.contains("**Time per step** (seconds)\n\n"
                        + "| platform | queue | fetch | build | push | verify | total |\n"
                        + "|---|---:|---:|---:|---:|---:|---:|\n"
                        + "| linux/amd64 | 0.12 | 1.30 | 0.95 | 0.07 |  | 2.44 |\n"
                        + "| linux/arm64 | 1.80 |  | 2.91 |  | 0.08 | 4.79 |\n"),
                summary);
        assertFalse(summary.contains("99.00"), "only each platform's current attempt counts");
    }

    private String summaryOf(dev.multiarch.store.BuildRecord b) throws JsonProcessingException {
        String row = store.reports(b.id()).stream()
                .filter(r -> r.context().equals("multiarch"))
                .findFirst()
                .orElseThrow()
                .body();
        return CheckReport.fromJson(row).wanted().summary();
    }

    @Test
    void checkReport_rowOfTheUntypedReporter_readsBackTyped() throws Exception {
        CheckReport r = CheckReport.fromJson(UNTYPED_ROW);
        assertEquals(new Target("octo/app", "a".repeat(40), 4711, "http://ci.example/builds/7"), r.target());
        assertEquals(
                new Wanted(CheckState.ERROR, "Cancelled: superseded", "Cancelled", "**cancelled**", null), r.wanted());
        assertEquals(r, CheckReport.fromJson(r.toJson()));
        assertFalse(r.toJson().contains("\"text\""), "no text, no property: " + r.toJson());
        assertTrue(r.toJson().contains("\"state\":\"error\""), "GitHub's word in the row: " + r.toJson());

        CheckReport withText = new CheckReport(
                r.target(), new Wanted(CheckState.FAILURE, "Failed", "Failed", "s", "### linux/arm64\n```\nlog\n```"));
        assertEquals(withText, CheckReport.fromJson(withText.toJson()));
    }

    @Test
    void checkReport_withoutWhatEveryReportHas_isUnreadable() {
        JsonProcessingException e =
                assertThrows(JsonProcessingException.class, () -> CheckReport.fromJson("{\"repo\":\"octo/app\"}"));
        assertEquals("missing sha, url, state, description, title, summary", e.getOriginalMessage());
        assertThrows(JsonProcessingException.class, () -> CheckReport.fromJson("null"));
        assertThrows(JsonProcessingException.class, () -> CheckReport.fromJson("[]"));
    }

    @Test
    void checkState_inBothOfGitHubsVocabularies() {
        assertEquals(GHCommitState.PENDING, CheckState.PENDING.commitState());
        assertEquals(GHCheckRun.Status.IN_PROGRESS, CheckState.PENDING.checkRunStatus());
        assertEquals(Optional.empty(), CheckState.PENDING.conclusion());

        assertEquals(GHCommitState.SUCCESS, CheckState.SUCCESS.commitState());
        assertEquals(Optional.of(GHCheckRun.Conclusion.SUCCESS), CheckState.SUCCESS.conclusion());
        assertEquals(GHCommitState.FAILURE, CheckState.FAILURE.commitState());
        assertEquals(Optional.of(GHCheckRun.Conclusion.FAILURE), CheckState.FAILURE.conclusion());
        assertEquals(GHCommitState.ERROR, CheckState.ERROR.commitState());
        assertEquals(Optional.of(GHCheckRun.Conclusion.CANCELLED), CheckState.ERROR.conclusion());
        for (CheckState s : List.of(CheckState.SUCCESS, CheckState.FAILURE, CheckState.ERROR)) {
            assertEquals(GHCheckRun.Status.COMPLETED, s.checkRunStatus(), s.name());
        }
    }
}
