package dev.multiarch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;

/** Following builds: a change the coordinator in this process reports is seen at once, not at the next poll. */
class BuildProgressTest {
    private static String build(String state, boolean terminal) {
        return "{\"id\":1,\"image\":\"registry.example/app\",\"state\":\"" + state + "\",\"terminal\":" + terminal
                + ",\"jobs\":[]}";
    }

    @Test
    void aChangeReported_endsTheFollowingAtOnce_withoutWaitingForThePoll() throws Exception {
        AtomicBoolean published = new AtomicBoolean();
        CountDownLatch firstLook = new CountDownLatch(1);
        try (MockWebServer server = new MockWebServer()) {
            server.setDispatcher(new Dispatcher() {
                @Override
                public MockResponse dispatch(RecordedRequest r) {
                    String body = published.get() ? build("published", true) : build("running", false);
                    firstLook.countDown();
                    return new MockResponse.Builder()
                            .code(200)
                            .addHeader("Content-Type", "application/json")
                            .body(body)
                            .build();
                }
            });
            server.start();
            // A poll far longer than any test: only the report of the change can end the following.
            BuildProgress p = new BuildProgress(server.url("/").toString(), "token", Duration.ofDays(1));
            StringWriter text = new StringWriter();
            AtomicReference<List<JsonNode>> ended = new AtomicReference<>();
            Thread follower = new Thread(() -> {
                try {
                    ended.set(p.follow(List.of(1L), new PrintWriter(text), Duration.ofDays(2)));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            follower.start();
            assertTrue(firstLook.await(30, java.util.concurrent.TimeUnit.SECONDS), "the first look");
            published.set(true);
            p.changed();
            follower.join(Duration.ofSeconds(30).toMillis());
            if (follower.isAlive()) {
                p.close();
                follower.interrupt();
                throw new AssertionError(
                        "the change did not end the following within 30 s (the next poll is a day away)");
            }
            assertEquals("published", ended.get().get(0).path("state").asText(), text.toString());
            p.close();
        }
    }
}
