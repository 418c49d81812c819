package dev.multiarch.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.base.Json;
import dev.multiarch.config.ServiceConfig;
import dev.multiarch.testing.GitRepo;
import dev.multiarch.testing.Scrape;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /metrics} on a real coordinator ({@link CoordinatorApp}, as {@code multiarch serve} starts it, over H2):
 * who may read it, and what a scrape holds after a runner registered and polled and a build was queued — checked by
 * Prometheus' own {@code promtool}.
 */
class MetricsEndpointTest {
    static final String SECRET = "test-registration-secret-0123456789";
    static final String ADMIN = "test-admin-token-9876543210";
    static final String TOKEN = "test-metrics-token-0123456789";
    /** A repository name that must never reach a scrape (as if it were private). */
    static final String REPO = "acme/very-private-thing";

    static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @TempDir
    Path dir;

    private CoordinatorApp start(String metricsToken) {
        return start(metricsToken, Duration.ofMillis(200));
    }

    private CoordinatorApp start(String metricsToken, Duration longPoll) {
        ServiceConfig config = ServiceConfig.builder(dir.resolve("data"), SECRET)
                .adminToken(ADMIN)
                .metricsToken(metricsToken)
                .port(0)
                .longPoll(longPoll)
                .allowLocalSources(true)
                .sourceCache(dir.resolve("sources"))
                .build();
        return CoordinatorApp.start(config, List.of());
    }

    record Answer(int status, String body, HttpResponse<String> response) {}

