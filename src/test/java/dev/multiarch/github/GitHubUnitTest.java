package dev.multiarch.github;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.base.Json;
import dev.multiarch.config.ConfigException;
import dev.multiarch.testing.GitHubEvents;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.Signature;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GitHubUnitTest {
    @TempDir
    Path dir;

    @Test
    void repositoryOf_readsTopLevelRepositoryFullName_lowerCase_wherever_itComes_andEmptyWhenNone() {
        String commits = "\"commits\":[{\"id\":\"1\",\"repository\":{\"full_name\":\"not/this\"}}]";
        assertEquals(
                "octo/app",
                GitHubIntegration.repositoryOf(bytes("{\"ref\":\"refs/tags/v1\"," + commits
                        + ",\"repository\":{\"id\":1,\"owner\":{\"login\":\"x\"},"
                        + "\"full_name\":\"Octo/App\",\"name\":\"App\"},\"sender\":{}}")));
        assertEquals(
                "octo/app",
                GitHubIntegration.repositoryOf(
                        bytes("{\"repository\":{\"full_name\":\"octo/app\"}, \"after\": [unparsed garbage")));
        assertEquals("", GitHubIntegration.repositoryOf(bytes("{\"zen\":\"ping\"," + commits + "}")));
        assertEquals("", GitHubIntegration.repositoryOf(bytes("{\"repository\":{\"full_name\":null}}")));
        assertEquals("", GitHubIntegration.repositoryOf(bytes("{\"repository\":\"octo/app\"}")));
        assertEquals("", GitHubIntegration.repositoryOf(bytes("[1,2]")));
        assertEquals("", GitHubIntegration.repositoryOf(bytes("not json")));
        assertEquals("", GitHubIntegration.repositoryOf(new byte[0]));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void signature_githubsPublishedTestVector() {
        byte[] body = "Hello, World!".getBytes(StandardCharsets.UTF_8);
        String expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assertEquals(expected, WebhookSignature.sign("It's a Secret to Everybody", body));
        assertTrue(WebhookSignature.valid(expected, body, List.of("It's a Secret to Everybody")));
    }

    @Test
    void signature_anyConfiguredSecretVerifies_forRotation() {
        byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
        String old = WebhookSignature.sign("old-secret", body);
        assertTrue(WebhookSignature.valid(old, body, List.of("new-secret", "old-secret")));
        assertFalse(WebhookSignature.valid(old, body, List.of("new-secret")));
        assertFalse(WebhookSignature.valid(null, body, List.of("old-secret")));
        assertFalse(WebhookSignature.valid("sha1=abc", body, List.of("old-secret")));
        assertFalse(WebhookSignature.valid(old, "{ }".getBytes(), List.of("old-secret")), "the body is signed exactly");
    }

    @Test
    void appJwt_fromPkcs1Pem_isRs256WithGitHubsClaims() throws Exception {
        Path pem = dir.resolve("app.pem");
        KeyPair kp = GitHubEvents.appKey(pem);
        assertTrue(Files.readString(pem).startsWith("-----BEGIN RSA PRIVATE KEY-----"));
        Instant now = Instant.parse("2026-11-27T12:00:00Z");
        String jwt = AppJwt.fromPemFile("123456", pem).token(now);
        String[] parts = jwt.split("\\.");
        Signature s = Signature.getInstance("SHA256withRSA");
        s.initVerify(kp.getPublic());
        s.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
        assertTrue(s.verify(Base64.getUrlDecoder().decode(parts[2])));
        JsonNode claims = Json.MAPPER.readTree(Base64.getUrlDecoder().decode(parts[1]));
        assertEquals("123456", claims.path("iss").asText());
        assertEquals(now.getEpochSecond() - 60, claims.path("iat").asLong());
        assertTrue(claims.path("exp").asLong() - now.getEpochSecond() <= 600);
    }

    @Test
    void appKey_notAKey_isAClearError() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> AppJwt.readPrivateKey("-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n"));
        assertTrue(e.getMessage().contains("BEGIN RSA PRIVATE KEY"), e.getMessage());
    }

    @Test
    void shippedWorkflows_releaseOnTags_verifyPullRequests_edgeOff() {
        List<Workflow> ws = Workflow.load(Path.of("workflows"));
        Workflow edge =
                ws.stream().filter(w -> w.name().equals("edge")).findFirst().orElseThrow();
        assertFalse(edge.enabled());
        assertTrue(edge.matches("main", "main"));
        assertFalse(edge.matches("feature", "main"));
        Workflow release =
                ws.stream().filter(w -> w.on() == Workflow.Kind.TAG).findFirst().orElseThrow();
        assertTrue(release.publish());
        assertTrue(release.matches("v1.2.3", "main"));
        Workflow prs = ws.stream()
                .filter(w -> w.on() == Workflow.Kind.PULL_REQUEST)
                .findFirst()
                .orElseThrow();
        assertFalse(prs.publish());
    }

    @Test
    void workflow_mistakesAreNamed() {
        ConfigException e = assertThrows(ConfigException.class, () -> Workflow.parse("w.yaml", "name: x\non: tags\n"));
        assertEquals("w.yaml:2: on: expected tag, branch or pull_request", e.getMessage());
        ConfigException t = assertThrows(
                ConfigException.class, () -> Workflow.parse("w.yaml", "name: x\non: branch\npublish: true\n"));
        assertTrue(t.getMessage().contains("needs tags"), t.getMessage());
    }

    @Test
    void config_needsSecretsAndOneWayToAuthenticate() {
        assertThrows(ConfigException.class, () -> GitHubConfig.of(Map.of("token", "t"), dir));
        assertThrows(ConfigException.class, () -> GitHubConfig.of(Map.of("webhook-secrets", "s"), dir));
        assertThrows(ConfigException.class, () -> GitHubConfig.of(Map.of("webhook-secrets", "s", "app-id", "1"), dir));
        GitHubConfig c = GitHubConfig.of(
                Map.of("webhook-secrets", "a,b", "token", "ghp_secret", "api-url", "https://ghe.example/api/v3/"), dir);
        assertEquals(List.of("a", "b"), c.webhookSecrets());
        assertEquals("https://ghe.example/api/v3", c.apiUrl());
        assertFalse(c.toString().contains("ghp_secret"));
    }

    @Test
    void retryTimes_followGitHubsHeaders() {
        Instant now = Instant.parse("2026-11-27T12:00:00Z");
        Clock clock = Clock.fixed(now, ZoneOffset.UTC);
        assertEquals(now.plusSeconds(7), RetryTimes.from(429, "7", null, null, clock));
        assertEquals(now.plusSeconds(1), RetryTimes.from(429, "0", null, null, clock), "at least a second");
        assertEquals(
                now.plusSeconds(90),
                RetryTimes.from(503, "Fri, 27 Nov 2026 12:01:30 GMT", null, null, clock),
                "an HTTP date is honoured");
        assertEquals(now.plusSeconds(60), RetryTimes.from(429, "soon", null, null, clock), "unreadable: the default");
        assertEquals(
                Instant.ofEpochSecond(now.getEpochSecond() + 31),
                RetryTimes.from(403, null, "0", String.valueOf(now.getEpochSecond() + 30), clock));
        assertEquals(null, RetryTimes.from(502, null, null, null, clock));
    }

    @Test
    void statusDescriptions_areCutToGitHubsLimit() {
        String d = StatusReporter.cut("x".repeat(500), StatusReporter.STATUS_DESCRIPTION_MAX);
        assertEquals(140, d.length());
        assertTrue(d.endsWith("…"));
    }

    /** WebhookFuzzTest#origin found it: the JSON text null reads as no object, and was then dereferenced. */
    @Test
    void origin_jsonNullOrNotAnOrigin_isNoOrigin() {
        assertEquals(null, Origin.of("null"));
        assertEquals(null, Origin.of("{\"user\":\"local\"}"));
        assertEquals(null, Origin.of("[1]"));
        Origin o = new Origin("octo/app", "a".repeat(40), 1, 0, "release", false, "d", "a".repeat(40));
        assertEquals(o, Origin.of(o.toJson()));
    }

    @Test
    void workflowGlobs_matchAsBefore_andAHostileRefTakesNoTime() {
        assertTrue(Workflow.glob("v*", "v1.2.3"));
        assertTrue(Workflow.glob("release/*", "release/2024/q1"));
        assertTrue(Workflow.glob("v?.*", "v1.0"));
        assertTrue(Workflow.glob("*", ""));
        assertTrue(Workflow.glob("a*b*c", "axxbyyc"));
        assertFalse(Workflow.glob("a*b*c", "axxbyy"));
        assertFalse(Workflow.glob("v*", "release"));
        assertFalse(Workflow.glob("v?", "v"));
        assertFalse(Workflow.glob("main", "main2"));
        assertTrue(Workflow.glob("a.b", "a.b"), "'.' is itself");
        assertFalse(Workflow.glob("a.b", "axb"));
        // A glob of many stars against a long ref that almost matches: exponential for a backtracking matcher.
        String glob = "*a".repeat(30) + "b";
        String ref = "a".repeat(100_000);
        assertFalse(org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                java.time.Duration.ofSeconds(5),
                () -> Workflow.glob(glob, ref),
                "at most glob × ref steps, not exponential"));
    }
}
