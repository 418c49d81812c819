package dev.multiarch.web;

import static dev.multiarch.web.ServerFixture.ADMIN_TOKEN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.platform.Platform;
import dev.multiarch.registry.Digest;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.store.BuildRecord;
import dev.multiarch.store.BuildState;
import dev.multiarch.store.JobRecord;
import dev.multiarch.store.JobResult;
import dev.multiarch.store.NewBuild;
import dev.multiarch.store.RunnerRecord;
import dev.multiarch.store.Store;
import dev.multiarch.testing.Poll;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard over plain HTTP on a real server: who sees what on every new page, stream and badge (a private
 * repository's builds, tags and running jobs only for the admin token and for people GitHub lets read it; its badges
 * for nobody, answered byte for byte as an unknown repository's), the matrix and its filters and pages, and a live
 * stream carrying a log chunk and a state change as they are stored.
 */
@ExtendWith(VertxExtension.class)
class DashboardTest {
    private static final String HIDDEN_REPO = "octo-org/secret";
    private static final String SHOWN_REPO = "octo-org/public";

    @TempDir
    Path dir;

    private final FakeSignIn github = new FakeSignIn().reader(HIDDEN_REPO, "octocat");
    private ServerFixture server;
    private BuildRecord shown;
    private BuildRecord hidden;
    private BuildRecord hiddenRunning;

    @BeforeEach
    void start(Vertx vertx, VertxTestContext ctx) {
        server = new ServerFixture(vertx, dir, Optional.of(github));
        server.store.addRunner(new RunnerRecord(
                "runner-1",
                "box-1",
                "x",
                List.of(Platform.parse("linux/amd64")),
                List.of(Platform.parse("linux/arm64")),
                Instant.now(),
                Instant.now(),
                false));
        shown = published(SHOWN_REPO, false, "linux/amd64", "linux/arm64");
        hidden = published(HIDDEN_REPO, true, "linux/amd64", "linux/arm64");
        hiddenRunning = created(HIDDEN_REPO, true, "refs/heads/main", "linux/s390x");
        claim(hiddenRunning);
        server.start().onComplete(ctx.succeedingThenComplete());
    }

    @AfterEach
    void stop(VertxTestContext ctx) {
        server.close().onComplete(ctx.succeedingThenComplete());
    }

    private BuildRecord created(String repo, boolean privateRepo, String ref, String... platforms) {
        return server.store.createBuild(NewBuild.builder()
                .repo(repo)
                .cloneUrl("https://github.example/" + repo + ".git")
                .commit("a".repeat(40))
                .ref(ref)
                // An image is a valid reference by type: a repository name full of markup gets a plain image.
                .image(ImageReference.parse("registry.test/" + repo.replaceAll("[^a-z0-9/._-]", "x")))
                .spec("{}")
                .tags("[]")
                .version("1.0.0")
                .push(true)
                .privateRepo(privateRepo)
                .jobs(java.util.Arrays.stream(platforms)
                        .map(p -> new NewBuild.NewJob(Platform.parse(p), 600))
                        .toList())
                .build());
    }

    private List<JobRecord> claim(BuildRecord b) {
        return server.store.jobs(b.id()).stream()
                .map(j -> server.store
                        .claimJob(j.id(), "runner-1", Instant.now().plusSeconds(600))
                        .orElseThrow())
                .toList();
    }

    /** A build whose platforms all succeeded, published as {@code latest}. */
    private BuildRecord published(String repo, boolean privateRepo, String... platforms) {
        BuildRecord b = created(repo, privateRepo, "refs/tags/v1.0.0", platforms);
        int n = 0;
        for (JobRecord j : claim(b)) {
            String digest = "sha256:" + String.valueOf((char) ('a' + n++)).repeat(64);
            server.store.completeJob(
                    j.id(),
                    "runner-1",
                    j.attempt(),
                    JobResult.success(digest, "application/vnd.oci.image.manifest.v1+json", 1234, 1));
        }
        Store s = server.store;
        assertTrue(s.moveBuild(b.id(), BuildState.VERIFYING, BuildState.PUBLISHING, null));
        String index = "sha256:" + "f".repeat(64);
        assertTrue(s.markPublished(b.id(), Digest.parse(index), "{\"tags\":[\"latest\"],\"skipped\":[]}"));
        s.setTagOwner(b.image().toString(), "latest", b.id(), "1.0.0");
        s.recordTagMove(b.image().toString(), "latest", b.id(), index);
        return s.build(b.id()).orElseThrow();
    }

    private ServerFixture.Answer get(String path, String cookie) {
        return ServerFixture.await(server.get(path, cookie));
    }

    private ServerFixture.Answer admin(String path) {
        MultiMap h = MultiMap.caseInsensitiveMultiMap().add("Authorization", "Bearer " + ADMIN_TOKEN);
        return ServerFixture.await(server.call(HttpMethod.GET, path, h, null));
    }

    private String signIn(String login) {
        ServerFixture.Answer a = get("/login?next=%2Fbuilds", null);
        assertEquals(302, a.status(), a.body());
        String state = null;
        for (String kv : URI.create(a.location()).getRawQuery().split("&")) {
            if (kv.startsWith("state=")) {
                state = URLDecoder.decode(kv.substring(6), StandardCharsets.UTF_8);
            }
        }
        assertNotNull(state);
        ServerFixture.Answer back = get(
                "/login/callback?code=code-for-" + login + "&state=" + URLEncoder.encode(state, StandardCharsets.UTF_8),
                Sessions.LOGIN_COOKIE + "=" + a.cookie(Sessions.LOGIN_COOKIE));
        assertEquals(302, back.status(), back.body());
        return Sessions.SESSION_COOKIE + "=" + back.cookie(Sessions.SESSION_COOKIE);
    }

    /** Every new page, stream and badge, as {@code viewer} sees it. */
    private void assertSeesHidden(java.util.function.Function<String, ServerFixture.Answer> get, boolean sees) {
        String list = get.apply("/builds").body();
        assertEquals(sees, list.contains("data-build=\"" + hidden.id() + "\""), list);
        assertEquals(sees, list.contains(HIDDEN_REPO), list);
        assertTrue(list.contains("data-build=\"" + shown.id() + "\""), list);

        String filtered = get.apply("/builds?repo=" + URLEncoder.encode(HIDDEN_REPO, StandardCharsets.UTF_8))
                .body();
        assertEquals(sees, filtered.contains("data-build=\"" + hidden.id() + "\""), filtered);

        ServerFixture.Answer events = get.apply("/builds/" + hidden.id() + "/events");
        ServerFixture.Answer noEvents = get.apply("/builds/424242/events");
        if (sees) {
            assertEquals(200, events.status(), events.body());
            assertEquals("text/event-stream; charset=utf-8", events.contentType());
            assertTrue(events.body().contains("event: end"), events.body());
        } else {
            assertEquals(404, events.status());
            assertEquals(
                    noEvents.body().replace("424242", "N"), events.body().replace(String.valueOf(hidden.id()), "N"));
        }

        String images = get.apply("/images").body();
        assertEquals(sees, images.contains("registry.test/" + HIDDEN_REPO), images);
        assertTrue(images.contains("registry.test/" + SHOWN_REPO), images);
        ServerFixture.Answer image =
                get.apply("/images?name=" + URLEncoder.encode("registry.test/" + HIDDEN_REPO, StandardCharsets.UTF_8));
        ServerFixture.Answer noImage = get.apply("/images?name=registry.test%2Fnobody%2Fnothing");
        if (sees) {
            assertEquals(200, image.status(), image.body());
            assertTrue(image.body().contains("data-platform=\"linux/arm64\""), image.body());
        } else {
            assertEquals(404, image.status());
            assertEquals(
                    noImage.body().replace("nobody/nothing", "N"), image.body().replace(HIDDEN_REPO, "N"));
        }

        String runners = get.apply("/runners").body();
        assertTrue(runners.contains("data-busy=\"true\""), runners);
        assertEquals(sees, runners.contains("/builds/" + hiddenRunning.id() + "#job-"), runners);
        assertEquals(!sees, runners.contains("(a build you cannot see)"), runners);
    }

    @Test
    void anonymous_seesNothingOfAPrivateRepository_anywhere() {
        assertSeesHidden(p -> get(p, null), false);
    }

    @Test
    void signedInNonReader_seesNothingOfAPrivateRepository() {
        String cookie = signIn("mallory");
        assertSeesHidden(p -> get(p, cookie), false);
    }

    @Test
    void reader_andAdmin_seeThePrivateRepository() {
        String cookie = signIn("octocat");
        assertSeesHidden(p -> get(p, cookie), true);
        assertSeesHidden(this::admin, true);
    }

    @Test
    void badgeOfAPrivateRepository_isByteForByteTheUnknownRepositorysAnswer_evenForTheAdmin() {
        ServerFixture.Answer unknown = get("/badges/nobody/nothing.svg", null);
        for (ServerFixture.Answer a : List.of(
                get("/badges/octo-org/secret.svg", null),
                admin("/badges/octo-org/secret.svg"),
                get("/badges/octo-org/secret.svg", signIn("octocat")))) {
            assertEquals(404, a.status());
            assertEquals(unknown.body(), a.body());
            assertEquals(unknown.contentType(), a.contentType());
            assertEquals(unknown.headers().get("Cache-Control"), a.headers().get("Cache-Control"));
        }
        assertEquals(
                unknown.body(),
                get("/badges/octo-org/secret/platforms.svg", null).body());
        assertEquals(404, get("/badges/octo-org/secret/platforms.svg", null).status());
        assertEquals(
                unknown.body(),
                get("/badges/nobody/nothing/platforms.svg", null).body());
    }

    @Test
    void badges_ofAPublicRepository_sayTheReleaseStateAndLatestsPlatforms_cacheable() {
        ServerFixture.Answer state = get("/badges/octo-org/public.svg", null);
        assertEquals(200, state.status(), state.body());
        assertEquals("image/svg+xml; charset=utf-8", state.contentType());
        assertEquals("public, max-age=60", state.headers().get("Cache-Control"));
        assertTrue(state.body().contains(">published</text>"), state.body());
        ServerFixture.Answer platforms = get("/badges/octo-org/public/platforms.svg", null);
        assertEquals(200, platforms.status());
        assertTrue(platforms.body().contains(">linux/amd64 | linux/arm64</text>"), platforms.body());
        assertEquals(404, get("/badges/octo-org/..%2Fx.svg", null).status());
    }

    @Test
    void badgeText_isEscapedForXml() {
        String svg = Badges.svg("a<b", "\"x\" & 'y'", "#fff\"/><script>");
        assertFalse(svg.contains("<b"), svg);
        assertFalse(svg.contains("<script>"), svg);
        assertTrue(svg.contains("a&lt;b"), svg);
        assertTrue(svg.contains("&quot;x&quot; &amp; &#39;y&#39;"), svg);
    }

    @Test
    void streamBounds_aLogEventKeepsItsEnd_andCursorsAreChecked() {
        String big = "x".repeat(BuildEvents.MAX_EVENT_BYTES) + "the end\n";
        String cut = BuildEvents.bounded(big);
        assertTrue(cut.startsWith("[multiarch: 8 bytes not streamed here"), cut.substring(0, 80));
        assertTrue(cut.endsWith("the end\n"));
        assertTrue(cut.getBytes(StandardCharsets.UTF_8).length < BuildEvents.MAX_EVENT_BYTES + 100);
        assertEquals("short", BuildEvents.bounded("short"));
        assertEquals(java.util.Map.of(3L, 17L, 4L, 0L), BuildEvents.parseCursors("3.17,4"));
        HttpError bad =
                org.junit.jupiter.api.Assertions.assertThrows(HttpError.class, () -> BuildEvents.parseCursors("3.x"));
        assertEquals(400, bad.status);
        ServerFixture.Answer a = get("/builds/" + hiddenRunning.id() + "/events?after=nonsense", null);
        assertEquals(400, a.status());
    }

    @Test
    void matrix_showsAnImageVerificationRefused_asMislabeled() {
        BuildRecord b = created("acme/app", false, "refs/heads/main", "linux/arm64");
        JobRecord j = claim(b).get(0);
        server.store.completeJob(
                j.id(), "runner-1", j.attempt(), JobResult.success("sha256:" + "e".repeat(64), "m", 10, 1));
        server.store.failVerification(b.id(), j.id(), "linux/arm64: the image's config says linux/amd64");
        String list = get("/builds?repo=acme%2Fapp", null).body();
        assertTrue(list.contains("data-platform=\"linux/arm64\" data-state=\"mislabeled\""), list);
        assertTrue(list.contains("the image&#39;s config says linux/amd64"), list);
    }

    @Test
    void matrix_showsEachPlatformsState_nativeOrQemu_andFilters() {
        String list = admin("/builds").body();
        assertTrue(list.contains("data-platform=\"linux/s390x\" data-state=\"running\""), list);
        assertTrue(list.contains("data-platform=\"linux/arm64\" data-state=\"succeeded\""), list);
        assertTrue(list.contains("<small>N</small>"), "amd64 is native on runner-1: " + list);
        assertTrue(list.contains("<small>Q</small>"), "arm64 and s390x run under QEMU: " + list);
        String failedOnly = admin("/builds?state=failed").body();
        assertFalse(failedOnly.contains("data-build="), failedOnly);
        String byRef = admin("/builds?ref=refs%2Fheads%2Fmain").body();
        assertTrue(byRef.contains("data-build=\"" + hiddenRunning.id() + "\""), byRef);
        assertFalse(byRef.contains("data-build=\"" + shown.id() + "\""), byRef);
        ServerFixture.Answer bad = admin("/builds?state=sideways");
        assertEquals(400, bad.status());
        assertTrue(bad.error().startsWith("state must be one of [queued, running"), bad.error());
    }

    @Test
    void pages_goBackByKeyset_withoutACliff() {
        for (int i = 0; i < 120; i++) {
            created("acme/many", false, "refs/heads/main", "linux/amd64");
        }
        java.util.Set<String> seen = new java.util.HashSet<>();
        String path = "/builds?repo=acme%2Fmany";
        int pages = 0;
        while (path != null) {
            String body = get(path, null).body();
            java.util.regex.Matcher m =
                    java.util.regex.Pattern.compile("data-build=\"(\\d+)\"").matcher(body);
            while (m.find()) {
                assertTrue(seen.add(m.group(1)), "each build once: " + m.group(1));
            }
            java.util.regex.Matcher next = java.util.regex.Pattern.compile("id=\"older\" rel=next href=\"([^\"]+)\"")
                    .matcher(body);
            path = next.find() ? next.group(1).replace("&amp;", "&") : null;
            pages++;
        }
        assertEquals(120, seen.size());
        assertEquals(3, pages, "50 + 50 + 20");
    }

    @Test
    void pages_carryAContentSecurityPolicy_andEscapeWhatTheyShow() {
        BuildRecord evil = created("acme/<img src=x onerror=alert(1)>", false, "refs/heads/<b>", "linux/amd64");
        ServerFixture.Answer list = get("/builds", null);
        assertTrue(list.headers().get("Content-Security-Policy").contains("script-src 'self'"));
        assertFalse(list.body().contains("<img src=x"), list.body());
        assertFalse(list.body().contains("<b>"), list.body());
        String page = get("/builds/" + evil.id(), null).body();
        assertFalse(page.contains("<img src=x"), page);
        assertTrue(page.contains("&lt;img src=x onerror=alert(1)&gt;"), page);
        ServerFixture.Answer js = get("/assets/dashboard.js", null);
        assertEquals(200, js.status());
        assertTrue(js.body().contains("EventSource"));
    }

    @Test
    void stream_openedWithoutCursors_startsAtTheTailThePageShows_notAtTheFirstChunk(Vertx vertx) throws Exception {
        JobRecord job = server.store.jobs(hiddenRunning.id()).get(0);
        server.store.appendLog(job.id(), job.attempt(), "OLDEST-LINE\n", 1 << 30);
        String filler = "x".repeat(1023) + "\n";
        long page = Pages.PAGE_LOG_BYTES;
        for (long written = 0; written < page + 64 * 1024; written += filler.length()) {
            server.store.appendLog(job.id(), job.attempt(), filler, 1 << 30);
        }
        server.store.appendLog(job.id(), job.attempt(), "NEWEST-LINE\n", 1 << 30);
        HttpClient client = vertx.createHttpClient();
        StringBuffer got = new StringBuffer();
        int status = ServerFixture.await(
                client.request(HttpMethod.GET, server.port(), "127.0.0.1", "/builds/" + hiddenRunning.id() + "/events")
                        .compose(req -> req.putHeader("Authorization", "Bearer " + ADMIN_TOKEN)
                                .send())
                        .map(res -> {
                            res.handler(b -> got.append(b.toString()));
                            return res.statusCode();
                        }));
        assertEquals(200, status);
        Poll.until(
                () -> got.toString().contains("NEWEST-LINE") && got.toString().contains("event: build"), got);
        assertFalse(got.toString().contains("OLDEST-LINE"), "the stream started at the tail, not at seq 0");
        client.close();
    }

    @Test
    void stream_sendsALogChunkAndAStateChange_asTheyAreStored(Vertx vertx) throws Exception {
        JobRecord job = server.store.jobs(hiddenRunning.id()).get(0);
        HttpClient client = vertx.createHttpClient();
        StringBuffer got = new StringBuffer();
        java.util.concurrent.CompletableFuture<Void> ended = new java.util.concurrent.CompletableFuture<>();
        int status = ServerFixture.await(client.request(
                        HttpMethod.GET,
                        server.port(),
                        "127.0.0.1",
                        "/builds/" + hiddenRunning.id() + "/events?after=" + job.id() + ".0")
                .compose(req ->
                        req.putHeader("Authorization", "Bearer " + ADMIN_TOKEN).send())
                .map(res -> {
                    res.handler(b -> got.append(b.toString()));
                    res.endHandler(v -> ended.complete(null));
                    return res.statusCode();
                }));
        assertEquals(200, status);
        Poll.until(() -> got.toString().contains("event: build"), got);
        server.store.appendLog(job.id(), job.attempt(), "STEP 1/2: <RUN> make\n", 1 << 20);
        Poll.until(() -> got.toString().contains("STEP 1/2: <RUN> make"), got);
        assertTrue(got.toString().contains("\"job\":" + job.id()), got.toString());
        assertTrue(server.coordinator.cancel(hiddenRunning.id(), "stopped by a test"));
        ended.get(30, TimeUnit.SECONDS);
        String all = got.toString();
        assertTrue(all.contains("\"state\":\"cancelled\""), all);
        assertTrue(all.indexOf("event: end") > all.lastIndexOf("event: build"), all);
        client.close();
    }
}
