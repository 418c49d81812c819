package dev.multiarch.web;

import static dev.multiarch.web.ServerFixture.SECRET;
import static dev.multiarch.web.ServerFixture.UNTRUSTED_SECRET;
import static dev.multiarch.web.ServerFixture.assertRefused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.dispatch.Protocol;
import dev.multiarch.platform.Platform;
import dev.multiarch.store.BuildRecord;
import dev.multiarch.store.JobRecord;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(VertxExtension.class)
class RunnerApiTest {
    @TempDir
    Path dir;

    private ServerFixture server;

    @BeforeEach
    void start(Vertx vertx, VertxTestContext ctx) {
        server = new ServerFixture(vertx, dir);
        server.start().onComplete(ctx.succeedingThenComplete());
    }

    @AfterEach
    void stop(VertxTestContext ctx) {
        server.close().onComplete(ctx.succeedingThenComplete());
    }

    /** A runner registered the way the API does it; its token. */
    private Protocol.Registered runner(String name) {
        return server.coordinator.registerRunner(name, List.of(Platform.parse("linux/amd64")), List.of(), false);
    }

    private static String bearer(Protocol.Registered r) {
        return "Bearer " + r.token();
    }

    @Test
    void register_withRightSecret_is201_andTheTokenPolls(VertxTestContext ctx) {
        server.post(
                        "/api/runners/register",
                        null,
                        "{\"name\":\"box\",\"secret\":\"" + SECRET + "\",\"nativePlatforms\":[\"linux/amd64\"],"
                                + "\"qemuPlatforms\":[\"linux/arm64\"]}")
                .compose(a -> {
                    ctx.verify(() -> assertEquals(201, a.status(), a.body()));
                    return server.post("/api/runners/poll", "Bearer " + a.json().getString("token"), null);
                })
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertEquals(204, a.status(), "no job queued: the long-poll ends empty; " + a.body());
                    ctx.completeNow();
                })));
    }

    @Test
    void register_withMalformedJson_is400(VertxTestContext ctx) {
        server.post("/api/runners/register", null, "{\"secret\": ")
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertEquals(400, a.status(), a.body());
                    assertTrue(a.error().startsWith("malformed Register: "), a.error());
                    ctx.completeNow();
                })));
    }

    @Test
    void register_withJsonArrayBody_is400(VertxTestContext ctx) {
        server.post("/api/runners/register", null, "[]")
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertRefused(a, 400, "expected a JSON object (Register), got array");
                    ctx.completeNow();
                })));
    }

    @Test
    void register_withoutSecret_orWithAWrongOne_is403(VertxTestContext ctx) {
        Checkpoint answered = ctx.checkpoint(2);
        server.post("/api/runners/register", null, "{\"nativePlatforms\":[\"linux/amd64\"]}")
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertRefused(a, 403, "the registration secret is missing");
                    answered.flag();
                })));
        server.post("/api/runners/register", null, "{\"secret\":\"guess\",\"nativePlatforms\":[\"linux/amd64\"]}")
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertRefused(a, 403, "wrong registration secret");
                    answered.flag();
                })));
    }

    private static String registration(String secret, boolean untrustedJobs) {
        return "{\"name\":\"box\",\"secret\":\"" + secret + "\",\"nativePlatforms\":[\"linux/amd64\"],"
                + "\"untrustedJobs\":" + untrustedJobs + "}";
    }

    @Test
    void register_withTheTrustedSecret_claimingUntrustedJobs_is403_andNothingIsStored(VertxTestContext ctx) {
        server.post("/api/runners/register", null, registration(SECRET, true))
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertRefused(
                            a,
                            403,
                            "a runner for untrusted jobs registers with runners.untrusted-registration-secret, not"
                                    + " runners.registration-secret (a host that builds forks' code must not hold the"
                                    + " secret of trusted runners)");
                    assertEquals(List.of(), server.store.runners());
                    ctx.completeNow();
                })));
    }

    @Test
    void register_withTheUntrustedSecret_claimingTrust_is403_andNothingIsStored(VertxTestContext ctx) {
        server.post("/api/runners/register", null, registration(UNTRUSTED_SECRET, false))
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertRefused(
                            a,
                            403,
                            "runners.untrusted-registration-secret registers runners for untrusted jobs only: set"
                                    + " untrusted-jobs: true in this runner's configuration, or give it"
                                    + " runners.registration-secret");
                    assertEquals(List.of(), server.store.runners());
                    ctx.completeNow();
                })));
    }

    @Test
    void register_withTheUntrustedSecret_isAnUntrustedRunner_thatIsNeverGivenATrustedJob(VertxTestContext ctx) {
        BuildRecord trusted = server.queuedBuild("a".repeat(40), "linux/amd64");
        server.post("/api/runners/register", null, registration(UNTRUSTED_SECRET, true))
                .compose(a -> {
                    ctx.verify(() -> {
                        assertEquals(201, a.status(), a.body());
                        assertTrue(
                                server.store.runners().stream()
                                        .filter(r -> r.id().equals(a.json().getString("runnerId")))
                                        .findFirst()
                                        .orElseThrow()
                                        .untrustedJobs(),
                                "stored as a runner for untrusted jobs");
                    });
                    return server.post("/api/runners/poll", "Bearer " + a.json().getString("token"), null);
                })
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertEquals(204, a.status(), "a trusted job is queued, but not for this runner; " + a.body());
                    assertEquals(
                            "QUEUED",
                            server.store.jobs(trusted.id()).get(0).state().name());
                    ctx.completeNow();
                })));
    }

    @Test
    void register_withUnknownPlatform_is400(VertxTestContext ctx) {
        server.post(
                        "/api/runners/register",
                        null,
                        "{\"secret\":\"" + SECRET + "\",\"qemuPlatforms\":[\"linux/amd64\",\"linux/pdp11\"]}")
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertEquals(400, a.status(), a.body());
                    assertTrue(
                            a.error()
                                    .startsWith("qemuPlatforms: invalid platform linux/pdp11: architecture 'pdp11' is "
                                            + "not a known architecture"),
                            a.error());
                    ctx.completeNow();
                })));
    }

    @Test
    void register_withNoPlatforms_is400(VertxTestContext ctx) {
        server.post("/api/runners/register", null, "{\"secret\":\"" + SECRET + "\",\"nativePlatforms\":[]}")
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertRefused(a, 400, "a runner must build at least one platform");
                    ctx.completeNow();
                })));
    }

    @Test
    void runnerEndpoints_withoutAuthorization_are401(VertxTestContext ctx) {
        List<String> paths =
                List.of("/api/runners/poll", "/api/jobs/1/heartbeat", "/api/jobs/1/log", "/api/jobs/1/complete");
        Checkpoint answered = ctx.checkpoint(paths.size());
        for (String path : paths) {
            server.post(path, null, "{}")
                    .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                        assertRefused(a, 401, "missing Authorization: Bearer <token>");
                        answered.flag();
                    })));
        }
    }

    @Test
    void poll_sayingWhichCommitsItHolds_isAWait_andAMalformedBodyIs400(VertxTestContext ctx) {
        Protocol.Registered r = runner("box");
        server.post("/api/runners/poll", bearer(r), "{\"commits\": ")
                .compose(a -> {
                    ctx.verify(() -> assertRefused(a, 400, a.error()));
                    ctx.verify(() -> assertTrue(a.error().startsWith("malformed Poll: "), a.body()));
                    return server.post(
                            "/api/runners/poll",
                            bearer(r),
                            "{\"commits\":[\"" + "b".repeat(40) + "\",\"--not-a-commit\",null]}");
                })
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertEquals(204, a.status(), "no job queued: the long-poll ends empty; " + a.body());
                    ctx.completeNow();
                })));
    }

    @Test
    void poll_sayingWhichCacheScopesItHolds_isAWait(VertxTestContext ctx) {
        Protocol.Registered r = runner("box");
        String scope = Protocol.cacheScope("acme/app", "registry.test/acme/app", "linux/amd64");
        server.post(
                        "/api/runners/poll",
                        bearer(r),
                        "{\"commits\":[],\"cacheScopes\":[\"" + scope + "\",\"../../etc\",null]}")
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertEquals(204, a.status(), "no job queued: the long-poll ends empty; " + a.body());
                    ctx.completeNow();
                })));
    }

    @Test
    void pollFromAnOlderRunner_holdsNoCacheScopes_andANewerOnesAreScreened(VertxTestContext ctx) throws Exception {
        String commit = "b".repeat(40);
        RunnerApi.Holding older = RunnerApi.holding(
                dev.multiarch.base.Json.MAPPER.readValue("{\"commits\":[\"" + commit + "\"]}", Protocol.Poll.class));
        assertEquals(java.util.Set.of(commit), older.commits());
        assertEquals(java.util.Set.of(), older.cacheScopes(), "a poll without the field: no scopes");

        String a = Protocol.cacheScope("acme/app", "registry.test/acme/app", "linux/amd64");
        String b = Protocol.cacheScope("acme/app", "registry.test/acme/app", "linux/arm64");
        java.util.List<String> listed =
                new java.util.ArrayList<>(List.of(a, "../" + b, b.toUpperCase(java.util.Locale.ROOT), b + "0", b, a));
        for (int i = 0; i < 100; i++) {
            listed.add(Protocol.cacheScope("acme/app", "registry.test/acme/app" + i, "linux/amd64"));
        }
        RunnerApi.Holding newer = RunnerApi.holding(dev.multiarch.base.Json.MAPPER.readValue(
                dev.multiarch.base.Json.MAPPER.writeValueAsBytes(new Protocol.Poll(null, listed)),
                Protocol.Poll.class));
        assertEquals(java.util.Set.of(), newer.commits());
        assertEquals(Protocol.Poll.MAX_CACHE_SCOPES, newer.cacheScopes().size(), "capped");
        assertEquals(
                List.of(a, b, listed.get(6)),
                newer.cacheScopes().stream().limit(3).toList(),
                "well-formed names only, in the runner's order (most recently used first), each once");
        ctx.completeNow();
    }

    @Test
    void poll_withUnknownRunnerToken_is401(VertxTestContext ctx) {
        runner("known");
        server.post("/api/runners/poll", "Bearer 0123456789abcdef", null)
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertRefused(a, 401, "unknown runner token; register again");
                    ctx.completeNow();
                })));
    }

    @Test
    void heartbeat_withNonNumericJobId_is400(VertxTestContext ctx) {
        Protocol.Registered r = runner("box");
        server.post("/api/jobs/seven/heartbeat", bearer(r), "{\"attempt\":1}")
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertRefused(a, 400, "not an id: 'seven' (expected a number)");
                    ctx.completeNow();
                })));
    }

    @Test
    void heartbeat_withoutBody_orWithoutAttempt_is400(VertxTestContext ctx) {
        Protocol.Registered r = runner("box");
        Checkpoint answered = ctx.checkpoint(2);
        server.post("/api/jobs/1/heartbeat", bearer(r), null)
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertRefused(a, 400, "expected a JSON body (Heartbeat)");
                    answered.flag();
                })));
        server.post("/api/jobs/1/heartbeat", bearer(r), "{\"attempt\":null}")
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertRefused(a, 400, "Heartbeat: 'attempt' is required");
                    answered.flag();
                })));
    }

    @Test
    void log_withNonNumericAttempt_is400(VertxTestContext ctx) {
        Protocol.Registered r = runner("box");
        server.post("/api/jobs/1/log?attempt=two", bearer(r), "step 1\n")
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertRefused(a, 400, "?attempt=two: expected a whole number ≥ 0");
                    ctx.completeNow();
                })));
    }

    @Test
    void log_forUnknownJob_is404(VertxTestContext ctx) {
        Protocol.Registered r = runner("box");
        server.post("/api/jobs/4242/log?attempt=1", bearer(r), "step 1\n")
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertRefused(a, 404, "no job 4242");
                    ctx.completeNow();
                })));
    }

    @Test
    void log_forJobLeasedToAnotherRunner_is409_andIsNotStored(VertxTestContext ctx) {
        Protocol.Registered r = runner("box");
        BuildRecord b = server.queuedBuild("a".repeat(40), "linux/amd64");
        JobRecord j = server.store.jobs(b.id()).get(0);
        server.store.claimJob(j.id(), "runner-other", Instant.now().plusSeconds(60));
        server.post("/api/jobs/" + j.id() + "/log?attempt=1", bearer(r), "not mine\n")
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertRefused(a, 409, "job " + j.id() + " is not leased to " + r.runnerId());
                    assertTrue(server.store.logs(j.id(), 0, 100).isEmpty());
                    ctx.completeNow();
                })));
    }

    @Test
    void log_forAnAttemptTheJobIsNotAt_orAJobNoLongerRunning_is409_andIsNotStored(VertxTestContext ctx) {
        Protocol.Registered r = runner("box");
        BuildRecord b = server.queuedBuild("a".repeat(40), "linux/amd64");
        JobRecord j = server.store.jobs(b.id()).get(0);
        server.store.claimJob(j.id(), r.runnerId(), Instant.now().plusSeconds(60));
        server.post("/api/jobs/" + j.id() + "/log?attempt=7", bearer(r), "invented attempt\n")
                .compose(a -> {
                    ctx.verify(() -> assertRefused(
                            a,
                            409,
                            "job " + j.id() + " is not running attempt 7 (it is running, attempt 1); log not stored"));
                    return server.post(
                            "/api/jobs/" + j.id() + "/complete", bearer(r), "{\"attempt\":1,\"error\":\"exit 1\"}");
                })
                .compose(a -> {
                    ctx.verify(() -> assertEquals(204, a.status(), a.body()));
                    return server.post("/api/jobs/" + j.id() + "/log?attempt=1", bearer(r), "after the end\n");
                })
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertRefused(
                            a,
                            409,
                            "job " + j.id() + " is not running attempt 1 (it is failed, attempt 1); log not stored");
                    assertTrue(server.store.logs(j.id(), 0, 100).isEmpty(), "nothing stored for either");
                    ctx.completeNow();
                })));
    }

    @Test
    void log_fromTheLeaseHolder_is204_andStored(VertxTestContext ctx) {
        Protocol.Registered r = runner("box");
        BuildRecord b = server.queuedBuild("a".repeat(40), "linux/amd64");
        JobRecord j = server.store.jobs(b.id()).get(0);
        server.store.claimJob(j.id(), r.runnerId(), Instant.now().plusSeconds(60));
        server.post("/api/jobs/" + j.id() + "/log?attempt=1", bearer(r), "step 1\n")
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertEquals(204, a.status(), a.body());
                    assertEquals("step 1\n", server.coordinator.queries().logTail(j.id(), 1 << 20));
                    ctx.completeNow();
                })));
    }

    @Test
    void complete_withStepTimings_areScreenedStoredAndShown_andAnOlderRunnersResultStillReads(VertxTestContext ctx) {
        Protocol.Registered r = runner("box");
        BuildRecord b = server.queuedBuild("a".repeat(40), "linux/amd64", "linux/arm64");
        List<JobRecord> jobs = server.store.jobs(b.id());
        jobs.forEach(
                j -> server.store.claimJob(j.id(), r.runnerId(), Instant.now().plusSeconds(60)));
        String digest = "sha256:" + "1".repeat(64);
        server.post(
                        "/api/jobs/" + jobs.get(0).id() + "/complete",
                        bearer(r),
                        "{\"attempt\":1,\"digest\":\"" + digest + "\",\"mediaType\":\"m\",\"size\":10,"
                                + "\"addedLayers\":1,\"timings\":{\"fetch\":12,\"build\":900,\"Bad Key\":5,"
                                + "\"export\":-3,\"push\":80}}")
                .compose(a -> {
                    ctx.verify(() -> assertEquals(204, a.status(), a.body()));
                    // A runner from before timings: no such field.
                    return server.post(
                            "/api/jobs/" + jobs.get(1).id() + "/complete",
                            bearer(r),
                            "{\"attempt\":1,\"error\":\"build failed (exit 1)\"}");
                })
                .compose(a -> {
                    ctx.verify(() -> assertEquals(204, a.status(), a.body()));
                    return server.get("/api/builds/" + b.id());
                })
                .compose(a -> {
                    ctx.verify(() -> {
                        assertEquals(200, a.status(), a.body());
                        JsonObject t0 =
                                a.json().getJsonArray("jobs").getJsonObject(0).getJsonObject("timings");
                        assertEquals(List.of("queue", "fetch", "build", "push"), List.copyOf(t0.fieldNames()));
                        assertEquals(900, t0.getLong("build"));
                        JsonObject t1 =
                                a.json().getJsonArray("jobs").getJsonObject(1).getJsonObject("timings");
                        assertEquals(List.of("queue"), List.copyOf(t1.fieldNames()), "the coordinator's own only");
                    });
                    return server.get("/builds/" + b.id());
                })
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertTrue(a.body().contains("<h2>Where the time went</h2>"), a.body());
                    assertTrue(a.body().contains("<th>build</th>") && a.body().contains("<td>0.90 s</td>"), a.body());
                    ctx.completeNow();
                })));
    }

    @Test
    void complete_withNeitherDigestNorError_is400(VertxTestContext ctx) {
        Protocol.Registered r = runner("box");
        server.post("/api/jobs/1/complete", bearer(r), "{\"attempt\":1}")
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertRefused(a, 400, "Complete: give a digest (the job succeeded) or an error (it failed)");
                    ctx.completeNow();
                })));
    }

    @Test
    void complete_withAttemptOfTheWrongType_is400(VertxTestContext ctx) {
        Protocol.Registered r = runner("box");
        server.post("/api/jobs/1/complete", bearer(r), "{\"attempt\":\"first\",\"error\":\"exit 1\"}")
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertEquals(400, a.status(), a.body());
                    assertTrue(a.error().startsWith("malformed Complete: "), a.error());
                    assertTrue(a.error().contains("\"first\""), a.error());
                    ctx.completeNow();
                })));
    }

    @Test
    void complete_forALostLease_is409_andTheJobKeepsRunning(VertxTestContext ctx) {
        Protocol.Registered r = runner("box");
        BuildRecord b = server.queuedBuild("a".repeat(40), "linux/amd64");
        JobRecord j = server.store.jobs(b.id()).get(0);
        server.store.claimJob(j.id(), r.runnerId(), Instant.now().plusSeconds(60));
        server.post("/api/jobs/" + j.id() + "/complete", bearer(r), "{\"attempt\":2,\"error\":\"exit 1\"}")
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertRefused(a, 409, "this result is for a lease that was lost; it was not recorded");
                    assertEquals(
                            "RUNNING",
                            server.store.job(j.id()).orElseThrow().state().name());
                    ctx.completeNow();
                })));
    }

    @Test
    void runners_listsPlatformsAndLastSeen_neverTheToken(VertxTestContext ctx) {
        Protocol.Registered r = server.coordinator.registerRunner(
                "arm-box", List.of(Platform.parse("linux/arm64")), List.of(Platform.parse("linux/s390x")), false);
        server.get("/api/runners")
                .onComplete(ctx.succeeding(a -> ctx.verify(() -> {
                    assertEquals(200, a.status(), a.body());
                    assertEquals(1, a.array().size(), a.body());
                    JsonObject one = a.array().getJsonObject(0);
                    assertEquals(r.runnerId(), one.getString("id"));
                    assertEquals("arm-box", one.getString("name"));
                    assertEquals(
                            List.of("linux/arm64"),
                            one.getJsonArray("nativePlatforms").getList());
                    assertEquals(
                            List.of("linux/s390x"),
                            one.getJsonArray("qemuPlatforms").getList());
                    assertNotNull(Instant.parse(one.getString("lastSeen")));
                    assertFalse(a.body().contains(r.token()), a.body());
                    assertFalse(a.body().toLowerCase().contains("token"), a.body());
                    ctx.completeNow();
                })));
    }
}