    static Answer call(CoordinatorApp app, String method, String path, String bearer, String json) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + path))
                    .timeout(Duration.ofSeconds(30))
                    .method(
                            method,
                            json == null
                                    ? HttpRequest.BodyPublishers.noBody()
                                    : HttpRequest.BodyPublishers.ofString(json));
            if (json != null) {
                b.header("Content-Type", "application/json");
            }
            if (bearer != null) {
                b.header("Authorization", "Bearer " + bearer);
            }
            HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r.body(), r);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void metrics_withoutTheToken_refused401_wrongToken401_rightToken200() throws IOException {
        try (CoordinatorApp app = start(TOKEN)) {
            Answer none = call(app, "GET", "/metrics", null, null);
            assertEquals(401, none.status(), none.body());
            assertEquals(
                    "missing Authorization: Bearer <token>",
                    Json.MAPPER.readTree(none.body()).path("error").asText());
            assertTrue(none.response()
                    .headers()
                    .firstValue("WWW-Authenticate")
                    .orElse("")
                    .startsWith("Bearer"));
            Answer wrong = call(app, "GET", "/metrics", TOKEN + "x", null);
            assertEquals(401, wrong.status(), wrong.body());
            assertEquals(
                    "wrong metrics token",
                    Json.MAPPER.readTree(wrong.body()).path("error").asText());
            // The admin token opens trigger and cancel, not this: the two are kept apart.
            assertEquals(401, call(app, "GET", "/metrics", ADMIN, null).status());
            Answer right = call(app, "GET", "/metrics", TOKEN, null);
            assertEquals(200, right.status(), right.body());
            assertTrue(right.body().contains("multiarch_builds{"), right.body());
        }
    }

    @Test
    void metrics_notConfigured_answers404() throws IOException {
        try (CoordinatorApp app = start(null)) {
            Answer a = call(app, "GET", "/metrics", TOKEN, null);
            assertEquals(404, a.status(), a.body());
            assertEquals(
                    "metrics are off: set server.metrics-token in config.yaml",
                    Json.MAPPER.readTree(a.body()).path("error").asText());
        }
    }

    @Test
    void scrape_afterRunnerPollsAndBuildQueued_countsThem_passesPromtool_namesNoRepository() throws IOException {
        GitRepo repo = GitRepo.create(Files.createDirectories(dir.resolve("repo")));
        String commit = repo.commit(
                "two platforms nobody builds here",
                Map.of(
                        ".multiarch.yaml",
                        "image: 127.0.0.1:5999/" + REPO + "\nplatforms: [linux/riscv64, linux/s390x, linux/arm64/v8]\n",
                        "Dockerfile",
                        "FROM scratch\n"));
        try (CoordinatorApp app = start(TOKEN)) {
            Scrape before = Scrape.get("http://127.0.0.1:" + app.port() + "/metrics", TOKEN);
            before.promtool();
            assertEquals(0, before.sum("multiarch_builds", "state", "queued"));
            assertEquals(0, before.sum("multiarch_runners_connected"));
            assertEquals(0, before.sum("multiarch_jobs_queued"));

            Answer reg = call(
                    app,
                    "POST",
                    "/api/runners/register",
                    null,
                    "{\"name\":\"r1\",\"secret\":\"" + SECRET + "\",\"nativePlatforms\":[\"linux/amd64\"],"
                            + "\"qemuPlatforms\":[]}");
            assertEquals(201, reg.status(), reg.body());
            String runnerToken = Json.MAPPER.readTree(reg.body()).path("token").asText();
            Answer poll = call(app, "POST", "/api/runners/poll", runnerToken, null);
            assertEquals(204, poll.status(), poll.body());
            Answer trigger = call(
                    app,
                    "POST",
                    "/api/builds",
                    ADMIN,
                    Json.writeString(Map.of(
                            "repo", REPO, "cloneUrl", repo.cloneUrl(), "commit", commit, "ref", "refs/tags/v1.0.0")));
            assertEquals(201, trigger.status(), trigger.body());
            // A path nobody serves, naming the repository: the HTTP meters label the route template, never the path.
            assertEquals(
                    404, call(app, "GET", "/" + REPO + "/settings", null, null).status());
            assertEquals(
                    404, call(app, "GET", "/builds/0?repo=" + REPO, null, null).status());
            JsonNode build = Json.MAPPER.readTree(trigger.body()).get(0);
            assertEquals("queued", build.path("state").asText(), build.toString());

            // The store's counts are cached for up to five seconds: poll for them with a deadline.
            Scrape after = awaitScrape(app, s -> s.sum("multiarch_builds", "state", "queued") == 1);
            after.promtool();
            assertEquals(1, after.sum("multiarch_runners_connected"), after.text());
            assertEquals(0, after.sum("multiarch_runners_busy"));
            assertEquals(1, after.sum("multiarch_jobs_queued", "platform", "linux/riscv64"));
            assertEquals(1, after.sum("multiarch_jobs_queued", "platform", "linux/s390x"));
            // arm64/v8 is arm64 once normalised: one label value per platform, however the file spells it.
            assertEquals(1, after.sum("multiarch_jobs_queued", "platform", "linux/arm64"));
            assertEquals(3, after.sum("multiarch_jobs_queued"));
            for (String state : List.of("queued", "running", "verifying", "publishing", "published", "failed")) {
                assertEquals(
                        1, after.matching("multiarch_builds", "state", state).size(), state);
            }
            // Vert.x's HTTP server meters, by route template (the routes a request went through) and status.
            assertEquals(
                    1,
                    after.matching("vertx_http_server_requests_total", "code", "204").stream()
                            .filter(x -> x.labels().get("route").endsWith("/api/runners/poll"))
                            .mapToDouble(Scrape.Sample::value)
                            .sum(),
                    after.text());
            assertTrue(after.sum("jvm_memory_used_bytes") > 0);
            // Nothing in a scrape names the repository, its image or where it lives.
            assertFalse(after.text().contains("very-private-thing"), "the repository leaked into /metrics");
            assertFalse(after.text().contains(dir.toString()), "a path leaked into /metrics");
            Set<String> labels = after.labelValues().keySet();
            assertFalse(
                    labels.contains("repo") || labels.contains("repository") || labels.contains("path"),
                    labels.toString());
        }
    }

    @Test
    void runnersWaiting_countsTheLongPollsOfThisCoordinator_untilOneGetsAJob() throws Exception {
        GitRepo repo = GitRepo.create(Files.createDirectories(dir.resolve("repo")));
        String commit = repo.commit(
                "one platform",
                Map.of(
                        ".multiarch.yaml",
                        "image: 127.0.0.1:5999/" + REPO + "\nplatforms: [linux/amd64]\n",
                        "Dockerfile",
                        "FROM scratch\n"));
        try (CoordinatorApp app = start(TOKEN, Duration.ofSeconds(60))) {
            assertEquals(
                    0,
                    Scrape.get("http://127.0.0.1:" + app.port() + "/metrics", TOKEN)
                            .sum("multiarch_runners_waiting"));
            Answer reg = call(
                    app,
                    "POST",
                    "/api/runners/register",
                    null,
                    "{\"name\":\"r1\",\"secret\":\"" + SECRET + "\",\"nativePlatforms\":[\"linux/amd64\"],"
                            + "\"qemuPlatforms\":[]}");
            String runnerToken = Json.MAPPER.readTree(reg.body()).path("token").asText();
            java.util.concurrent.CompletableFuture<Answer> poll = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> call(app, "POST", "/api/runners/poll", runnerToken, null));
            awaitScrape(app, s -> s.sum("multiarch_runners_waiting") == 1);

            Answer trigger = call(
                    app,
                    "POST",
                    "/api/builds",
                    ADMIN,
                    Json.writeString(Map.of(
                            "repo", REPO, "cloneUrl", repo.cloneUrl(), "commit", commit, "ref", "refs/tags/v1.0.0")));
            assertEquals(201, trigger.status(), trigger.body());
            Answer job = poll.get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(200, job.status(), job.body());
            assertEquals(
                    0,
                    Scrape.get("http://127.0.0.1:" + app.port() + "/metrics", TOKEN)
                            .sum("multiarch_runners_waiting"),
                    "the runner that got the job waits no more");
        }
    }

    private static Scrape awaitScrape(CoordinatorApp app, java.util.function.Predicate<Scrape> until) {
        Scrape[] last = new Scrape[1];
        dev.multiarch.testing.Ports.await("a scrape showing the change", Duration.ofSeconds(30), () -> {
            last[0] = Scrape.get("http://127.0.0.1:" + app.port() + "/metrics", TOKEN);
            return until.test(last[0]);
        });
        return last[0];
    }
}
