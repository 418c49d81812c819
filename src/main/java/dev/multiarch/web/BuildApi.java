package dev.multiarch.web;

import dev.multiarch.pipeline.BuildQueries;
import dev.multiarch.pipeline.Coordinator;
import dev.multiarch.pipeline.Trigger;
import dev.multiarch.store.BuildRecord;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds over HTTP: trigger and cancel (with the admin token), read them as JSON, and the pages
 * ({@code /builds}, {@code /builds/{id}}) that status checks link to.
 */
final class BuildApi {
    /** How many of the newest builds {@code GET /api/builds} looks at, and how many the list page shows. */
    private static final int API_BUILDS = 200;

    private static final int PAGE_BUILDS = 100;
    /** A build page shows the end of each platform's log, where builds fail. */
    static final long PAGE_LOG_BYTES = 256 * 1024;

    /** A trigger without GitHub: {@code multiarch build --coordinator URL}, or a script. */
    record TriggerRequest(String repo, String cloneUrl, String commit, String ref, Boolean push, List<String> tags) {}

    private final Coordinator coordinator;
    private final Replies replies;

    BuildApi(Coordinator coordinator, Replies replies) {
        this.coordinator = coordinator;
        this.replies = replies;
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
                    null));
            return views(coordinator.queries().withJobs(bs));
        });
    }

    /** The most recent builds, newest first; {@code ?commit=SHA} keeps those of one commit. */
    void list(RoutingContext ctx) {
        String commit = ctx.request().getParam("commit");
        replies.json(
                ctx,
                200,
                () -> views(
                        coordinator.queries().recent(API_BUILDS, b -> commit == null || commit.equals(b.commit()))));
    }

    void get(RoutingContext ctx) {
        replies.json(ctx, 200, () -> view(found(Requests.id(ctx))));
    }

    /** Cancels a queued or running build (204); one that has got further answers 409 with where it is. */
    void cancel(RoutingContext ctx) {
        replies.noContent(ctx, () -> {
            Requests.requireAdmin(ctx, coordinator.config().adminToken());
            long id = Requests.id(ctx);
            found(id);
            if (!coordinator.cancel(id, "cancelled through the API")) {
                String state = found(id).build().state().word();
                throw new HttpError(
                        409, "build " + id + " is " + state + "; only a queued or running build can be cancelled");
            }
        });
    }

    void page(RoutingContext ctx) {
        replies.html(ctx, () -> {
            BuildQueries.BuildWithJobs b = found(Requests.id(ctx));
            List<String> logs = new ArrayList<>();
            b.jobs().forEach(j -> logs.add(coordinator.queries().logTail(j.id(), PAGE_LOG_BYTES)));
            return BuildPage.render(view(b), logs);
        });
    }

    void listPage(RoutingContext ctx) {
        replies.html(ctx, () -> BuildPage.list(views(coordinator.queries().recent(PAGE_BUILDS, b -> true))));
    }

    /** Blocking: the build, or a 404. */
    private BuildQueries.BuildWithJobs found(long id) {
        return coordinator.queries().build(id).orElseThrow(() -> new HttpError(404, "no build " + id));
    }

    private BuildView view(BuildQueries.BuildWithJobs b) {
        return BuildView.of(
                b.build(), b.jobs(), b.timings(), coordinator.config().publicUrl());
    }

    private List<BuildView> views(List<BuildQueries.BuildWithJobs> bs) {
        return bs.stream().map(this::view).toList();
    }
}
