package dev.multiarch.web;

import dev.multiarch.pipeline.BuildQueries;
import dev.multiarch.pipeline.Coordinator;
import dev.multiarch.store.BuildRecord;
import dev.multiarch.store.JobRecord;
import dev.multiarch.store.LogChunk;
import dev.multiarch.store.RunnerRecord;
import dev.multiarch.store.Store;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The dashboard's pages: the builds list with its platform matrix ({@link BuildsPage}), a build with its live
 * progress ({@link BuildPage}, {@link BuildEvents}), images and their tags ({@link ImagesPage}), runners
 * ({@link RunnersPage}), and the script they share. Each shows only what its viewer may see ({@link Visibility}):
 * builds of a private repository are left out of lists, by id they are the 404 of a build that does not exist, an
 * image's tags that such a build holds are left out, and a runner's current job there is shown without its build.
 */
final class Pages {
    /** A build page shows the end of each platform's log, where builds fail; the stream goes on from there. */
    static final long PAGE_LOG_BYTES = 256 * 1024;
    /** Tags the image pages read at most (all images), and moves per image. */
    private static final int MAX_TAGS = 2000;

    private static final int MAX_MOVES = 50;

    private final Coordinator coordinator;
    private final Replies replies;
    private final Sessions sessions;
    private final Visibility visibility;
    private final boolean signInEnabled;
    private final BuildEvents events;
    private final Clock clock;
    private final String script;

    Pages(
            Coordinator coordinator,
            Replies replies,
            Sessions sessions,
            Visibility visibility,
            boolean signInEnabled,
            BuildEvents events,
            Clock clock) {
        this.coordinator = coordinator;
        this.replies = replies;
        this.sessions = sessions;
        this.visibility = visibility;
        this.signInEnabled = signInEnabled;
        this.events = events;
        this.clock = clock;
        try (InputStream in = Pages.class.getResourceAsStream("/web/dashboard.js")) {
            if (in == null) {
                throw new IllegalStateException("web/dashboard.js is missing from the jar");
            }
            this.script = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read web/dashboard.js: " + e.getMessage(), e);
        }
    }

    /** On the event loop: who asks. Answers that depend on it are never for a shared cache. */
    private Viewer viewer(RoutingContext ctx) {
        ctx.response().putHeader("Cache-Control", "private, no-store");
        return Viewer.of(ctx, sessions, coordinator.config().adminToken());
    }

    private Layout.Nav nav(RoutingContext ctx, Viewer v) {
        String here = ctx.request().path()
                + (ctx.request().query() == null ? "" : "?" + ctx.request().query());
        return new Layout.Nav(signInEnabled, v.login(), here);
    }

    private void html(RoutingContext ctx, Callable<String> work) {
        ctx.response().putHeader("Content-Security-Policy", Layout.CSP);
        replies.html(ctx, work);
    }

    private BuildView view(BuildQueries.BuildWithJobs b) {
        return BuildView.of(
                b.build(), b.jobs(), b.timings(), coordinator.config().publicUrl(), b.publications());
    }

    void script(RoutingContext ctx) {
        ctx.response()
                .putHeader("Content-Type", "text/javascript; charset=utf-8")
                .putHeader("Cache-Control", "public, max-age=300")
                .putHeader("X-Content-Type-Options", "nosniff")
                .end(script);
    }

    /** {@code /builds?repo=&state=&ref=&before=}: a page of builds, newest first. */
    void builds(RoutingContext ctx) {
        Viewer v = viewer(ctx);
        BuildsPage.Filters f = new BuildsPage.Filters(param(ctx, "repo"), param(ctx, "state"), param(ctx, "ref"));
        html(ctx, () -> {
            Layout.Nav nav = nav(ctx, v); // the session is looked up in the store: off the event loop
            Long before = before(ctx);
            Store.BuildFilter filter = new Store.BuildFilter(
                    f.repo(),
                    f.state() == null ? null : BuildsPage.state(f.state()),
                    f.ref(),
                    v.admin() || v.person() != null);
            BuildQueries.Page page =
                    coordinator.queries().page(filter, before, BuildsPage.PAGE, b -> visibility.sees(v, b));
            List<JobRecord> jobs = new ArrayList<>();
            page.builds().forEach(b -> jobs.addAll(b.jobs()));
            return BuildsPage.render(
                    page.builds().stream().map(this::view).toList(),
                    coordinator.queries().emulation(jobs),
                    f,
                    page.nextBefore(),
                    before != null,
                    nav);
        });
    }

    /** An empty or missing parameter is no filter; anything longer than any stored value is refused. */
    private static String param(RoutingContext ctx, String name) {
        String s = ctx.request().getParam(name);
        if (s == null || s.isBlank()) {
            return null;
        }
        if (s.length() > 500) {
            throw new HttpError(400, name + " is longer than 500 characters");
        }
        return s.trim();
    }

    void build(RoutingContext ctx) {
        Viewer v = viewer(ctx);
        html(ctx, () -> {
            Layout.Nav nav = nav(ctx, v); // the session is looked up in the store: off the event loop
            long id = Requests.id(ctx);
            BuildQueries.BuildWithJobs b = coordinator
                    .queries()
                    .build(id)
                    .filter(x -> visibility.sees(v, x.build()))
                    .orElseThrow(() -> new HttpError(404, "no build " + id));
            List<List<LogChunk>> logs = new ArrayList<>();
            b.jobs().forEach(j -> logs.add(coordinator.queries().logTailChunks(j.id(), PAGE_LOG_BYTES)));
            return BuildPage.render(view(b), coordinator.queries().emulation(b.jobs()), logs, nav);
        });
    }

