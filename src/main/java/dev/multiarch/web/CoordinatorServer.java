package dev.multiarch.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.multiarch.base.Json;
import dev.multiarch.dispatch.Dispatcher;
import dev.multiarch.dispatch.Protocol;
import dev.multiarch.pipeline.Coordinator;
import dev.multiarch.pipeline.Trigger;
import dev.multiarch.platform.InvalidPlatformException;
import dev.multiarch.platform.Platform;
import dev.multiarch.store.BuildRecord;
import dev.multiarch.store.JobRecord;
import dev.multiarch.store.RunnerRecord;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;

/** The coordinator's HTTP server: runner API, trigger API, build pages. */
public final class CoordinatorServer extends VerticleBase {
    private static final Logger LOG = Logger.getLogger(CoordinatorServer.class.getName());
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Coordinator coordinator;
    private final Dispatcher dispatcher;
    private final List<Routes> extraRoutes;
    private HttpServer server;
    private WorkerExecutor worker;

    /** More routes (the GitHub webhook), added to the same router. */
    @FunctionalInterface
    public interface Routes {
        void mount(Router router, WorkerExecutor worker);
    }

    public CoordinatorServer(Coordinator coordinator, Dispatcher dispatcher, List<Routes> extraRoutes) {
        this.coordinator = coordinator;
        this.dispatcher = dispatcher;
        this.extraRoutes = extraRoutes;
    }

    /** The port actually bound (the configured one, or the one the OS chose for port 0). */
    public int port() {
        return server.actualPort();
    }

    @Override
    public Future<?> start() {
        worker = vertx.createSharedWorkerExecutor("multiarch-work", 16);
        Router r = Router.router(vertx);
        r.route("/api/*").handler(BodyHandler.create().setBodyLimit(8L * 1024 * 1024));
        r.post("/api/runners/register").handler(this::register);
        r.post("/api/runners/poll").handler(this::poll);
        r.post("/api/jobs/:id/heartbeat").handler(this::heartbeat);
        r.post("/api/jobs/:id/log").handler(this::log);
        r.post("/api/jobs/:id/complete").handler(this::complete);
        r.post("/api/builds").handler(this::createBuilds);
        r.get("/api/builds").handler(this::buildsJson);
        r.get("/api/builds/:id").handler(this::buildJson);
        r.post("/api/builds/:id/cancel").handler(this::cancel);
        r.get("/builds/:id").handler(this::buildPage);
        r.get("/builds").handler(this::buildList);
        r.get("/healthz")
                .handler(ctx ->
                        ctx.response().putHeader("Content-Type", "text/plain").end("ok\n"));
        r.get("/").handler(ctx -> ctx.redirect("/builds"));
        for (Routes extra : extraRoutes) {
            extra.mount(r, worker);
        }
        r.route()
                .last()
                .handler(ctx -> fail(ctx, 404, "no such page: " + ctx.request().path()));
        server = vertx.createHttpServer().requestHandler(r);
        return server.listen(coordinator.config().port(), coordinator.config().host());
    }

    @Override
    public Future<?> stop() {
        return server == null ? Future.succeededFuture() : server.close().compose(v -> worker.close());
    }

    // ---- helpers

    private <T> void blocking(RoutingContext ctx, Callable<T> work, java.util.function.Consumer<T> reply) {
        worker.executeBlocking(work, false).onComplete(ar -> {
            if (ar.succeeded()) {
                reply.accept(ar.result());
            } else if (ar.cause() instanceof HttpError he) {
                fail(ctx, he.status, he.getMessage());
            } else {
                LOG.log(
                        Level.WARNING,
                        ctx.request().method() + " " + ctx.request().path() + " failed",
                        ar.cause());
                fail(ctx, 500, "internal error: " + ar.cause().getMessage());
            }
        });
    }

    static final class HttpError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        final int status;

