package dev.multiarch.web;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.multiarch.pipeline.BuildQueries;
import dev.multiarch.pipeline.Coordinator;
import dev.multiarch.pipeline.Trigger;
import dev.multiarch.store.BuildRecord;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds over HTTP: trigger and cancel (with the admin token), read them as JSON, and the pages
 * ({@code /builds}, {@code /builds/{id}}) that status checks link to. Every read shows only what its viewer may see
 * ({@link Visibility}): a private repository's build is left out of lists, and by id it is the same 404 as a build
 * that does not exist, so that its existence does not leak.
 */
final class BuildApi {
    /** How many of the newest builds {@code GET /api/builds} looks at, and how many the list page shows. */
    private static final int API_BUILDS = 200;

    private static final int PAGE_BUILDS = 100;
    /** A build page shows the end of each platform's log, where builds fail. */
    static final long PAGE_LOG_BYTES = 256 * 1024;

    /** A trigger without GitHub: {@code multiarch build --coordinator URL}, or a script. */
    record TriggerRequest(
            String repo,
            String cloneUrl,
            String commit,
            String ref,
            Boolean push,
            List<String> tags,
            @JsonProperty("private") Boolean privateRepo) {}

    private final Coordinator coordinator;
    private final Replies replies;
    private final Sessions sessions;
    private final Visibility visibility;
    private final boolean signInEnabled;

    BuildApi(
            Coordinator coordinator, Replies replies, Sessions sessions, Visibility visibility, boolean signInEnabled) {
        this.coordinator = coordinator;
        this.replies = replies;
        this.sessions = sessions;
        this.visibility = visibility;
        this.signInEnabled = signInEnabled;
    }

    /** On the event loop: who asks. Answers that depend on it are never for a shared cache. */
    private Viewer viewer(RoutingContext ctx) {
        ctx.response().putHeader("Cache-Control", "private, no-store");
        return Viewer.of(ctx, sessions, coordinator.config().adminToken());
    }

    void create(RoutingContext ctx) {
        replies.json(ctx, 201, () -> {
            Requests.requireAdmin(ctx, coordinator.config().adminToken());
            TriggerRequest t = Requests.body(ctx, TriggerRequest.class);
            if (t.cloneUrl() == null || t.commit() == null || t.ref() == null) {
                throw new HttpError(400, "cloneUrl, commit and ref are required");
            }
            Requests.sourceUrl(t.cloneUrl(), coordinator.config().allowLocalSources());
            if (!t.commit().matches("[0-9a-f]{40}|[0-9a-f]{64}")) {
                throw new HttpError(400, "commit must be a full hex object id, got '" + t.commit() + "'");
            }
            List<String> tags = t.tags() == null ? List.of() : t.tags();
            if (tags.stream().anyMatch(x -> x == null || x.isBlank())) {
                throw new HttpError(400, "tags: an empty tag in " + tags);
            }
            List<BuildRecord> bs = coordinator.trigger(new Trigger(
                            t.repo() == null ? t.cloneUrl() : t.repo(),
                            t.cloneUrl(),
                            t.commit(),
                            t.ref(),
                            t.push() == null || t.push(),
                            tags,
                            null)
                    .withPrivateRepo(Boolean.TRUE.equals(t.privateRepo())));
            return views(coordinator.queries().withJobs(bs));
        });
    }

    /** The most recent builds, newest first; {@code ?commit=SHA} keeps those of one commit. */
    void list(RoutingContext ctx) {
        Viewer v = viewer(ctx);
        String commit = ctx.request().getParam("commit");
        replies.json(
                ctx,
                200,
                () -> views(coordinator
                        .queries()
                        .recent(
                                API_BUILDS,
                                b -> (commit == null || commit.equals(b.commit())) && visibility.sees(v, b))));
    }

    void get(RoutingContext ctx) {
        Viewer v = viewer(ctx);
        replies.json(ctx, 200, () -> view(found(Requests.id(ctx), v)));
    }

    /** Cancels a queued or running build (204); one that has got further answers 409 with where it is. */
    void cancel(RoutingContext ctx) {
        replies.noContent(ctx, () -> {
            Requests.requireAdmin(ctx, coordinator.config().adminToken());
            long id = Requests.id(ctx);
            found(id, Viewer.ADMIN);
            if (!coordinator.cancel(id, "cancelled through the API")) {
                String state = found(id, Viewer.ADMIN).build().state().word();
                throw new HttpError(
                        409, "build " + id + " is " + state + "; only a queued or running build can be cancelled");
            }
        });
    }

    void page(RoutingContext ctx) {
        Viewer v = viewer(ctx);
        replies.html(ctx, () -> {
            BuildPage.Nav nav = nav(ctx, v); // who is signed in: the store answers, off the event loop
            BuildQueries.BuildWithJobs b = found(Requests.id(ctx), v);
            List<String> logs = new ArrayList<>();
            b.jobs().forEach(j -> logs.add(coordinator.queries().logTail(j.id(), PAGE_LOG_BYTES)));
            return BuildPage.render(view(b), logs, nav);
        });
    }

    void listPage(RoutingContext ctx) {
        Viewer v = viewer(ctx);
        replies.html(
                ctx,
                () -> BuildPage.list(
                        views(coordinator.queries().recent(PAGE_BUILDS, b -> visibility.sees(v, b))), nav(ctx, v)));
    }

    private BuildPage.Nav nav(RoutingContext ctx, Viewer v) {
        return new BuildPage.Nav(signInEnabled, v.login(), ctx.request().path());
    }

    /**
     * Blocking: the build, or a 404 — also when {@code v} may not see it, with the same words, so that nobody learns
     * that a private repository's build exists.
     */
    private BuildQueries.BuildWithJobs found(long id, Viewer v) {
        return coordinator
                .queries()
                .build(id)
                .filter(b -> visibility.sees(v, b.build()))
                .orElseThrow(() -> new HttpError(404, "no build " + id));
    }

    private BuildView view(BuildQueries.BuildWithJobs b) {
        return BuildView.of(
                b.build(), b.jobs(), b.timings(), coordinator.config().publicUrl());
    }

    private List<BuildView> views(List<BuildQueries.BuildWithJobs> bs) {
        return bs.stream().map(this::view).toList();
    }
}
