package dev.multiarch.github;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.multiarch.testing.GitHubEvents;
import dev.multiarch.testing.TestClock;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kohsuke.github.GitHub;

/** Installation tokens and the github-api clients made with them, against a scripted token endpoint. */
class GitHubAccessTest {
    @TempDir
    Path dir;

    /** The test's clock: tokens expire when the test says so. */
    private final TestClock clock = new TestClock(Instant.parse("2026-11-28T10:00:00Z"));

    private final List<String> minted = new CopyOnWriteArrayList<>();
    private MockWebServer server;
    private GitHubAccess access;

    @BeforeEach
    void setUp() throws Exception {
        AtomicInteger n = new AtomicInteger();
        server = new MockWebServer();
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest r) {
                String path = r.getUrl().encodedPath();
                if (!r.getMethod().equals("POST") || !path.matches("/app/installations/\\d+/access_tokens")) {
                    return new MockResponse.Builder().code(404).build();
                }
                minted.add(path);
                // GitHub's tokens last an hour from when they are minted.
                return new MockResponse.Builder()
                        .code(201)
                        .addHeader("Content-Type", "application/json")
                        .body("{\"token\":\"ghs_" + n.incrementAndGet() + "\",\"expires_at\":\""
                                + clock.instant().plus(Duration.ofHours(1)) + "\"}")
                        .build();
            }
        });
        server.start(InetAddress.getLoopbackAddress(), 0);
        Path pem = dir.resolve("app.pem");
        GitHubEvents.appKey(pem);
        access = new GitHubAccess(TestApp.config(pem, server.url("/").toString(), dir), clock);
    }

    @AfterEach
    void tearDown() {
        access.close();
        server.close();
    }

    @Test
    void refreshedToken_replacesTheInstallationsClient_theCacheDoesNotGrow() throws Exception {
        GitHub first = access.client(4711);
        assertSame(first, access.client(4711), "a valid token keeps its client");
        assertEquals(1, minted.size());

        GitHub previous = first;
        for (int refresh = 1; refresh <= 5; refresh++) {
            // 56 minutes on, the token is within five minutes of expiring: a new one is minted.
            clock.pass(Duration.ofMinutes(56));
            GitHub next = access.client(4711);
            assertNotSame(previous, next, "refresh " + refresh + " makes a client with the new token");
            assertEquals(1, access.clientCount(), "after refresh " + refresh);
            assertEquals(1 + refresh, minted.size());
            previous = next;
        }

        access.client(4712);
        assertEquals(2, access.clientCount(), "one client per installation");
        assertEquals("/app/installations/4712/access_tokens", minted.get(minted.size() - 1));
    }
}
