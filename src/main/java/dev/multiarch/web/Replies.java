package dev.multiarch.web;

import dev.multiarch.base.Json;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The one way a handler answers. Its work runs on the worker pool (it may block: JDBC, git) and its answer is written
 * on the event loop. Every failure, whether thrown by the work or by the answer, a body over the limit or a path
 * nobody serves, reaches {@link #failure}, which ends the response with a status and one line of JSON,
 * {@code {"error": "…"}}, the field runners and the CLI read. An {@link HttpError} answers its own status and message;
 * anything else is a 500 whose stack trace is logged under a short reference, and whose message is only that
 * reference: an exception's text can carry a JDBC URL, a registry's answer or a token.
 */
final class Replies {
    private static final Logger LOG = Logger.getLogger(Replies.class.getName());

    /** Work that answers nothing but its success. */
    @FunctionalInterface
    interface Action {
        void run() throws Exception;
    }

    private final WorkerExecutor worker;

    Replies(WorkerExecutor worker) {
        this.worker = worker;
    }

    /** Runs {@code work} on the worker pool, then {@code reply} with its result on the event loop. */
    <T> void blocking(RoutingContext ctx, Callable<T> work, Consumer<T> reply) {
        worker.executeBlocking(work, false).onComplete(ar -> {
            if (ar.failed()) {
                ctx.fail(ar.cause());
                return;
            }
            try {
                reply.accept(ar.result());
            } catch (RuntimeException e) {
                ctx.fail(e);
            }
        });
    }

    /** Answers {@code status} with the JSON of what {@code work} returns (written as JSON on the worker, too). */
    void json(RoutingContext ctx, int status, Callable<?> work) {
        blocking(ctx, () -> Json.writeString(work.call()), text -> ctx.response()
                .setStatusCode(status)
                .putHeader("Content-Type", "application/json")
                .end(text));
    }

    void html(RoutingContext ctx, Callable<String> work) {
        blocking(ctx, work, page -> ctx.response()
                .putHeader("Content-Type", "text/html; charset=utf-8")
                .end(page));
    }

    /** Answers 204 once {@code work} has run. */
    void noContent(RoutingContext ctx, Action work) {
        blocking(
                ctx,
                () -> {
                    work.run();
                    return Boolean.TRUE;
                },
                done -> ctx.response().setStatusCode(204).end());
    }

    /** The router's failure handler, for every route: see the class comment. */
    static void failure(RoutingContext ctx) {
        Throwable t = ctx.failure();
        int status = ctx.statusCode();
        if (t instanceof HttpError e) {
            end(ctx, e.status, e.getMessage());
        } else if (status >= 400 && status < 500) {
            // Vert.x's own refusals (a body over the limit, an Expect it cannot meet): the status says it all.
            end(ctx, status, refusal(ctx, status));
        } else {
            String ref = String.format("%08x", ThreadLocalRandom.current().nextInt());
            LOG.log(
                    Level.WARNING,
                    ctx.request().method() + " " + ctx.request().path() + " failed (reference " + ref + ")",
                    t);
            end(ctx, 500, "internal error (reference " + ref + "); the coordinator's log has the details");
        }
    }

    private static String refusal(RoutingContext ctx, int status) {
        return switch (status) {
            case 413 ->
                "the request body is larger than " + ctx.request().path() + " accepts"
                        + (ctx.request().path().startsWith("/api/")
                                ? " (at most " + CoordinatorServer.API_BODY_MIB + " MiB)"
                                : "");
            default -> "the request was refused (HTTP " + status + ")";
        };
    }

    private static void end(RoutingContext ctx, int status, String message) {
        HttpServerResponse res = ctx.response();
        if (res.ended() || res.closed()) {
            return;
        }
        if (res.headWritten()) {
            // Too late for a status: cut the answer short rather than let it pass for a whole one.
            res.reset();
            return;
        }
        res.setStatusCode(status)
                .putHeader("Content-Type", "application/json")
                .end(Json.writeString(Map.of("error", message)) + "\n");
    }
}
