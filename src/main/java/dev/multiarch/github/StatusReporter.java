package dev.multiarch.github;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.multiarch.base.Backoff;
import dev.multiarch.github.CheckReport.Target;
import dev.multiarch.github.CheckReport.Wanted;
import dev.multiarch.pipeline.BuildListener;
import dev.multiarch.registry.Digest;
import dev.multiarch.store.BuildRecord;
import dev.multiarch.store.BuildState;
import dev.multiarch.store.JobRecord;
import dev.multiarch.store.JobState;
import dev.multiarch.store.LogChunk;
import dev.multiarch.store.Store;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.kohsuke.github.GHCheckRun;
import org.kohsuke.github.GHCheckRunBuilder;
import org.kohsuke.github.GHRepository;
import org.kohsuke.github.HttpException;

/**
 * Status checks for builds that came from GitHub: {@code multiarch} for the build and {@code multiarch / <platform>}
 * per platform. Every change of a build writes the state each check should have into the store (the outbox); a
 * sender sends what GitHub has not seen yet — a check run (as a GitHub App) or a commit status (with a token) — and
 * on errors or rate limits waits as GitHub says and tries again, without holding any build up. Only the latest
 * wanted state is sent, so the final one always gets there.
 */
public final class StatusReporter implements BuildListener, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(StatusReporter.class.getName());
    static final String CONTEXT = "multiarch";
    static final int STATUS_DESCRIPTION_MAX = 140;
    static final int CHECK_TEXT_MAX = 65535;
    /** GitHub answering 5xx or unreachable: 0.5 s doubling up to a minute; a rate limit's own time wins if later. */
    private static final Backoff RETRY = new Backoff(Duration.ofMillis(500), Duration.ofMinutes(1));
    /**
     * After a check's state that does not settle it (queued, building, verifying, publishing) was sent, the next such
     * state waits this long: states that pass within it reach GitHub as one update of the newest. A settling state
     * (success, failure, cancelled) goes at once. A 5-platform build updated its six check runs about 4 times each
     * (bench/pipeline-bench): one request per state change, against the installation's hourly rate limit.
     */
    static final Duration PACE = Duration.ofSeconds(5);

    private final Store store;
    private final GitHubAccess github;
    private final String publicUrl;
    private final Clock clock;
    /** This reporter, as the holder of the reports it claims ({@link Store#dueReports}). */
    private final String holder = java.util.UUID.randomUUID().toString();

    private final ScheduledExecutorService sender = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "github-status");
        t.setDaemon(true);
        return t;
    });

    public StatusReporter(Store store, GitHubAccess github, String publicUrl, Clock clock) {
        this.store = store;
        this.github = github;
        this.publicUrl = publicUrl;
        this.clock = clock;
    }

    /** Starts the sender: every 250 ms, and at once after each change. */
    public StatusReporter start() {
        sender.scheduleWithFixedDelay(this::sendDue, 250, 250, TimeUnit.MILLISECONDS);
        return this;
    }

    @Override
    public void changed(BuildRecord b, List<JobRecord> jobs) {
        Origin o = Origin.of(b.trigger());
        if (o == null) {
            return;
        }
        Target to = Target.of(o, publicUrl + "/builds/" + b.id());
        want(b.id(), CONTEXT, new CheckReport(to, overall(b, jobs)));
        for (JobRecord j : jobs) {
            want(b.id(), CONTEXT + " / " + j.platform(), new CheckReport(to, platform(b, j)));
        }
        sender.execute(this::sendDue);
    }

    private void want(long buildId, String context, CheckReport r) {
        store.wantReport(buildId, context, r.toJson(), settles(r));
    }

    private static boolean settles(CheckReport r) {
        return r.wanted().state() != CheckState.PENDING;
    }

    private Wanted overall(BuildRecord b, List<JobRecord> jobs) {
        int n = jobs.size();
        long done = jobs.stream().filter(j -> j.state() == JobState.SUCCEEDED).count();
        return switch (b.state()) {
            case QUEUED ->
                new Wanted(CheckState.PENDING, "Queued: " + n + " platform(s)", "Queued", summary(b, jobs), null);
            case RUNNING ->
                new Wanted(
                        CheckState.PENDING,
                        "Building: " + done + " of " + n + " platforms done",
                        "Building",
                        summary(b, jobs),
                        null);
            case VERIFYING ->
                new Wanted(CheckState.PENDING, "Verifying " + n + " platforms", "Verifying", summary(b, jobs), null);
            case PUBLISHING -> new Wanted(CheckState.PENDING, "Publishing", "Publishing", summary(b, jobs), null);
            case PUBLISHED ->
                new Wanted(
                        CheckState.SUCCESS,
                        b.push()
                                ? "Published " + tagsText(b)
                                : "Built and verified " + n + " platform(s); nothing published",
                        b.push() ? "Published" : "Verified",
                        summary(b, jobs),
                        null);
            case FAILED ->
                new Wanted(
                        CheckState.FAILURE,
                        b.error() == null ? "Failed" : b.error(),
                        "Failed",
                        summary(b, jobs),
                        failedLogs(jobs));
            case CANCELLED ->
                new Wanted(
                        CheckState.ERROR,
                        "Cancelled: " + (b.error() == null ? "" : b.error()),
                        "Cancelled",
                        summary(b, jobs),
                        null);
        };
    }

    private Wanted platform(BuildRecord b, JobRecord j) {
        String d =
                switch (j.state()) {
                    case QUEUED ->
                        (j.untrusted()
                                        ? "Waiting for a runner that takes pull requests from forks (untrusted-jobs:"
                                                + " true, registered with runners.untrusted-registration-secret)"
                                        : "Waiting for a runner")
                                + (j.attempt() == 0 ? "" : " (attempt " + (j.attempt() + 1) + ")");
                    case RUNNING -> "Building on " + j.runnerId() + " (attempt " + j.attempt() + ")";
                    case SUCCEEDED ->
                        b.state() == BuildState.PUBLISHED
                                ? "Verified " + shortDigest(j.digest())
                                : b.state() == BuildState.FAILED
                                        ? "Built " + shortDigest(j.digest()) + "; the build failed elsewhere"
                                        : "Built " + shortDigest(j.digest()) + "; verifying";
                    case FAILED -> j.error() == null ? "Failed" : j.error();
                    case CANCELLED -> "Cancelled";
                };
        CheckState state =
                switch (j.state()) {
                    case QUEUED, RUNNING -> CheckState.PENDING;
                    case SUCCEEDED ->
                        b.state() == BuildState.PUBLISHED
                                ? CheckState.SUCCESS
                                : b.state() == BuildState.FAILED ? CheckState.FAILURE : CheckState.PENDING;
                    case FAILED -> CheckState.FAILURE;
                    case CANCELLED -> CheckState.ERROR;
                };
        String text = j.state() == JobState.FAILED ? logTail(j) : null;
        return new Wanted(
                state,
                d,
                j.platform() + ": " + j.state().word(),
                d + "\n\nImage: " + b.image() + "\n" + "Digest: " + (j.digest() == null ? "-" : j.digest()),
                text);
    }

    private static String shortDigest(Digest digest) {
        String d = digest == null ? "" : digest.toString();
        return d.length() > 19 ? d.substring(0, 19) : d;
    }

    private static String tagsText(BuildRecord b) {
        return b.publishedTags().isEmpty()
                ? "nothing (every tag belongs to a newer build)"
                : String.join(", ", b.publishedTags());
    }

    private String summary(BuildRecord b, List<JobRecord> jobs) {
        StringBuilder s = new StringBuilder();
        s.append("**")
                .append(b.state().word())
                .append("** · [build page](")
                .append(publicUrl)
                .append("/builds/")
                .append(b.id())
                .append(")\n\n");
        if (b.image() != null) {
            s.append("Image: `").append(b.image()).append("`\n\n");
        }
        if (b.state() == BuildState.PUBLISHED && b.indexDigest() != null) {
            s.append("Published `")
                    .append(b.indexDigest())
                    .append("` as ")
                    .append(tagsText(b))
                    .append("\n\n");
        }
        if (b.error() != null) {
            s.append("Error: ").append(codeSpan(b.error(), false)).append("\n\n");
        }
        s.append(registryLines(b));
        if (!jobs.isEmpty()) {
            s.append("| platform | state | digest |\n|---|---|---|\n");
            for (JobRecord j : jobs) {
                s.append("| ")
                        .append(j.platform())
                        .append(" | ")
                        .append(j.state().word())
                        .append(" | ")
                        .append(j.digest() == null ? "" : "`" + j.digest() + "`")
                        .append(" |\n");
            }
        }
        s.append(timingTable(jobs));
        return cut(s.toString(), CHECK_TEXT_MAX);
    }

    /**
     * One line per registry for a build that publishes to several ({@code image: [A, B, …]}): published, failed with
     * the reason, or pending. Nothing for one registry.
     */
    private String registryLines(BuildRecord b) {
        List<Store.Publication> pubs = store.publications(b.id());
        if (pubs.size() < 2) {
            return "";
        }
        StringBuilder s = new StringBuilder("| registry | outcome |\n|---|---|\n");
        for (Store.Publication p : pubs) {
            String outcome =
                    switch (p.state()) {
                        case PUBLISHED -> "published" + (p.indexDigest() == null ? "" : " `" + p.indexDigest() + "`");
                        case FAILED ->
                            "failed: " + (p.error() == null ? "(no reason recorded)" : codeSpan(p.error(), true));
                        case PENDING -> "pending";
                    };
            s.append("| `").append(p.image()).append("` | ").append(outcome).append(" |\n");
        }
        return s.append('\n').toString();
    }

    /**
     * Text that may come from a registry (a build's error, a registry's reason) as Markdown that shows it and nothing
     * else: a code span — no links, images, HTML or emphasis — on one line, without backticks (which would end it) or
     * control characters; in a table cell the pipe is escaped too (GitHub splits cells on it even in code).
     */
    static String codeSpan(String s, boolean inTable) {
        String t = s.replaceAll("[\\p{Cc}\\p{Cf}\\s]+", " ").replace('`', '\'').strip();
        if (inTable) {
            t = t.replace("|", "\\|");
        }
        return t.isEmpty() ? "" : "`" + t + "`";
    }

    /**
     * Where each platform's time went, in seconds, as the build page and {@code /api/builds/{id}} show it: one row per
     * platform (its current attempt), one column per step in the order the steps ran (queue, fetch, checkout, build,
     * export, …, push, verify), and the total. Empty until a job has a time.
     */
    private String timingTable(List<JobRecord> jobs) {
        if (jobs.isEmpty()) {
            return "";
        }
        Map<Long, Map<String, Long>> byJob = new java.util.HashMap<>();
        java.util.LinkedHashSet<String> steps = new java.util.LinkedHashSet<>();
        Map<Long, Integer> attempts = new java.util.HashMap<>();
        jobs.forEach(j -> attempts.put(j.id(), j.attempt()));
        for (Store.StepTime t : store.timings(List.of(jobs.get(0).buildId()))) {
            if (!Integer.valueOf(t.attempt()).equals(attempts.get(t.jobId()))) {
                continue;
            }
            // Step names were screened when stored (lowercase words); at most 16 columns fit a summary.
            if (steps.size() < 16 || steps.contains(t.step())) {
                steps.add(t.step());
                byJob.computeIfAbsent(t.jobId(), k -> new java.util.LinkedHashMap<>())
                        .merge(t.step(), t.millis(), Long::sum);
            }
        }
        if (steps.isEmpty()) {
            return "";
        }
        StringBuilder s = new StringBuilder("\n**Time per step** (seconds)\n\n| platform |");
        StringBuilder rule = new StringBuilder("|---|");
        for (String step : steps) {
            s.append(' ').append(step).append(" |");
            rule.append("---:|");
        }
        s.append(" total |\n").append(rule).append("---:|\n");
        for (JobRecord j : jobs) {
            Map<String, Long> m = byJob.getOrDefault(j.id(), Map.of());
            s.append("| ").append(j.platform()).append(" |");
            long total = 0;
            for (String step : steps) {
                Long ms = m.get(step);
                s.append(' ').append(ms == null ? "" : seconds(ms)).append(" |");
                total += ms == null ? 0 : ms;
            }
            s.append(' ').append(m.isEmpty() ? "" : seconds(total)).append(" |\n");
        }
        return s.toString();
    }

    private static String seconds(long millis) {
        return String.format(java.util.Locale.ROOT, "%.2f", millis / 1000.0);
    }

    private String failedLogs(List<JobRecord> jobs) {
        StringBuilder s = new StringBuilder();
        for (JobRecord j : jobs) {
            if (j.state() == JobState.FAILED) {
                s.append(logTail(j)).append('\n');
            }
        }
        return s.length() == 0 ? null : cut(s.toString(), CHECK_TEXT_MAX);
    }

    /** The end of a failed platform's log, fenced, within GitHub's 65535-character limit for check run text. */
    private String logTail(JobRecord j) {
        StringBuilder log = new StringBuilder();
        for (LogChunk c : store.logTail(j.id(), 64 * 1024)) {
            if (c.attempt() == j.attempt()) {
                log.append(c.text());
            }
        }
        String head = "### " + j.platform() + " (attempt " + j.attempt() + ")\n```\n";
        int room = 60_000 - head.length();
        String tail = log.length() > room ? "…\n" + log.substring(log.length() - room) : log.toString();
        return head + tail.replace("```", "` ` `") + "\n```";
    }

    static String cut(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }

    /** Sends every due report, oldest build first; one that fails is deferred as GitHub asks. */
    void sendDue() {
        try {
            Instant claimed = clock.instant();
            // A build's checks go out together: one repository lookup per batch, not one per check run (a 5-platform
            // build sent 30 GET /repos/{owner}/{repo} of its 61 requests, bench/pipeline-bench).
            Map<String, Looked> repos = new java.util.HashMap<>();
            for (Store.Report r : store.dueReports(holder, claimed, 100)) {
                // Sending a batch may outlast its claim (each call to GitHub may take its time): past a third of it,
                // each report is claimed again before it is sent, and one another coordinator took over is left to it.
                Instant now = clock.instant();
                if (now.isAfter(claimed.plus(Store.REPORT_CLAIM.dividedBy(3)))
                        && !store.holdReport(holder, r.buildId(), r.context(), now.plus(Store.REPORT_CLAIM))) {
                    LOG.info(() -> "status " + r.context() + " for build " + r.buildId()
                            + ": taken over by another coordinator while this one sent others");
                    continue;
                }
                send(r, repos);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "sending status checks failed", e);
        }
    }

    /** A repository as looked up through one client (a refreshed token is a new client: looked up again). */
    private record Looked(org.kohsuke.github.GitHub client, GHRepository repo) {}

    private GHRepository repository(Target to, Map<String, Looked> repos) throws IOException {
        org.kohsuke.github.GitHub client = github.client(to.installation());
        String key = to.installation() + "/" + to.repo();
        Looked l = repos.get(key);
        if (l == null || l.client() != client) {
            l = new Looked(client, client.getRepository(to.repo()));
            repos.put(key, l);
        }
        return l.repo();
    }

    private void send(Store.Report r, Map<String, Looked> repos) {
        CheckReport c;
        try {
            c = CheckReport.fromJson(r.body());
        } catch (JsonProcessingException e) {
            // Retrying cannot make the row readable; the next change of the build writes a new one.
            String error = cut(String.valueOf(e.getOriginalMessage()), 300);
            LOG.warning(() -> "status " + r.context() + " for build " + r.buildId() + " is not sent: its stored state"
                    + " (version " + r.version() + ") is unreadable: " + error);
            store.reportDropped(r.buildId(), r.context(), r.version(), "unreadable: " + error);
            return;
        }
        try {
            GHRepository repo = repository(c.target(), repos);
            String external = github.isApp() ? checkRun(repo, r, c) : status(repo, r, c);
            store.reportSent(
                    r.buildId(),
                    r.context(),
                    r.version(),
                    external,
                    settles(c) ? null : clock.instant().plus(PACE));
        } catch (IOException e) {
            Instant next = retryAt(e, r.attempts());
            LOG.warning(() -> "status " + r.context() + " for build " + r.buildId() + " not sent (" + e.getMessage()
                    + "); trying again at " + next);
            store.reportDeferred(r.buildId(), r.context(), next, e.getMessage());
        }
    }

    private Instant retryAt(IOException e, int attempts) {
        Instant now = clock.instant();
        Instant backoff = now.plus(RETRY.delay(attempts));
        Instant asked = null;
        // No answer at all (connection refused): github-api reports status -1 and has no headers to give (asking for
        // them throws).
        if (e instanceof HttpException h && h.getResponseCode() > 0) {
            Map<String, List<String>> headers = h.getResponseHeaderFields();
            asked = RetryTimes.from(
                    h.getResponseCode(),
                    header(headers, "Retry-After"),
                    header(headers, "X-RateLimit-Remaining"),
                    header(headers, "X-RateLimit-Reset"),
                    clock);
        } else if (e instanceof GitHubAccess.ApiError a) {
            asked = a.retryAt;
        }
        return asked != null && asked.isAfter(backoff) ? asked : backoff;
    }

    private static String header(Map<String, List<String>> headers, String name) {
        if (headers == null) {
            return null;
        }
        for (var e : headers.entrySet()) {
            if (e.getKey() != null
                    && e.getKey().equalsIgnoreCase(name)
                    && !e.getValue().isEmpty()) {
                return e.getValue().get(0);
            }
        }
        return null;
    }

    private static String status(GHRepository repo, Store.Report r, CheckReport c) throws IOException {
        Target to = c.target();
        Wanted w = c.wanted();
        repo.createCommitStatus(
                to.sha(), w.state().commitState(), to.url(), cut(w.description(), STATUS_DESCRIPTION_MAX), r.context());
        return null;
    }

    private String checkRun(GHRepository repo, Store.Report r, CheckReport c) throws IOException {
        Target to = c.target();
        Wanted w = c.wanted();
        String externalId = externalId(r);
        Long existing = r.externalId() != null ? Long.valueOf(r.externalId()) : created(repo, r, to, externalId);
        GHCheckRunBuilder builder =
                existing == null ? repo.createCheckRun(r.context(), to.sha()) : repo.updateCheckRun(existing);
        builder.withDetailsURL(to.url())
                .withExternalID(externalId)
                .withStatus(w.state().checkRunStatus());
        Optional<GHCheckRun.Conclusion> conclusion = w.state().conclusion();
        if (conclusion.isPresent()) {
            builder.withConclusion(conclusion.get()).withCompletedAt(Date.from(clock.instant()));
        }
        GHCheckRunBuilder.Output out =
                new GHCheckRunBuilder.Output(cut(w.title(), 255), cut(w.summary(), CHECK_TEXT_MAX));
        if (w.text() != null) {
            out.withText(cut(w.text(), CHECK_TEXT_MAX));
        }
        builder.add(out);
        GHCheckRun run = builder.create();
        if (existing == null
                && run.getCheckSuite() != null
                && run.getCheckSuite().getId() > 0) {
            // The suite GitHub put the build's check runs in: a re-run request names it.
            store.recordCheckSuite(r.buildId(), run.getCheckSuite().getId());
        }
        return String.valueOf(run.getId());
    }

    /** What a check run of ours carries as its {@code external_id}: the build and the check it reports. */
    static String externalId(Store.Report r) {
        return r.buildId() + "/" + r.context();
    }

    /**
     * The check run an earlier attempt created for this report but never recorded, if there is one: only asked when
     * an earlier attempt may have reached GitHub without its answer being recorded (it failed, maybe after GitHub
     * created the run: a timeout; or its sender's claim ran out, the sender killed between GitHub's answer and the
     * store), so a second run of the same check is not created. Found by the check's name on the commit, this App's
     * runs only, and the exact external id ({@code build/context}); null when there is none.
     */
    private Long created(GHRepository repo, Store.Report r, Target to, String externalId) throws IOException {
        if (r.lastError() == null && !r.claimUnsettled()) {
            return null;
        }
        Map<String, Object> query = new java.util.LinkedHashMap<>();
        query.put("check_name", r.context());
        query.put("filter", "all");
        String app = github.appId();
        if (app != null) {
            query.put("app_id", app);
        }
        for (GHCheckRun run : repo.getCheckRuns(to.sha(), query).withPageSize(100)) {
            if (externalId.equals(run.getExternalId())
                    && (app == null
                            || (run.getApp() != null
                                    && String.valueOf(run.getApp().getId()).equals(app)))) {
                LOG.info(() -> "status " + r.context() + " for build " + r.buildId() + ": check run " + run.getId()
                        + " was created by an earlier attempt that recorded no answer; updating it");
                return run.getId();
            }
        }
        return null;
    }

    @Override
    public void close() {
        sender.shutdown();
        // A send under way finishes before close returns: nothing reaches a store or a log that is gone.
        try {
            sender.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
