package dev.multiarch.github;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.multiarch.base.Json;
import dev.multiarch.testing.GitHubEvents;
import dev.multiarch.testing.GitHubStandIn;
import dev.multiarch.testing.GitRepo;
import dev.multiarch.testing.PipelineRig;
import dev.multiarch.testing.Ports;
import dev.multiarch.testing.RegistryServer;
import dev.multiarch.testing.Scrape;
import dev.multiarch.testing.TestImages;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /metrics} of a coordinator process (the real jar, as a GitHub App against the GitHub stand-in) scraped
 * over HTTP while real traffic goes through it: signed webhooks (and refused ones), a tag push built by a native and
 * a QEMU runner and published to a real registry, and a runner reporting an image the registry does not have. Every
 * scrape passes {@code promtool check metrics}; the sample Grafana dashboard names only metrics a scrape has.
 */
class MetricsIT {
    static final String REPO = "octo-org/metrics-private";
    static final String WEBHOOK_SECRET = "webhook-secret-metrics-0123456789";
    static final String METRICS_TOKEN = "metrics-token-0123456789abcdef";
    static final long INSTALLATION = 4711;
    static final Duration DEADLINE = Duration.ofMinutes(4);
    static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @TempDir
    static Path dir;

    static RegistryServer registry;
    static GitHubStandIn github;
    static PipelineRig rig;
    static GitRepo repo;

