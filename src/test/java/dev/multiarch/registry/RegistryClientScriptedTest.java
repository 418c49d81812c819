package dev.multiarch.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.base.Backoff;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Component tests against scripted HTTP, for what a real registry will not do on demand: 5xx and 429 storms,
 * Retry-After, a token server, a registry that rewrites manifests.
 */
class RegistryClientScriptedTest {
    private static final RetryPolicy FAST = new RetryPolicy(4, Duration.ofMillis(1), Duration.ofMillis(20));
    private static final String INDEX =
            "{\"schemaVersion\":2,\"mediaType\":\"" + MediaType.OCI_INDEX + "\",\"manifests\":[]}";

    private MockWebServer server;
    private String registry;

    @BeforeEach
    void start() throws Exception {
        server = new MockWebServer();
        server.start(InetAddress.getLoopbackAddress(), 0);
        registry = "127.0.0.1:" + server.getPort();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private RegistryClient client(CredentialSource creds, RetryPolicy retry) {
        return RegistryClient.builder().withCredentials(creds).withRetry(retry).create();
    }

    private static MockResponse status(int code) {
        return new MockResponse.Builder().code(code).build();
    }

    private static MockResponse manifest(String body, String type) {
        return new MockResponse.Builder()
                .code(200)
                .addHeader("Content-Type", type)
                .addHeader(
                        "Docker-Content-Digest", Digest.sha256(body.getBytes()).toString())
                .body(body)
                .build();
    }

    @Test
    void failureListener_hearsEachFailedOperationOnce_withTheRegistrysCode_notExpectedAnswers() {
        List<RegistryException> heard = new ArrayList<>();
        server.enqueue(new MockResponse.Builder()
                .code(404)
                .addHeader("Content-Type", "application/json")
                .body("{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}")
                .build());
        server.enqueue(status(404)); // HEAD: absent, which is an answer, not a failure
        for (int i = 0; i < FAST.attempts(); i++) {
            server.enqueue(status(503));
        }
        try (RegistryClient c = RegistryClient.builder()
                .withRetry(FAST)
                .withFailureListener(heard::add)
                .create()) {
            ImageReference ref = ImageReference.parse(registry + "/app:1");
            RegistryException unknown = assertThrows(RegistryException.class, () -> c.getManifest(ref));
            assertEquals("MANIFEST_UNKNOWN", unknown.code());
            assertTrue(c.head(ref).isEmpty());
            RegistryException down = assertThrows(RegistryException.class, () -> c.getManifest(ref));
            assertEquals(List.of(unknown, down), heard);
            assertEquals("HTTP 503", down.code());
        }
    }

    @Test
    void get_503Twice_thenSucceeds() {
        server.enqueue(status(503));
        server.enqueue(status(502));
        server.enqueue(manifest(INDEX, MediaType.OCI_INDEX));
        try (RegistryClient c = client(CredentialSource.NONE, FAST)) {
            Manifest m = c.getManifest(ImageReference.parse(registry + "/app:1"));
            assertTrue(m.isIndex());
        }
        assertEquals(3, server.getRequestCount());
    }

    @Test
    void get_429WithRetryAfter_isHonouredThenSucceeds() throws Exception {
        server.enqueue(new MockResponse.Builder()
                .code(429)
                .addHeader("Retry-After", "0")
                .build());
        server.enqueue(manifest(INDEX, MediaType.OCI_INDEX));
        try (RegistryClient c = client(CredentialSource.NONE, FAST)) {
            c.getManifest(ImageReference.parse(registry + "/app:1"));
        }
        assertEquals(2, server.getRequestCount());
    }

    @Test
    void retryAfter_parsesSecondsAndDates() {
        assertEquals(
                Duration.ofSeconds(7),
                Backoff.retryAfter("7", java.time.Clock.systemUTC()).orElseThrow());
        assertEquals(
                Duration.ZERO,
                Backoff.retryAfter("Wed, 21 Oct 2015 07:28:00 GMT", java.time.Clock.systemUTC())
                        .orElseThrow());
        assertTrue(Backoff.retryAfter("soon", java.time.Clock.systemUTC()).isEmpty());
    }

    @Test
    void get_503Forever_givesUpWithCodeAndAttempts() {
        for (int i = 0; i < 4; i++) {
            server.enqueue(new MockResponse.Builder()
                    .code(503)
                    .body("{\"errors\":[{\"code\":\"UNAVAILABLE\",\"message\":\"service unavailable\"}]}")
                    .build());
        }
        try (RegistryClient c = client(CredentialSource.NONE, FAST)) {
            RegistryException e = assertThrows(
                    RegistryException.class, () -> c.getManifest(ImageReference.parse(registry + "/app:1")));
            assertEquals("UNAVAILABLE", e.code());
            assertEquals(503, e.httpStatus());
            assertTrue(
                    e.getMessage()
                            .startsWith("Tried to pull the manifest of " + registry
                                    + "/app:1 but failed because: UNAVAILABLE"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("retried 4 times"), e.getMessage());
        }
        assertEquals(4, server.getRequestCount());
    }

    @Test
    void head_404_isAbsentNotAnError() {
        server.enqueue(status(404));
        try (RegistryClient c = client(CredentialSource.NONE, FAST)) {
            assertTrue(c.head(ImageReference.parse(registry + "/app:nope")).isEmpty());
        }
    }

    @Test
    void get_sendsAllFourManifestTypes() throws Exception {
        server.enqueue(manifest(INDEX, MediaType.OCI_INDEX));
        try (RegistryClient c = client(CredentialSource.NONE, FAST)) {
            c.getManifest(ImageReference.parse(registry + "/app:1"));
        }
        String accept = server.takeRequest().getHeaders().get("Accept");
        for (String t : List.of(
                MediaType.OCI_INDEX, MediaType.DOCKER_LIST, MediaType.OCI_MANIFEST, MediaType.DOCKER_MANIFEST)) {
            assertTrue(accept.contains(t), accept);
        }
    }

    @Test
    void put_registryDigestDiffers_isRefused() {
        server.enqueue(new MockResponse.Builder()
                .code(201)
                .addHeader("Docker-Content-Digest", "sha256:" + "0".repeat(64))
                .build());
        Manifest m = Manifest.of(INDEX.getBytes(), MediaType.OCI_INDEX);
        try (RegistryClient c = client(CredentialSource.NONE, FAST)) {
            RegistryException e = assertThrows(
                    RegistryException.class,
                    () -> c.putManifest(ImageReference.parse(registry + "/app:1"), m, "the index"));
            assertEquals("DIGEST_MISMATCH", e.code());
            assertTrue(e.getMessage().contains(m.digest().toString()), e.getMessage());
        }
    }

    @Test
    void put_sendsExactBytesAndContentType() throws Exception {
        Manifest m = Manifest.of(INDEX.getBytes(), MediaType.OCI_INDEX);
        server.enqueue(new MockResponse.Builder()
                .code(201)
                .addHeader("Docker-Content-Digest", m.digest().toString())
                .build());
        try (RegistryClient c = client(CredentialSource.NONE, FAST)) {
            assertEquals(m.digest(), c.putManifest(ImageReference.parse(registry + "/app:1"), m, "the index"));
        }
        RecordedRequest r = server.takeRequest();
        assertEquals("PUT", r.getMethod());
        assertEquals(MediaType.OCI_INDEX, r.getHeaders().get("Content-Type"));
        assertEquals(INDEX, r.getBody().utf8());
    }

    @Test
    void checkWritable_opensAnUploadAndCancelsIt_aRefusalIsThrown() throws Exception {
        ImageReference cache = ImageReference.parse(registry + "/o/r/cache/linux-amd64");
        server.enqueue(new MockResponse.Builder()
                .code(202)
                .addHeader("Location", "/v2/o/r/cache/linux-amd64/blobs/uploads/u1")
                .build());
        server.enqueue(status(204));
        server.enqueue(new MockResponse.Builder()
                .code(404)
                .addHeader("Content-Type", "application/json")
                .body("{\"errors\":[{\"code\":\"NAME_UNKNOWN\",\"message\":\"repository does not exist\"}]}")
                .build());
        try (RegistryClient c = client(CredentialSource.NONE, FAST)) {
            c.checkWritable(cache);
            RecordedRequest post = server.takeRequest();
            assertEquals("POST", post.getMethod());
            assertEquals(
                    "/v2/o/r/cache/linux-amd64/blobs/uploads/", post.getUrl().encodedPath());
            RecordedRequest delete = server.takeRequest();
            assertEquals("DELETE", delete.getMethod());
            assertEquals(
                    "/v2/o/r/cache/linux-amd64/blobs/uploads/u1",
                    delete.getUrl().encodedPath());

            RegistryException e = assertThrows(RegistryException.class, () -> c.checkWritable(cache));
            assertEquals("NAME_UNKNOWN", e.code());
        }
    }

    @Test
    void get_byDigest_bytesThatDoNotHash_areRefused() {
        server.enqueue(new MockResponse.Builder()
                .code(200)
                .addHeader("Content-Type", MediaType.OCI_INDEX)
                .body(INDEX)
                .build());
        Digest other = Digest.sha256("something else".getBytes());
        try (RegistryClient c = client(CredentialSource.NONE, FAST)) {
            RegistryException e = assertThrows(
                    RegistryException.class, () -> c.getManifest(ImageReference.parse(registry + "/app@" + other)));
            assertEquals("DIGEST_MISMATCH", e.code());
        }
    }

    /** A registry with a token server: 401 + Bearer challenge, token by GET with Basic credentials, then cached. */
    @Test
    void bearer_challenge_fetchesTokenOnceAndReusesItForTheScope() throws Exception {
        List<String> tokenQueries = new ArrayList<>();
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest r) {
                String path = r.getUrl().encodedPath();
                if (path.equals("/token")) {
                    tokenQueries.add(
                            r.getUrl().query() + " auth=" + r.getHeaders().get("Authorization"));
                    return new MockResponse.Builder()
                            .code(200)
                            .body("{\"token\":\"tok-1\",\"expires_in\":300}")
                            .build();
                }
                if (!"Bearer tok-1".equals(r.getHeaders().get("Authorization"))) {
                    return new MockResponse.Builder()
                            .code(401)
                            .addHeader(
                                    "WWW-Authenticate",
                                    "Bearer realm=\"http://" + registry
                                            + "/token\",service=\"test-registry\",scope=\"repository:app:pull\"")
                            .body("{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}")
                            .build();
                }
                return manifest(INDEX, MediaType.OCI_INDEX);
            }
        });
        CredentialSource creds = CredentialSource.forRegistry(registry, Credentials.basic("alice", "pw"));
        try (RegistryClient c = client(creds, FAST)) {
            c.getManifest(ImageReference.parse(registry + "/app:1"));
            c.getManifest(ImageReference.parse(registry + "/app:2"));
            c.head(ImageReference.parse(registry + "/app:3"));
        }
        assertEquals(1, tokenQueries.size(), tokenQueries.toString());
        assertTrue(tokenQueries.get(0).contains("service=test-registry"), tokenQueries.get(0));
        assertTrue(tokenQueries.get(0).contains("scope=repository:app:pull"), tokenQueries.get(0));
        assertTrue(tokenQueries.get(0).contains("auth=Basic "), "token request carries the credentials");
        assertEquals(5, server.getRequestCount(), "401, token, 200, then 200 and 200 with the cached token");
    }

    @Test
    void bearer_tokenServerRefusesCredentials_isUnauthorizedWithoutLeakingThem() {
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest r) {
                if (r.getUrl().encodedPath().equals("/token")) {
                    return status(401);
                }
                return new MockResponse.Builder()
                        .code(401)
                        .addHeader("WWW-Authenticate", "Bearer realm=\"http://" + registry + "/token\",service=\"svc\"")
                        .build();
            }
        });
        CredentialSource creds = CredentialSource.forRegistry(registry, Credentials.basic("alice", "hunter2"));
        try (RegistryClient c = client(creds, FAST)) {
            RegistryException e = assertThrows(
                    RegistryException.class, () -> c.getManifest(ImageReference.parse(registry + "/app:1")));
            assertEquals("UNAUTHORIZED", e.code());
            assertTrue(e.getMessage().contains("user 'alice'"), e.getMessage());
            assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
        }
    }

    @Test
    void identityToken_isExchangedWithRefreshTokenGrant() throws Exception {
        List<String> forms = new ArrayList<>();
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest r) {
                if (r.getUrl().encodedPath().equals("/token")) {
                    forms.add(r.getMethod() + " " + r.getBody().utf8());
                    return new MockResponse.Builder()
                            .code(200)
                            .body("{\"access_token\":\"tok-2\"}")
                            .build();
                }
                if (!"Bearer tok-2".equals(r.getHeaders().get("Authorization"))) {
                    return new MockResponse.Builder()
                            .code(401)
                            .addHeader(
                                    "WWW-Authenticate",
                                    "Bearer realm=\"http://" + registry + "/token\",service=\"svc\"")
                            .build();
                }
                return manifest(INDEX, MediaType.OCI_INDEX);
            }
        });
        CredentialSource creds = CredentialSource.forRegistry(registry, new Credentials("", "", "refresh-xyz"));
        try (RegistryClient c = client(creds, FAST)) {
            c.getManifest(ImageReference.parse(registry + "/app:1"));
        }
        assertEquals(1, forms.size());
        assertTrue(forms.get(0).startsWith("POST "), forms.get(0));
        assertTrue(forms.get(0).contains("grant_type=refresh_token"), forms.get(0));
        assertTrue(forms.get(0).contains("refresh_token=refresh-xyz"), forms.get(0));
        assertTrue(forms.get(0).contains("scope=repository%3Aapp%3Apull"), forms.get(0));
    }

    @Test
    void basic_challenge_isAnsweredOnceThenSentUpFront() throws Exception {
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest r) {
                if (r.getHeaders().get("Authorization") == null) {
                    return new MockResponse.Builder()
                            .code(401)
                            .addHeader("WWW-Authenticate", "Basic realm=\"Registry Realm\"")
                            .build();
                }
                return manifest(INDEX, MediaType.OCI_INDEX);
            }
        });
        CredentialSource creds = CredentialSource.forRegistry(registry, Credentials.basic("bob", "pw"));
        try (RegistryClient c = client(creds, FAST)) {
            c.getManifest(ImageReference.parse(registry + "/app:1"));
            c.getManifest(ImageReference.parse(registry + "/app:2"));
        }
        assertEquals(3, server.getRequestCount());
    }

    /**
     * A registry redirects a GET elsewhere (routine for blobs: a CDN, object storage); the other host answers 401 with
     * a Basic challenge. The registry's credentials are for the registry's API host only: the other host never gets
     * them, whatever it asks.
     */
    @Test
    void basicChallenge_fromAHostTheRegistryRedirectedTo_isNotAnsweredWithTheRegistrysCredentials() throws Exception {
        try (MockWebServer elsewhere = new MockWebServer()) {
            elsewhere.start(InetAddress.getLoopbackAddress(), 0);
            List<String> seen = new ArrayList<>();
            elsewhere.setDispatcher(new Dispatcher() {
                @Override
                public MockResponse dispatch(RecordedRequest r) {
                    synchronized (seen) {
                        seen.add(String.valueOf(r.getHeaders().get("Authorization")));
                    }
                    return new MockResponse.Builder()
                            .code(401)
                            .addHeader("WWW-Authenticate", "Basic realm=\"give me your password\"")
                            .build();
                }
            });
            server.setDispatcher(new Dispatcher() {
                @Override
                public MockResponse dispatch(RecordedRequest r) {
                    if (r.getHeaders().get("Authorization") == null) {
                        return new MockResponse.Builder()
                                .code(401)
                                .addHeader("WWW-Authenticate", "Basic realm=\"Registry Realm\"")
                                .build();
                    }
                    if (r.getUrl().encodedPath().endsWith("/manifests/0")) {
                        return manifest(INDEX, MediaType.OCI_INDEX);
                    }
                    return new MockResponse.Builder()
                            .code(307)
                            .addHeader("Location", "http://localhost:" + elsewhere.getPort() + "/storage/x")
                            .build();
                }
            });
            CredentialSource creds = CredentialSource.forRegistry(registry, Credentials.basic("bob", "pw"));
            try (RegistryClient c = client(creds, FAST)) {
                // The client learns the registry wants Basic, and sends it up front from then on.
                c.getManifest(ImageReference.parse(registry + "/app:0"));
                assertThrows(RuntimeException.class, () -> c.getManifest(ImageReference.parse(registry + "/app:1")));
            }
            assertFalse(seen.isEmpty(), "the redirect was followed");
            synchronized (seen) {
                assertTrue(seen.stream().allMatch(a -> a.equals("null")), "credentials went to another host: " + seen);
            }
        }
    }

    @Test
    void noCredentials_basicChallenge_isUnauthorizedWithHint() {
        server.enqueue(new MockResponse.Builder()
                .code(401)
                .addHeader("WWW-Authenticate", "Basic realm=\"r\"")
                .body("{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}")
                .build());
        try (RegistryClient c = client(CredentialSource.NONE, FAST)) {
            RegistryException e = assertThrows(
                    RegistryException.class, () -> c.getManifest(ImageReference.parse(registry + "/app:1")));
            assertEquals("UNAUTHORIZED", e.code());
            assertTrue(e.getMessage().contains("--username/--password"), e.getMessage());
        }
    }

    @Test
    void unreachable_registry_saysSoAfterBoundedAttempts() throws Exception {
        server.close();
        try (RegistryClient c =
                client(CredentialSource.NONE, new RetryPolicy(2, Duration.ofMillis(1), Duration.ofMillis(5)))) {
            RegistryException e = assertThrows(RegistryException.class, () -> c.ping(registry));
            assertEquals("UNREACHABLE", e.code());
            assertEquals(0, e.httpStatus());
            assertTrue(e.getMessage().contains("gave up after 2 attempts"), e.getMessage());
        }
        assertNull(server.takeRequest(10, TimeUnit.MILLISECONDS));
    }
}
