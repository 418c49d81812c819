package dev.multiarch.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.base.Json;
import dev.multiarch.config.RunnerConfig;
import dev.multiarch.dispatch.Protocol;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a runner says when it asks for a job: the layer cache scopes it holds, so the dispatcher can prefer it. */
class RunnerPollTest {
    @TempDir
    Path dir;

    @Test
    void theRunnersPoll_namesTheCacheScopesItHolds_mostRecentlyUsedFirst() throws Exception {
        Path work = dir.resolve("work");
        // Two builds of acme/app's image on this runner, arm64 the later: what a job's lease leaves on disk.
        CacheScopes earlier =
                new CacheScopes(work.resolve("cache"), RunnerConfig.DEFAULT_CACHE_SIZE, Clock.systemUTC());
        earlier.acquire("acme/app", "registry.test/acme/app", "linux/amd64").close();
        Path amd64Used = work.resolve("cache")
                .resolve(CacheScopes.name("acme/app", "registry.test/acme/app", "linux/amd64"))
                .resolve("last-used");
        java.nio.file.Files.setLastModifiedTime(
                amd64Used, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 60_000));
        earlier.acquire("acme/app", "registry.test/acme/app", "linux/arm64").close();

        BlockingQueue<String> polls = new LinkedBlockingQueue<>();
        try (MockWebServer coordinator = new MockWebServer()) {
            coordinator.setDispatcher(new Dispatcher() {
                @Override
                public MockResponse dispatch(RecordedRequest r) {
                    if (r.getUrl().encodedPath().equals("/api/runners/register")) {
                        return json(201, "{\"runnerId\":\"runner-1\",\"token\":\"t\"}");
                    }
                    if (r.getUrl().encodedPath().equals("/api/runners/poll")) {
                        polls.add(r.getBody() == null ? "" : r.getBody().utf8());
                        return new MockResponse.Builder().code(204).build();
                    }
                    return json(404, "{\"error\":\"not here\"}");
                }
            });
            coordinator.start();
            String url = coordinator.url("/").toString().replaceAll("/$", "");
            RunnerConfig config = RunnerConfig.parse(
                    "runner.yaml",
                    "coordinator: " + url + "\nregistration-secret: s\nwork-dir: " + work
                            + "\nnative: [linux/amd64, linux/arm64]\nqemu: []\njobs: 1\n",
                    Map.of(),
                    dir);
            try (RunnerAgent agent = new RunnerAgent(config)) {
                Thread t = new Thread(agent, "runner-under-test");
                t.setDaemon(true);
                t.start();
                String body = polls.poll(30, TimeUnit.SECONDS);
                assertNotNull(body, "the runner polled within 30 s");
                JsonNode poll = Json.MAPPER.readTree(body);
                List<String> scopes = Json.MAPPER.convertValue(
                        poll.path("cacheScopes"),
                        Json.MAPPER.getTypeFactory().constructCollectionType(List.class, String.class));
                assertEquals(
                        List.of(
                                Protocol.cacheScope("acme/app", "registry.test/acme/app", "linux/arm64"),
                                Protocol.cacheScope("acme/app", "registry.test/acme/app", "linux/amd64")),
                        scopes,
                        body);
                assertEquals(0, poll.path("commits").size(), "no source fetched yet: " + body);
            }
        }
    }

    private static MockResponse json(int code, String body) {
        return new MockResponse.Builder()
                .code(code)
                .addHeader("Content-Type", "application/json")
                .body(body)
                .build();
    }
}
