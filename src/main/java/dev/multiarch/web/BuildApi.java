package dev.multiarch.web;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.multiarch.pipeline.BuildQueries;
import dev.multiarch.pipeline.Coordinator;
import dev.multiarch.pipeline.Trigger;
import dev.multiarch.store.BuildRecord;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * Builds over HTTP: trigger and cancel (with the admin token), and read them as JSON (the pages are
 * {@link Pages}'). Every read shows only what its viewer may see
 * ({@link Visibility}): a private repository's build is left out of lists, and by id it is the same 404 as a build
 * that does not exist, so that its existence does not leak.
 */
final class BuildApi {
    /** How many of the newest builds {@code GET /api/builds} looks at. */
    private static final int API_BUILDS = 200;

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

    BuildApi(Coordinator coordinator, Replies replies, Sessions sessions, Visibility visibility) {
        this.coordinator = coordinator;
        this.replies = replies;
        this.sessions = sessions;
        this.visibility = visibility;
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
            List<BuildRecord> bs = coordinator.trigger(Trigger.builder()
                    .repo(t.repo() == null ? t.cloneUrl() : t.repo())
                    .cloneUrl(t.cloneUrl())
                    .commit(t.commit())
                    .ref(t.ref())
                    .push(t.push() == null || t.push())
                    .explicitTags(tags)
                    .privateRepo(Boolean.TRUE.equals(t.privateRepo()))
                    .build());
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

    /**
     * Re-runs a build that failed while publishing (202): only the registries where its index is missing are
     * published; a build that cannot be finished that way answers 409 (trigger the commit again instead).
     */
    void rerun(RoutingContext ctx) {
        replies.json(ctx, 202, () -> {
            Requests.requireAdmin(ctx, coordinator.config().adminToken());
            long id = Requests.id(ctx);
            found(id, Viewer.ADMIN);
            if (!coordinator.republish(id)) {
                String state = found(id, Viewer.ADMIN).build().state().word();
                throw new HttpError(
                        409,
                        "build " + id + " is " + state + "; only a build that failed while publishing, every platform"
                                + " built, can be re-run here (trigger the commit again to build it anew)");
            }
            return view(found(id, Viewer.ADMIN));
        });
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
                b.build(), b.jobs(), b.timings(), coordinator.config().publicUrl(), b.publications());
    }

    private List<BuildView> views(List<BuildQueries.BuildWithJobs> bs) {
        return bs.stream().map(this::view).toList();
    }
}
