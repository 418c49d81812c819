package dev.multiarch.web;

import dev.multiarch.config.ServiceConfig;
import dev.multiarch.dispatch.Dispatcher;
import dev.multiarch.metrics.Metrics;
import dev.multiarch.pipeline.Coordinator;
import dev.multiarch.source.Git;
import dev.multiarch.store.JdbcStore;
import dev.multiarch.store.Store;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The coordinator, wired in the order it starts: store (migrations) → dispatcher → coordinator (registry clients per
 * tenant) →
 * HTTP server → lease reaper → retention (hourly) → resume of builds a previous process left between fan-in and
 * published.
 */
public final class CoordinatorApp implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(CoordinatorApp.class.getName());

    /** The one clock: the store, metrics, the dispatcher, the coordinator and retention all read time from it. */
    private final Clock clock;

    private final Store store;
    private final Dispatcher dispatcher;
    private final Store.Subscription wakeups;
    private final ExecutorService workers;
    private final Coordinator coordinator;
    private final Vertx vertx;
    private final CoordinatorServer server;

    /**
     * A part of the coordinator that config switches on (the GitHub integration): routes, a way to sign in, then a
     * start hook.
     */
    public interface Plugin extends AutoCloseable {
        CoordinatorServer.Routes routes(Coordinator coordinator);

        /** How people sign in to see builds of private repositories; the first plugin that offers one is used. */
        default Optional<SignIn> signIn() {
            return Optional.empty();
        }

        /** After the server listens: resume work left by a previous process. */
        default void started(Coordinator coordinator) {}

        @Override
        default void close() {}
    }

    private final List<Plugin> plugins;

    private CoordinatorApp(ServiceConfig config, List<Plugin> plugins) {
        this.plugins = plugins;
        clock = Clock.systemUTC();
        store = openStore(config, clock);
        // One registry for every meter; gauges of builds, queues and runners read the store (shared by coordinators).
        Metrics metrics = Metrics.create(clock);
        metrics.watch(store, config.longPoll().plus(config.leaseDuration()));
        dispatcher = new Dispatcher(store, config.leaseDuration(), clock);
        metrics.watchWaitingRunners(dispatcher::waitingRunners);
        // Jobs queued by another coordinator on a shared store (or a lease expiring) wake this one's runners.
        wakeups = store.onJobsQueued(dispatcher::kick);
        workers = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "multiarch-pipeline");
            t.setDaemon(true);
            return t;
        });
        coordinator = new Coordinator(
                config,
                store,
                dispatcher,
                new Git.FileReader(config.sourceCache(), config.allowLocalSources()),
                workers,
                clock,
                metrics);
        vertx = metrics.vertx();
        List<CoordinatorServer.Routes> routes = new ArrayList<>();
        plugins.forEach(p -> routes.add(p.routes(coordinator)));
        Optional<SignIn> signIn =
                plugins.stream().map(Plugin::signIn).flatMap(Optional::stream).findFirst();
        server = new CoordinatorServer(coordinator, dispatcher, routes, signIn);
    }

    /** PostgreSQL when {@code store.url} is set (several coordinators may share it), else H2 in the data directory. */
    private static Store openStore(ServiceConfig config, Clock clock) {
        return config.database()
                .map(d -> (Store) JdbcStore.postgres(d.url(), d.username(), d.password(), 10, clock))
                .orElseGet(() -> JdbcStore.embedded(config.dataDir(), clock));
    }

    /**
     * Starts everything; fails (and releases what it opened) when the port is taken or the store is locked.
     *
     * @param plugins parts switched on by the configuration (the GitHub integration)
     */
    public static CoordinatorApp start(ServiceConfig config, List<Plugin> plugins) {
        CoordinatorApp app = new CoordinatorApp(config, plugins);
        try {
            app.vertx.deployVerticle(app.server).await();
        } catch (Exception e) {
            app.close();
            throw new IllegalStateException(
                    "cannot listen on " + config.host() + ":" + config.port() + ": " + e.getMessage(), e);
        }
        app.vertx.setPeriodic(
                1000,
                t -> app.workers.execute(() -> {
                    try {
                        app.coordinator.reapLeases();
                        app.coordinator.keepFinishing();
                    } catch (RuntimeException e) {
                        LOG.log(Level.WARNING, "lease check failed", e);
                    }
                }));
        // Retention: a minute after start, then hourly. Idempotent, and on a shared PostgreSQL store one coordinator
        // at a time does it (the store's advisory lock), so every coordinator may run it.
        app.vertx.setPeriodic(
                RETENTION_FIRST.toMillis(),
                RETENTION_EVERY.toMillis(),
                t -> app.workers.execute(() -> app.purge(config.retention())));
        app.coordinator.resume();
        app.plugins.forEach(p -> p.started(app.coordinator));
        LOG.info(() -> "coordinator listening on " + config.host() + ":" + app.server.port() + " (" + config.publicUrl()
                + "), store " + config.database().map(d -> d.url()).orElse("in " + config.dataDir()));
        return app;
    }

    private static final Duration RETENTION_FIRST = Duration.ofMinutes(1);
    private static final Duration RETENTION_EVERY = Duration.ofHours(1);

    private void purge(Duration retention) {
        try {
            Store.Purged p = store.purge(clock.instant().minus(retention));
            if (p.deliveries() + p.logChunks() + p.reports() > 0) {
                LOG.info(() -> "retention (" + retention.toHours() + " h): deleted " + p.deliveries()
                        + " webhook deliveries, " + p.logChunks() + " log chunks, " + p.reports() + " check reports");
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "retention failed; trying again in an hour", e);
        }
    }

    public Coordinator coordinator() {
        return coordinator;
    }

    public int port() {
        return server.port();
    }

    @Override
    public void close() {
        try {
            vertx.close().await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.log(Level.WARNING, "stopping the HTTP server", e);
        }
        plugins.forEach(Plugin::close);
        wakeups.close();
        dispatcher.close();
        workers.shutdown();
        try {
            workers.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        coordinator.close();
        store.close();
    }
}