    @BeforeAll
    static void start() throws Exception {
        registry = RegistryServer.start();
        Path pem = dir.resolve("app.pem");
        KeyPair key = GitHubEvents.appKey(pem);
        github = new GitHubStandIn(GitHubStandIn.openApi(), "424242", key.getPublic(), null);
        repo = GitRepo.create(Files.createDirectories(dir.resolve("repo")));
        github.repo(REPO, Path.of(repo.cloneUrl()));
        github.makePrivate(REPO);
        rig = new PipelineRig(dir, registry, 6)
                .withServerConfig("  metrics-token: ${TEST_METRICS}\n")
                .withConfig(
                        "repositories:\n  - match: " + REPO + "\n    images: [" + registry.host() + "/*]\n"
                                + "github:\n  api-url: " + github.url() + "\n"
                                + "  webhook-secrets: [\"${WH}\"]\n  app-id: \"424242\"\n"
                                + "  private-key-file: " + pem + "\n  workflows: "
                                + Path.of("workflows").toAbsolutePath() + "\n",
                        Map.of("WH", WEBHOOK_SECRET, "TEST_METRICS", METRICS_TOKEN));
        rig.startCoordinator();
        rig.startRunner("m-amd64", List.of("linux/amd64"), List.of(), 1);
        rig.startRunner("m-qemu", List.of(), List.of("linux/arm64"), 1);
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

    static Map<String, String> project(String platforms) {
        Map<String, String> files = new LinkedHashMap<>();
        files.put(
                "Dockerfile",
                "FROM scratch\nARG TARGETARCH\nCOPY busybox-${TARGETARCH} /bin/busybox\n"
                        + "RUN [\"/bin/busybox\", \"true\"]\n");
        files.put("busybox-amd64", "@" + TestImages.busybox("amd64"));
        files.put("busybox-arm64", "@" + TestImages.busybox("arm64"));
        files.put(".multiarch.yaml", "image: " + registry.host() + "/metrics-app\nplatforms: [" + platforms + "]\n");
        return files;
    }

    static ObjectNode tagPush(String tag, String commit) {
        ObjectNode p = GitHubEvents.example(
                "push",
                e -> e.path("ref").asText().startsWith("refs/tags/")
                        && e.path("created").asBoolean()
                        && !e.path("deleted").asBoolean());
        GitHubEvents.repoint(p, REPO, repo.cloneUrl(), INSTALLATION);
        p.put("ref", "refs/tags/" + tag).put("after", commit).put("before", "0".repeat(40));
        return p;
    }

    /** Scrapes until {@code until} holds: the store's counts are cached for up to five seconds. */
    static Scrape awaitScrape(String what, Predicate<Scrape> until) {
        Scrape[] last = new Scrape[1];
        Ports.await(what, DEADLINE, () -> {
            last[0] = Scrape.get(rig.url() + "/metrics", METRICS_TOKEN);
            return until.test(last[0]);
        });
        last[0].promtool();
        return last[0];
    }

    static JsonNode awaitBuild(String commit) {
        JsonNode[] found = new JsonNode[1];
        Ports.await("a finished build of " + commit, DEADLINE, () -> {
            for (JsonNode b : rig.api().builds(commit)) {
                String s = b.path("state").asText();
                found[0] = b;
                return s.equals("published") || s.equals("failed") || s.equals("cancelled");
            }
            return false;
        });
        return found[0];
    }

    @Test
    void realTraffic_movesEveryMetric_scrapesPassPromtool_dashboardNamesExistingMetrics() throws Exception {
        Scrape before = awaitScrape("both runners", x -> x.sum("multiarch_runners_connected") == 2);
        assertEquals(0, before.sum("multiarch_webhook_deliveries_total"));
        assertEquals(0, before.sum("multiarch_builds", "state", "published"));

        // A tag push, delivered as GitHub does; then GitHub's redelivery of it, a forged one and an unsigned one.
        String commit = repo.commit("two platforms", project("linux/amd64, linux/arm64"));
        repo.tag("v1.0.0");
        byte[] body = Json.MAPPER.writeValueAsBytes(tagPush("v1.0.0", commit));
        String delivery = UUID.randomUUID().toString();
        String url = rig.url() + "/webhook";
        String signature = WebhookSignature.sign(WEBHOOK_SECRET, body);
        assertEquals(
                202,
                GitHubEvents.deliver(url, "push", delivery, body, signature).status());
        assertEquals(
                200,
                GitHubEvents.deliver(url, "push", delivery, body, signature).status());
        assertEquals(
                403,
                GitHubEvents.deliver(url, "push", UUID.randomUUID().toString(), body, WebhookSignature.sign("x", body))
                        .status());
        assertEquals(
                401,
                GitHubEvents.deliver(url, "push", UUID.randomUUID().toString(), body, null)
                        .status());
        JsonNode published = awaitBuild(commit);
        assertEquals("published", published.path("state").asText(), published.toString());

        Scrape s = awaitScrape("the published build", x -> x.sum("multiarch_builds", "state", "published") == 1);
        assertEquals(1, s.sum("multiarch_webhook_deliveries_total", "event", "push", "status", "202"), s.text());
        assertEquals(1, s.sum("multiarch_webhook_deliveries_total", "event", "push", "status", "200"));
        assertEquals(1, s.sum("multiarch_webhook_deliveries_total", "event", "push", "status", "403"));
        assertEquals(1, s.sum("multiarch_webhook_deliveries_total", "event", "push", "status", "401"));
        assertEquals(4, s.sum("multiarch_webhook_ack_seconds_count"));
        // Every answer well within GitHub's 10 s.
        assertEquals(4, s.sum("multiarch_webhook_ack_seconds_bucket", "le", "10.0"), s.text());
        assertEquals(0, s.sum("multiarch_builds", "state", "queued"));
        assertEquals(0, s.sum("multiarch_jobs_queued"));
        // One job per platform, timed, native for amd64 and QEMU for arm64 (as the runners registered them).
        assertEquals(
                1,
                s.sum(
                        "multiarch_job_duration_seconds_count",
                        "platform",
                        "linux/amd64",
                        "emulation",
                        "native",
                        "outcome",
                        "succeeded"));
        assertEquals(
                1,
                s.sum(
                        "multiarch_job_duration_seconds_count",
                        "platform",
                        "linux/arm64",
                        "emulation",
                        "qemu",
                        "outcome",
                        "succeeded"));
        assertTrue(s.sum("multiarch_job_duration_seconds_sum", "platform", "linux/arm64") > 0);
        assertEquals(1, s.sum("multiarch_job_step_seconds_count", "step", "build", "emulation", "qemu"));
        assertEquals(1, s.sum("multiarch_job_step_seconds_count", "step", "push", "emulation", "native"));
        assertEquals(1, s.sum("multiarch_job_step_seconds_count", "step", "queue", "emulation", "native"));
        assertEquals(1, s.sum("multiarch_job_step_seconds_count", "step", "queue", "emulation", "qemu"));
        // GitHub: the configuration read through the contents API, tokens minted, check runs sent.
        assertTrue(s.sum("multiarch_github_api_calls_total", "resource", "contents", "status", "200") >= 1, s.text());
        assertTrue(s.sum("multiarch_github_api_calls_total", "resource", "installation-token", "status", "201") >= 1);
        Scrape checks = awaitScrape(
                "check runs reported", x -> x.sum("multiarch_github_api_calls_total", "resource", "check-runs") >= 1);
        double remaining = checks.sum("multiarch_github_rate_limit_remaining", "client", "installation");
        assertTrue(remaining >= github.rateLimitRemaining() && remaining < 5000, checks.text());
        assertTrue(checks.matching("multiarch_github_rate_limit_remaining", "client", "app")
                        .size()
                == 1);

        // A runner that reports an image the registry never received: the coordinator's check of it is refused by
        // the registry (MANIFEST_UNKNOWN), and the build fails.
        String odd = repo.commit("a platform only the test runner builds", project("linux/riscv64"));
        repo.tag("v2.0.0");
        assertEquals(
                202,
                GitHubEvents.deliver(url, "push", tagPush("v2.0.0", odd), WEBHOOK_SECRET)
                        .status());
        String runnerToken = registerRunner("m-riscv64", "linux/riscv64");
        JsonNode job = pollForJob(runnerToken);
        assertEquals("linux/riscv64", job.path("platform").asText());
        HttpResponse<String> done = post(
                "/api/jobs/" + job.path("jobId").asLong() + "/complete",
                runnerToken,
                "{\"attempt\":" + job.path("attempt").asInt() + ",\"digest\":\"sha256:" + "0".repeat(64)
                        + "\",\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"size\":100,"
                        + "\"addedLayers\":1,\"timings\":{\"fetch\":10,\"build\":20}}");
        assertEquals(204, done.statusCode(), done.body());
        JsonNode failed = awaitBuild(odd);
        assertEquals("failed", failed.path("state").asText(), failed.toString());

        Scrape last = awaitScrape("the failed build", x -> x.sum("multiarch_builds", "state", "failed") == 1);
        assertTrue(last.sum("multiarch_registry_errors_total", "code", "MANIFEST_UNKNOWN") >= 1, last.text());
        assertEquals(
                1,
                last.sum("multiarch_job_duration_seconds_count", "platform", "linux/riscv64", "emulation", "native"));
        assertEquals(3, last.sum("multiarch_runners_connected"));
        // The repository is private: nothing in a scrape names it, its owner or its image.
        assertFalse(last.text().contains("octo-org"), "a repository name leaked into /metrics");
        assertFalse(last.text().contains("metrics-app"), "an image name leaked into /metrics");

        // The sample dashboard asks only for metrics that exist.
        Set<String> missing = new TreeSet<>(dashboardMetrics());
        missing.removeAll(last.names());
        assertEquals(Set.of(), missing, "docs/grafana/multiarch.json names metrics /metrics does not have");
        System.out.printf(
                "metrics: %d samples, %d bytes per scrape; %d metric names used by the dashboard%n",
                last.samples().size(), last.text().length(), dashboardMetrics().size());
    }

    /** Every metric name the dashboard's queries use (ours, Vert.x's and the JVM's). */
    static Set<String> dashboardMetrics() throws IOException {
        JsonNode d = Json.MAPPER.readTree(Path.of("docs/grafana/multiarch.json").toFile());
        Set<String> out = new TreeSet<>();
        Pattern name = Pattern.compile("\\b((?:multiarch|vertx|jvm|process)_[a-z0-9_]+)\\b");
        for (JsonNode p : d.path("panels")) {
            for (JsonNode t : p.path("targets")) {
                Matcher m = name.matcher(t.path("expr").asText());
                while (m.find()) {
                    out.add(m.group(1));
                }
            }
        }
        assertTrue(out.size() >= 10, "the dashboard's queries: " + out);
        return out;
    }

    static String registerRunner(String name, String platform) throws Exception {
        HttpResponse<String> r = post(
                "/api/runners/register",
                null,
                "{\"name\":\"" + name + "\",\"secret\":\"" + PipelineRig.SECRET + "\",\"nativePlatforms\":[\""
                        + platform + "\"],\"qemuPlatforms\":[]}");
        assertEquals(201, r.statusCode(), r.body());
        return Json.MAPPER.readTree(r.body()).path("token").asText();
    }

    /** Long-polls (5 s each) until the coordinator hands this runner a job. */
    static JsonNode pollForJob(String token) throws Exception {
        JsonNode[] job = new JsonNode[1];
        Ports.await("a job for the test runner", DEADLINE, () -> {
            try {
                HttpResponse<String> r = post("/api/runners/poll", token, null);
                if (r.statusCode() == 200) {
                    job[0] = Json.MAPPER.readTree(r.body());
                    return true;
                }
                assertEquals(204, r.statusCode(), r.body());
                return false;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        return job[0];
    }

    static HttpResponse<String> post(String path, String bearer, String json) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(rig.url() + path))
                .timeout(Duration.ofSeconds(60))
                .POST(json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            b.header("Content-Type", "application/json");
        }
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
