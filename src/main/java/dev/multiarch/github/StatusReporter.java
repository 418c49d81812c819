package dev.multiarch.github;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.multiarch.base.Backoff;
import dev.multiarch.base.Json;
import dev.multiarch.pipeline.BuildListener;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.kohsuke.github.GHCheckRun;
import org.kohsuke.github.GHCheckRunBuilder;
import org.kohsuke.github.GHCommitState;
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

    private final Store store;
    private final GitHubAccess github;
    private final String publicUrl;
    private final Clock clock;
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
        sender.scheduleWithFixedDelay(this::sendDue, 250, 250, TimeUnit.MILLISECONDS);
    }

    @Override
    public void changed(BuildRecord b, List<JobRecord> jobs) {
        Origin o = Origin.of(b.trigger());
        if (o == null) {
            return;
        }
        String url = publicUrl + "/builds/" + b.id();
        store.wantReport(b.id(), CONTEXT, body(o, overall(b, jobs), url, b, null));
        for (JobRecord j : jobs) {
            store.wantReport(b.id(), CONTEXT + " / " + j.platform(), body(o, platform(b, j), url, b, j));
        }
        sender.execute(this::sendDue);
    }

    /** A check's wanted state: GitHub's words, plus the text of a check run. */
    record Wanted(String state, String description, String title, String summary, String text) {}

    private Wanted overall(BuildRecord b, List<JobRecord> jobs) {
        int n = jobs.size();
        long done = jobs.stream().filter(j -> j.state() == JobState.SUCCEEDED).count();
        return switch (b.state()) {
            case QUEUED -> new Wanted("pending", "Queued: " + n + " platform(s)", "Queued", summary(b, jobs), null);
            case RUNNING ->
                new Wanted(
                        "pending",
                        "Building: " + done + " of " + n + " platforms done",
                        "Building",
                        summary(b, jobs),
                        null);
            case VERIFYING ->
                new Wanted("pending", "Verifying " + n + " platforms", "Verifying", summary(b, jobs), null);
            case PUBLISHING -> new Wanted("pending", "Publishing", "Publishing", summary(b, jobs), null);
            case PUBLISHED ->
                new Wanted(
                        "success",
                        b.push()
                                ? "Published " + tagsText(b)
                                : "Built and verified " + n + " platform(s); nothing published",
                        b.push() ? "Published" : "Verified",
                        summary(b, jobs),
                        null);
            case FAILED ->
                new Wanted(
                        "failure",
                        b.error() == null ? "Failed" : b.error(),
                        "Failed",
                        summary(b, jobs),
                        failedLogs(jobs));
            case CANCELLED ->
                new Wanted(
                        "error",
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
                        j.attempt() == 0
                                ? "Waiting for a runner"
                                : "Waiting for a runner (attempt " + (j.attempt() + 1) + ")";
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
        String state =
                switch (j.state()) {
                    case QUEUED, RUNNING -> "pending";
                    case SUCCEEDED ->
                        b.state() == BuildState.PUBLISHED
                                ? "success"
                                : b.state() == BuildState.FAILED ? "failure" : "pending";
                    case FAILED -> "failure";
                    case CANCELLED -> "error";
                };
        String text = j.state() == JobState.FAILED ? logTail(j) : null;
        return new Wanted(
                state,
                d,
                j.platform() + ": " + j.state().word(),
                d + "\n\nImage: " + b.image() + "\n" + "Digest: " + (j.digest() == null ? "-" : j.digest()),
                text);
    }

    private static String shortDigest(String d) {
        return d == null ? "" : d.length() > 19 ? d.substring(0, 19) : d;
    }

    private static String tagsText(BuildRecord b) {
        try {
            JsonNode pub = Json.MAPPER.readTree(b.publishedTags() == null ? "{}" : b.publishedTags());
            List<String> tags = new ArrayList<>();
            pub.path("tags").forEach(t -> tags.add(t.asText()));
            return tags.isEmpty() ? "nothing (every tag belongs to a newer build)" : String.join(", ", tags);
        } catch (IOException e) {
            return "";
        }
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
            s.append("Error: ").append(b.error()).append("\n\n");
        }
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
        return cut(s.toString(), CHECK_TEXT_MAX);
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

    private static String body(Origin o, Wanted w, String url, BuildRecord b, JobRecord j) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("repo", o.repo())
                .put("sha", o.sha())
                .put("installation", o.installation())
                .put("state", w.state())
                .put("description", w.description())
                .put("url", url)
                .put("title", w.title())
                .put("summary", w.summary());
        if (w.text() != null) {
            n.put("text", w.text());
        }
        try {
            return Json.MAPPER.writeValueAsString(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Sends every due report, oldest build first; one that fails is deferred as GitHub asks. */
    void sendDue() {
        try {
            for (Store.Report r : store.dueReports(clock.instant(), 100)) {
                send(r);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "sending status checks failed", e);
        }
    }

    private void send(Store.Report r) {
        JsonNode b;
        try {
            b = Json.MAPPER.readTree(r.body());
        } catch (IOException e) {
            store.reportSent(r.buildId(), r.context(), r.version(), r.externalId());
            return;
        }
        try {
            GHRepository repo = github.client(b.path("installation").asLong())
                    .getRepository(b.path("repo").asText());
            String external = github.isApp() ? checkRun(repo, r, b) : status(repo, r, b);
            store.reportSent(r.buildId(), r.context(), r.version(), external);
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
        if (e instanceof HttpException h) {
            java.util.Map<String, List<String>> headers = h.getResponseHeaderFields();
            asked = RetryTimes.from(
                    h.getResponseCode(),
                    header(headers, "Retry-After"),
                    header(headers, "X-RateLimit-Remaining"),
                    header(headers, "X-RateLimit-Reset"),
                    now);
        } else if (e instanceof GitHubAccess.ApiError a) {
            asked = a.retryAt;
        }
        return asked != null && asked.isAfter(backoff) ? asked : backoff;
    }

    private static String header(java.util.Map<String, List<String>> headers, String name) {
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

    private static String status(GHRepository repo, Store.Report r, JsonNode b) throws IOException {
        GHCommitState state =
                switch (b.path("state").asText()) {
                    case "success" -> GHCommitState.SUCCESS;
                    case "failure" -> GHCommitState.FAILURE;
                    case "error" -> GHCommitState.ERROR;
                    default -> GHCommitState.PENDING;
                };
        repo.createCommitStatus(
                b.path("sha").asText(),
                state,
                b.path("url").asText(),
                cut(b.path("description").asText(), STATUS_DESCRIPTION_MAX),
                r.context());
        return null;
    }

    private static String checkRun(GHRepository repo, Store.Report r, JsonNode b) throws IOException {
        String state = b.path("state").asText();
        GHCheckRunBuilder builder = r.externalId() == null
                ? repo.createCheckRun(r.context(), b.path("sha").asText())
                : repo.updateCheckRun(Long.parseLong(r.externalId()));
        builder.withDetailsURL(b.path("url").asText()).withExternalID(r.buildId() + "/" + r.context());
        if (state.equals("pending")) {
            builder.withStatus(GHCheckRun.Status.IN_PROGRESS);
        } else {
            builder.withStatus(GHCheckRun.Status.COMPLETED)
                    .withConclusion(
                            switch (state) {
                                case "success" -> GHCheckRun.Conclusion.SUCCESS;
                                case "failure" -> GHCheckRun.Conclusion.FAILURE;
                                default -> GHCheckRun.Conclusion.CANCELLED;
                            })
                    .withCompletedAt(new java.util.Date());
        }
        GHCheckRunBuilder.Output out = new GHCheckRunBuilder.Output(
                cut(b.path("title").asText(), 255), cut(b.path("summary").asText(), CHECK_TEXT_MAX));
        if (b.hasNonNull("text")) {
            out.withText(cut(b.path("text").asText(), CHECK_TEXT_MAX));
        }
        builder.add(out);
        return String.valueOf(builder.create().getId());
    }

    @Override
    public void close() {
        sender.shutdown();
    }
}
