package dev.multiarch.web;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.multiarch.base.Json;
import dev.multiarch.config.ServiceConfig;
import dev.multiarch.testing.GitRepo;
import dev.multiarch.testing.Ports;
import dev.multiarch.testing.PostgresCluster;
import dev.multiarch.testing.Scrape;
import dev.multiarch.testing.TestDatabases;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two real coordinators on one PostgreSQL database: a build queued through one and a job claimed through the other
 * show the same builds, queue and runners in both scrapes, because those gauges are read from the store.
 */
@ExtendWith(TestDatabases.class)
class SharedMetricsTest {
    static final String SECRET = MetricsEndpointTest.SECRET;
    static final String ADMIN = MetricsEndpointTest.ADMIN;
    static final String TOKEN = MetricsEndpointTest.TOKEN;

    @TempDir
    Path dir;

    private CoordinatorApp start(String name, String jdbcUrl) {
        ServiceConfig config = ServiceConfig.builder(dir.resolve(name), SECRET)
                .adminToken(ADMIN)
                .metricsToken(TOKEN)
                .port(0)
                .longPoll(Duration.ofSeconds(5))
                .allowLocalSources(true)
                .sourceCache(dir.resolve(name).resolve("sources"))
                .database(java.util.Optional.of(new ServiceConfig.Database(jdbcUrl, "postgres", null)))
                .build();
        return CoordinatorApp.start(config, List.of());
    }

    @Test
    void buildQueuedThroughA_jobClaimedThroughB_bothScrapesAgree(TestDatabases databases) throws Exception {
        PostgresCluster cluster = databases.cluster();
        String db = cluster.createDatabase();
        try {
            GitRepo repo = GitRepo.create(Files.createDirectories(dir.resolve("repo")));
            String commit = repo.commit(
                    "two platforms",
                    Map.of(
                            ".multiarch.yaml",
                            "image: 127.0.0.1:5999/acme/app\nplatforms: [linux/riscv64, linux/s390x]\n",
                            "Dockerfile",
                            "FROM scratch\n"));
            try (CoordinatorApp a = start("a", cluster.jdbcUrl(db));
                    CoordinatorApp b = start("b", cluster.jdbcUrl(db))) {
                MetricsEndpointTest.Answer trigger = MetricsEndpointTest.call(
                        a,
                        "POST",
                        "/api/builds",
                        ADMIN,
                        Json.writeString(Map.of(
                                "repo",
                                "acme/app",
                                "cloneUrl",
                                repo.cloneUrl(),
                                "commit",
                                commit,
                                "ref",
                                "refs/tags/v1.0.0",
                                "push",
                                false)));
                assertEquals(201, trigger.status(), trigger.body());

                Scrape onB = await(b, s -> s.sum("multiarch_builds", "state", "queued") == 1);
                assertEquals(1, onB.sum("multiarch_jobs_queued", "platform", "linux/riscv64"), onB.text());
                assertEquals(1, onB.sum("multiarch_jobs_queued", "platform", "linux/s390x"));

                MetricsEndpointTest.Answer reg = MetricsEndpointTest.call(
                        b,
                        "POST",
                        "/api/runners/register",
                        null,
                        "{\"name\":\"rv\",\"secret\":\"" + SECRET + "\",\"nativePlatforms\":[\"linux/riscv64\"],"
                                + "\"qemuPlatforms\":[]}");
                assertEquals(201, reg.status(), reg.body());
                String token = Json.MAPPER.readTree(reg.body()).path("token").asText();
                MetricsEndpointTest.Answer poll = MetricsEndpointTest.call(b, "POST", "/api/runners/poll", token, null);
                assertEquals(200, poll.status(), poll.body());
                assertEquals(
                        "linux/riscv64",
                        Json.MAPPER.readTree(poll.body()).path("platform").asText());

                // A counts what B did: the job B leased, the runner that polled B.
                Scrape onA = await(a, s -> s.sum("multiarch_runners_busy") == 1);
                assertEquals(1, onA.sum("multiarch_runners_connected"), onA.text());
                assertEquals(0, onA.sum("multiarch_jobs_queued", "platform", "linux/riscv64"));
                assertEquals(1, onA.sum("multiarch_jobs_queued", "platform", "linux/s390x"));
                assertEquals(1, onA.sum("multiarch_builds", "state", "running"));
                assertEquals(0, onA.sum("multiarch_builds", "state", "queued"));
                onA.promtool();
            }
        } finally {
            cluster.dropDatabase(db);
        }
    }

    private static Scrape await(CoordinatorApp app, Predicate<Scrape> until) {
        Scrape[] last = new Scrape[1];
        Ports.await("a scrape showing the change", Duration.ofSeconds(30), () -> {
            last[0] = Scrape.get("http://127.0.0.1:" + app.port() + "/metrics", TOKEN);
            return until.test(last[0]);
        });
        return last[0];
    }
}