    void buildEvents(RoutingContext ctx) {
        Viewer v = viewer(ctx);
        long id;
        try {
            id = Requests.id(ctx);
        } catch (HttpError e) {
            ctx.fail(e);
            return;
        }
        events.open(ctx, id, v);
    }

    /** {@code /images}, {@code /images?name=IMAGE}: tags as they stand, with their platforms, and their moves. */
    void images(RoutingContext ctx) {
        Viewer v = viewer(ctx);
        String name = param(ctx, "name");
        html(ctx, () -> {
            Layout.Nav nav = nav(ctx, v); // the session is looked up in the store: off the event loop
            BuildQueries q = coordinator.queries();
            List<Store.ImageTag> tags = q.imageTags(name, MAX_TAGS);
            Map<Long, BuildQueries.BuildWithJobs> owners =
                    q.builds(tags.stream().map(Store.ImageTag::buildId).toList());
            Map<String, List<ImagesPage.Tag>> byImage = new LinkedHashMap<>();
            Map<String, List<ImagesPage.Move>> moves = new HashMap<>();
            for (Store.ImageTag t : tags) {
                BuildQueries.BuildWithJobs b = owners.get(t.buildId());
                if (b == null || !visibility.sees(v, b.build())) {
                    continue;
                }
                List<ImagesPage.Move> ms = moves.computeIfAbsent(t.image(), i -> visibleMoves(q, i, v));
                Instant at = ImagesPage.lastMoves(ms).get(t.tag());
                byImage.computeIfAbsent(t.image(), i -> new ArrayList<>())
                        .add(new ImagesPage.Tag(t.tag(), view(b), at));
            }
            if (name != null && byImage.isEmpty()) {
                throw new HttpError(404, "no image " + name);
            }
            List<ImagesPage.Image> images = new ArrayList<>();
            byImage.forEach((image, ts) -> images.add(new ImagesPage.Image(image, ts, moves.get(image))));
            return ImagesPage.render(images, name != null, nav);
        });
    }

    /** An image's tag moves, newest first, leaving out those made by builds the viewer may not see. */
    private List<ImagesPage.Move> visibleMoves(BuildQueries q, String image, Viewer v) {
        List<Store.TagMove> ms = q.tagMoves(image, MAX_MOVES);
        Map<Long, BuildRecord> by = new HashMap<>();
        q.buildRecords(ms.stream().map(Store.TagMove::buildId).toList()).forEach(b -> by.put(b.id(), b));
        return ms.stream()
                .filter(m -> by.containsKey(m.buildId()) && visibility.sees(v, by.get(m.buildId())))
                .map(m -> new ImagesPage.Move(m.tag(), m.buildId(), m.indexDigest(), m.movedAt()))
                .toList();
    }

    private static Long before(RoutingContext ctx) {
        String text = param(ctx, "before");
        if (text == null) {
            return null;
        }
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new HttpError(400, "before must be a build id, not '" + text + "'");
        }
    }

    void runners(RoutingContext ctx) {
        Viewer v = viewer(ctx);
        html(ctx, () -> {
            Layout.Nav nav = nav(ctx, v); // the session is looked up in the store: off the event loop
            BuildQueries q = coordinator.queries();
            List<JobRecord> running = q.runningJobs();
            Map<Long, BuildQueries.BuildWithJobs> builds =
                    q.builds(running.stream().map(JobRecord::buildId).toList());
            Map<String, List<RunnersPage.Current>> current = new HashMap<>();
            for (JobRecord j : running) {
                BuildRecord b = builds.containsKey(j.buildId())
                        ? builds.get(j.buildId()).build()
                        : null;
                boolean sees = b != null && visibility.sees(v, b);
                current.computeIfAbsent(j.runnerId(), r -> new ArrayList<>())
                        .add(new RunnersPage.Current(
                                j.id(), j.platform().shortForm(), sees ? b.id() : null, sees ? b.repo() : null));
            }
            Map<String, List<RunnersPage.Stats>> stats = new HashMap<>();
            for (Store.RunnerPlatformStats s : q.runnerStats()) {
                stats.computeIfAbsent(s.runnerId(), r -> new ArrayList<>())
                        .add(new RunnersPage.Stats(s.platform(), s.succeeded(), s.failed(), s.medianMillis()));
            }
            List<RunnersPage.Runner> rs = new ArrayList<>();
            for (RunnerRecord r : q.runners()) {
                rs.add(new RunnersPage.Runner(
                        r.id(),
                        r.name(),
                        RunnerView.shortForms(r.nativePlatforms()),
                        RunnerView.shortForms(r.qemuPlatforms()),
                        r.untrustedJobs(),
                        r.lastSeen(),
                        current.getOrDefault(r.id(), List.of()),
                        stats.getOrDefault(r.id(), List.of())));
            }
            return RunnersPage.render(rs, clock.instant(), nav);
        });
    }
}
