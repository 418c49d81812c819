package dev.multiarch.web;

import dev.multiarch.dispatch.Dispatcher;
import dev.multiarch.pipeline.Coordinator;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The coordinator's HTTP server: runner API ({@link RunnerApi}), trigger API ({@link BuildApi}), the dashboard's
 * pages, live progress and badges ({@link Pages}, {@link BuildEvents}, {@link Badges}), signing in
 * ({@link SignInFlow}). Every answer and every failure goes through {@link Replies}.
 */
public final class CoordinatorServer extends VerticleBase {
    /** The largest body the API reads, in MiB: a log chunk or a trigger is far smaller. */
    static final int API_BODY_MIB = 8;

    static final long API_BODY_LIMIT = API_BODY_MIB * 1024L * 1024;

    /**
     * A connection with no byte read or written for this long is closed (Netty's all-idle: inactivity only, so a long
     * transfer is never cut): it bounds how long a client that opened a connection and then went silent holds it and
     * whatever was buffered for it. Live progress ({@code /builds/ID/events}) writes a keepalive every 15 s, well
     * within it; a runner's long-poll is silent for up to {@code runners.long-poll}, so the timeout is always at least
     * that plus {@link #IDLE_MARGIN}.
     */
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(60);

    static final Duration IDLE_MARGIN = Duration.ofSeconds(30);

    private final Coordinator coordinator;
    private final Dispatcher dispatcher;
    private final List<Routes> extraRoutes;
    private final Optional<SignIn> signIn;
    private HttpServer server;
    private Duration idleTimeout;
    private WorkerExecutor worker;
    private BuildEvents events;

    /** More routes (the GitHub webhook), added to the same router. */
    @FunctionalInterface
    public interface Routes {
        void mount(Router router, WorkerExecutor worker);
    }

    /** A server nobody signs in to: builds of private repositories are shown only to the admin token. */
    public CoordinatorServer(Coordinator coordinator, Dispatcher dispatcher, List<Routes> extraRoutes) {
        this(coordinator, dispatcher, extraRoutes, Optional.empty());
    }

    /** @param signIn how people sign in to see builds of private repositories (the GitHub integration's), if at all */
    public CoordinatorServer(
            Coordinator coordinator, Dispatcher dispatcher, List<Routes> extraRoutes, Optional<SignIn> signIn) {
        this.coordinator = coordinator;
        this.dispatcher = dispatcher;
        this.extraRoutes = extraRoutes;
        this.signIn = signIn;
        this.idleTimeout = idleTimeoutFor(coordinator.config().longPoll());
    }

    /** {@link #IDLE_TIMEOUT}, or longer when a runner's long-poll would be silent longer than it. */
    static Duration idleTimeoutFor(Duration longPoll) {
        Duration poll = longPoll.plus(IDLE_MARGIN);
        return poll.compareTo(IDLE_TIMEOUT) > 0 ? poll : IDLE_TIMEOUT;
    }

    /** Tests: a shorter idle timeout than the configured one (set before the server starts). */
    CoordinatorServer idleTimeout(Duration d) {
        this.idleTimeout = d;
        return this;
    }

    /** The port actually bound (the configured one, or the one the OS chose for port 0). */
    public int port() {
        return server.actualPort();
    }

    @Override
    public Future<?> start() {
        worker = vertx.createSharedWorkerExecutor("multiarch-work", 16);
        Replies replies = new Replies(worker);
        RunnerApi runners = new RunnerApi(vertx, coordinator, dispatcher, replies);
        Sessions sessions = new Sessions(coordinator.sessions(), coordinator.clock());
        Visibility visibility = new Visibility(signIn, sessions, coordinator.clock());
        SignInFlow login = new SignInFlow(
                signIn, sessions, visibility, replies, coordinator.config().publicUrl());
        BuildApi builds = new BuildApi(coordinator, replies, sessions, visibility);
        events = new BuildEvents(
                vertx,
                worker,
                coordinator,
                visibility,
                b -> BuildView.of(
                        b.build(), b.jobs(), b.timings(), coordinator.config().publicUrl(), b.publications()));
        Pages pages =
                new Pages(coordinator, replies, sessions, visibility, login.enabled(), events, coordinator.clock());
        Badges badges = new Badges(coordinator.queries(), replies);
        Router r = Router.router(vertx);
        // No uploads (Vert.x's default writes multipart bodies to ./file-uploads); a declared length over the limit is
        // refused before a byte is read, an undeclared one is cut at the limit.
        r.route("/api/*").handler(Requests::declaredLength);
        // What only a token opens is refused without one before its body is read: nobody unauthenticated gets the
        // server to buffer 8 MiB (registering presents its secret in the body; that one route stays open).
        for (String path :
                List.of("/api/runners/poll", "/api/jobs/*", "/api/builds/:id/cancel", "/api/builds/:id/rerun")) {
            r.post(path).handler(Requests::requireBearer);
        }
        r.post("/api/builds").handler(Requests::requireBearer);
        r.route("/api/*").handler(BodyHandler.create(false).setBodyLimit(API_BODY_LIMIT));
        r.post("/api/runners/register").handler(runners::register);
        r.post("/api/runners/poll").handler(runners::poll);
        r.get("/api/runners").handler(runners::list);
        r.post("/api/jobs/:id/heartbeat").handler(runners::heartbeat);
        r.post("/api/jobs/:id/log").handler(runners::log);
        r.post("/api/jobs/:id/complete").handler(runners::complete);
        r.post("/api/builds").handler(builds::create);
        r.get("/api/builds").handler(builds::list);
        r.get("/api/builds/:id").handler(builds::get);
        r.post("/api/builds/:id/cancel").handler(builds::cancel);
        r.post("/api/builds/:id/rerun").handler(builds::rerun);
        // The dashboard: pages, a build's live progress, badges, and the pages' one script.
        r.get("/builds").handler(pages::builds);
        r.get("/builds/:id").handler(pages::build);
        r.get("/builds/:id/events").handler(pages::buildEvents);
        r.get("/images").handler(pages::images);
        r.get("/runners").handler(pages::runners);
        r.get("/badges/:owner/:repo/platforms.svg").handler(badges::platforms);
        r.get("/badges/:owner/:repo").handler(badges::state);
        r.get("/assets/dashboard.js").handler(pages::script);
        r.get("/login").handler(login::start);
        r.get("/login/callback").handler(login::callback);
        r.get("/logout").handler(login::logout);
        r.post("/logout").handler(login::logout);
        // Prometheus (server.metrics-token); see MetricsEndpoint.
        r.get("/metrics")
                .handler(new MetricsEndpoint(
                        coordinator.metrics(), coordinator.config().metricsToken(), replies)::scrape);
        r.get("/healthz")
                .handler(ctx ->
                        ctx.response().putHeader("Content-Type", "text/plain").end("ok\n"));
        r.get("/").handler(ctx -> ctx.redirect("/builds"));
        for (Routes extra : extraRoutes) {
            extra.mount(r, worker);
        }
        r.route()
                .last()
                .handler(ctx -> ctx.fail(
                        new HttpError(404, "no such page: " + ctx.request().path())));
        r.route().failureHandler(Replies::failure);
        server = vertx.createHttpServer(new HttpServerOptions()
                        .setIdleTimeout((int) Math.min(idleTimeout.toMillis(), Integer.MAX_VALUE))
                        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS))
                .requestHandler(r);
        return server.listen(coordinator.config().port(), coordinator.config().host());
    }

    @Override
    public Future<?> stop() {
        if (events != null) {
            events.close();
        }
        return server == null ? Future.succeededFuture() : server.close().compose(v -> worker.close());
    }
}