        HttpError(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    static void fail(RoutingContext ctx, int status, String message) {
        if (ctx.response().ended()) {
            return;
        }
        ctx.response()
                .setStatusCode(status)
                .putHeader("Content-Type", "application/json")
                .end("{\"error\":" + quote(message) + "}\n");
    }

    private static String quote(String s) {
        try {
            return Json.MAPPER.writeValueAsString(s);
        } catch (JsonProcessingException e) {
            return "\"error\"";
        }
    }

    private static void json(RoutingContext ctx, int status, Object body) {
        try {
            ctx.response()
                    .setStatusCode(status)
                    .putHeader("Content-Type", "application/json")
                    .end(Json.MAPPER.writeValueAsString(body));
        } catch (JsonProcessingException e) {
            fail(ctx, 500, "cannot write the answer: " + e.getMessage());
        }
    }

    private static <T> T body(RoutingContext ctx, Class<T> type) {
        try {
            String text = ctx.body().asString();
            if (text == null || text.isBlank()) {
                throw new HttpError(400, "expected a JSON body (" + type.getSimpleName() + ")");
            }
            return Json.MAPPER.readValue(text, type);
        } catch (JsonProcessingException e) {
            throw new HttpError(400, "malformed " + type.getSimpleName() + ": " + e.getOriginalMessage());
        }
    }

    static String sha256(String s) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean constantTimeEquals(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    private static String bearer(RoutingContext ctx) {
        String h = ctx.request().getHeader("Authorization");
        if (h == null || !h.startsWith("Bearer ")) {
            throw new HttpError(401, "missing Authorization: Bearer <token>");
        }
        return h.substring(7).trim();
    }

    /** Blocking: the runner a token belongs to. */
    private RunnerRecord runner(String token) {
        RunnerRecord r = coordinator
                .store()
                .runnerByTokenHash(sha256(token))
                .orElseThrow(() -> new HttpError(401, "unknown runner token; register again"));
        coordinator.store().touchRunner(r.id(), Instant.now());
        return r;
    }

    private static long idParam(RoutingContext ctx) {
        try {
            return Long.parseLong(ctx.pathParam("id"));
        } catch (NumberFormatException e) {
            throw new HttpError(400, "not an id: " + ctx.pathParam("id"));
        }
    }

    private void requireAdmin(RoutingContext ctx) {
        String token = bearer(ctx);
        if (!constantTimeEquals(token, coordinator.config().runnerSecret())) {
            throw new HttpError(403, "this needs the coordinator's registration secret");
        }
    }

    private static List<Platform> platforms(List<String> texts, String what) {
        List<Platform> out = new ArrayList<>();
        for (String t : texts == null ? List.<String>of() : texts) {
            try {
                out.add(Platform.parse(t).validate());
            } catch (InvalidPlatformException e) {
                throw new HttpError(400, what + ": " + e.getMessage());
            }
        }
        return out;
    }

    private static String csv(List<Platform> ps) {
        return String.join(",", ps.stream().map(Platform::shortForm).toList());
    }

    private static List<Platform> fromCsv(String csv) {
        List<Platform> out = new ArrayList<>();
        for (String s : csv.split(",")) {
            if (!s.isBlank()) {
                out.add(Platform.parse(s));
            }
        }
        return out;
    }

    // ---- runner API

    private void register(RoutingContext ctx) {
        Protocol.Register req;
        try {
            req = body(ctx, Protocol.Register.class);
        } catch (HttpError e) {
            fail(ctx, e.status, e.getMessage());
            return;
        }
        if (req.secret() == null
                || !constantTimeEquals(req.secret(), coordinator.config().runnerSecret())) {
            fail(ctx, 403, "wrong registration secret");
            return;
        }
        blocking(
                ctx,
                () -> {
                    List<Platform> nat = platforms(req.nativePlatforms(), "nativePlatforms");
                    List<Platform> qemu = platforms(req.qemuPlatforms(), "qemuPlatforms");
                    if (nat.isEmpty() && qemu.isEmpty()) {
                        throw new HttpError(400, "a runner must build at least one platform");
                    }
                    byte[] raw = new byte[32];
                    RANDOM.nextBytes(raw);
                    String token = HexFormat.of().formatHex(raw);
                    String id = "runner-" + UUID.randomUUID().toString().substring(0, 8);
                    Instant now = Instant.now();
                    coordinator
                            .store()
                            .addRunner(new RunnerRecord(
                                    id,
                                    req.name() == null ? id : req.name(),
                                    sha256(token),
                                    csv(nat),
                                    csv(qemu),
                                    now,
                                    now,
                                    req.untrustedJobs()));
                    LOG.info(() ->
                            "registered " + id + " (" + req.name() + "): native " + csv(nat) + "; qemu " + csv(qemu));
                    return new Protocol.Registered(id, token);
                },
                reg -> json(ctx, 201, reg));
    }

    private void poll(RoutingContext ctx) {
        String token;
        try {
            token = bearer(ctx);
        } catch (HttpError e) {
            fail(ctx, e.status, e.getMessage());
            return;
        }
        Context context = vertx.getOrCreateContext();
        blocking(ctx, () -> runner(token), r -> {
            Dispatcher.Waiter w = dispatcher.await(
                    r.id(), fromCsv(r.nativePlatforms()), fromCsv(r.qemuPlatforms()), r.untrustedJobs());
            long timer = vertx.setTimer(coordinator.config().longPoll().toMillis(), t -> dispatcher.stopWaiting(w));
            ctx.request().connection().closeHandler(v -> dispatcher.stopWaiting(w));
            w.result()
                    .whenComplete((job, err) -> context.runOnContext(v -> {
                        vertx.cancelTimer(timer);
                        if (err != null || job == null || job.isEmpty()) {
                            if (!ctx.response().ended() && !ctx.response().closed()) {
                                ctx.response().setStatusCode(204).end();
                            }
                            return;
                        }
                        JobRecord j = job.get();
                        blocking(ctx, () -> coordinator.assignment(j), a -> json(ctx, 200, a));
                    }));
        });
    }

    private void heartbeat(RoutingContext ctx) {
        blocking(
                ctx,
                () -> {
                    RunnerRecord r = runner(bearer(ctx));
                    Protocol.Heartbeat hb = body(ctx, Protocol.Heartbeat.class);
                    return coordinator.heartbeat(idParam(ctx), r.id(), hb.attempt());
                },
                reply -> json(ctx, 200, reply));
    }

    private void log(RoutingContext ctx) {
        blocking(
                ctx,
                () -> {
                    RunnerRecord r = runner(bearer(ctx));
                    long jobId = idParam(ctx);
                    JobRecord j =
                            coordinator.store().job(jobId).orElseThrow(() -> new HttpError(404, "no job " + jobId));
                    if (!r.id().equals(j.runnerId())) {
                        throw new HttpError(409, "job " + jobId + " is not leased to " + r.id());
                    }
                    int attempt =
                            Integer.parseInt(Optional.ofNullable(ctx.request().getParam("attempt"))
                                    .orElse("0"));
                    coordinator.log(jobId, attempt, ctx.body().asString());
                    return true;
                },
                ok -> ctx.response().setStatusCode(204).end());
    }

    private void complete(RoutingContext ctx) {
        blocking(
                ctx,
                () -> {
                    RunnerRecord r = runner(bearer(ctx));
                    Protocol.Complete c = body(ctx, Protocol.Complete.class);
                    return coordinator.complete(idParam(ctx), r.id(), c);
                },
                done -> {
                    if (done == dev.multiarch.store.Store.Completion.STALE) {
                        fail(ctx, 409, "this result is for a lease that was lost; it was not recorded");
                    } else {
                        ctx.response().setStatusCode(204).end();
                    }
                });
    }

    // ---- builds

    /** A trigger without GitHub: {@code multiarch build --coordinator URL}, or a script. */
    public record TriggerRequest(
            String repo, String cloneUrl, String commit, String ref, Boolean push, List<String> tags) {}

    private void createBuilds(RoutingContext ctx) {
        blocking(
                ctx,
                () -> {
                    requireAdmin(ctx);
                    TriggerRequest t = body(ctx, TriggerRequest.class);
                    if (t.cloneUrl() == null || t.commit() == null || t.ref() == null) {
                        throw new HttpError(400, "cloneUrl, commit and ref are required");
                    }
                    if (!t.commit().matches("[0-9a-f]{40}|[0-9a-f]{64}")) {
                        throw new HttpError(400, "commit must be a full hex object id, got '" + t.commit() + "'");
                    }
                    List<BuildRecord> bs = coordinator.trigger(new Trigger(
                            t.repo() == null ? t.cloneUrl() : t.repo(),
                            t.cloneUrl(),
                            t.commit(),
                            t.ref(),
                            t.push() == null || t.push(),
                            t.tags() == null ? List.of() : t.tags(),
                            null));
                    List<BuildView> out = new ArrayList<>();
                    for (BuildRecord b : bs) {
                        out.add(BuildView.of(
                                b,
                                coordinator.store().jobs(b.id()),
                                coordinator.config().publicUrl()));
                    }
                    return out;
                },
                views -> json(ctx, 201, views));
    }

    /** The most recent builds, newest first; {@code ?commit=SHA} keeps those of one commit. */
    private void buildsJson(RoutingContext ctx) {
        String commit = ctx.request().getParam("commit");
        blocking(
                ctx,
                () -> {
                    List<BuildView> vs = new ArrayList<>();
                    for (BuildRecord b : coordinator.store().recentBuilds(200)) {
                        if (commit == null || commit.equals(b.commit())) {
                            vs.add(BuildView.of(
                                    b,
                                    coordinator.store().jobs(b.id()),
                                    coordinator.config().publicUrl()));
                        }
                    }
                    return vs;
                },
                vs -> json(ctx, 200, vs));
    }

    private void buildJson(RoutingContext ctx) {
        blocking(ctx, () -> view(idParam(ctx)), v -> json(ctx, 200, v));
    }

    private void cancel(RoutingContext ctx) {
        blocking(
                ctx,
                () -> {
                    requireAdmin(ctx);
                    return coordinator.cancel(idParam(ctx), "cancelled through the API");
                },
                ok -> ctx.response().setStatusCode(ok ? 204 : 409).end());
    }

    private BuildView view(long id) {
        BuildRecord b = coordinator.store().build(id).orElseThrow(() -> new HttpError(404, "no build " + id));
        return BuildView.of(
                b, coordinator.store().jobs(id), coordinator.config().publicUrl());
    }

    private void buildPage(RoutingContext ctx) {
        blocking(
                ctx,
                () -> {
                    BuildView v = view(idParam(ctx));
                    List<String> logs = new ArrayList<>();
                    for (BuildView.JobView j : v.jobs()) {
                        StringBuilder b = new StringBuilder();
                        coordinator.store().logs(j.id(), 0).forEach(c -> b.append(c.text()));
                        logs.add(b.toString());
                    }
                    return BuildPage.render(v, logs);
                },
                html -> ctx.response()
                        .putHeader("Content-Type", "text/html; charset=utf-8")
                        .end(html));
    }

    private void buildList(RoutingContext ctx) {
        blocking(
                ctx,
                () -> {
                    List<BuildView> vs = new ArrayList<>();
                    for (BuildRecord b : coordinator.store().recentBuilds(100)) {
                        vs.add(BuildView.of(
                                b,
                                coordinator.store().jobs(b.id()),
                                coordinator.config().publicUrl()));
                    }
                    return BuildPage.list(vs);
                },
                html -> ctx.response()
                        .putHeader("Content-Type", "text/html; charset=utf-8")
                        .end(html));
    }
}
