package dev.multiarch.metrics;

import dev.multiarch.platform.Platform;
import dev.multiarch.registry.RegistryClient;
import dev.multiarch.store.BuildState;
import dev.multiarch.store.Store;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The coordinator's meters, in one Micrometer registry made at wiring time and handed to the stages that count; {@link
 * #scrape()} is what {@code GET /metrics} answers. Every label value is from a small closed set (see {@link Labels}):
 * no repository, ref, tag, path or message ever becomes a label, so a scrape says nothing about private repositories
 * and the number of series stays bounded whatever webhooks and {@code .multiarch.yaml} files say.
 *
 * <p>What is counted here counts what this process saw (webhooks it answered, jobs whose results it took); what is
 * read from the store (builds by state, queued jobs, runners) is the same on every coordinator sharing a PostgreSQL
 * database, read at most once per {@link #CENSUS_MAX_AGE} however often it is scraped.
 */
public final class Metrics {
    private static final Logger LOG = Logger.getLogger(Metrics.class.getName());

    /** How long a read of the store's counts is reused: a scrape every second costs one read per five. */
    public static final Duration CENSUS_MAX_AGE = Duration.ofSeconds(5);

    /**
     * A second guard after {@link Labels}: at most this many values of a platform, status or code label; meters that
     * would add more are dropped.
     */
    static final int MAX_TAG_VALUES = 300;

    private static final Duration[] JOB_BUCKETS = seconds(10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200);
    private static final Duration[] STEP_BUCKETS = seconds(0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600);
    private static final Duration[] ACK_BUCKETS = seconds(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10);

    private final PrometheusMeterRegistry registry;
    private final Clock clock;
    private final Map<String, RateLimitGauge> rateLimits = new ConcurrentHashMap<>();

    private volatile Reading census;

    private Metrics(Clock clock) {
        this.clock = clock;
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // Three of Micrometer's JVM meters break Prometheus' naming rules (promtool check metrics: "ms"/"ns" in a name,
        // a gauge ending in _count); what they say is in the other jvm_ and process_ meters.
        for (String name : List.of("jvm.compilation.time", "process.cpu.time", "system.cpu.count")) {
            registry.config().meterFilter(MeterFilter.deny(id -> id.getName().equals(name)));
        }
        for (String key : List.of("platform", "status", "code")) {
            registry.config()
                    .meterFilter(
                            MeterFilter.maximumAllowableTags("multiarch.", key, MAX_TAG_VALUES, MeterFilter.deny()));
        }
    }

    public static Metrics create() {
        return new Metrics(Clock.systemUTC());
    }

    public static Metrics create(Clock clock) {
        return new Metrics(clock);
    }

    /**
     * A Vert.x whose HTTP server and worker pools are measured into this registry ({@code vertx_http_server_*},
     * {@code vertx_pool_*}), plus the JVM's memory, threads and GC. HTTP meters are labelled by route template and
     * status only: never the path (it names builds and repositories) nor the method (any token a client sends).
     */
    public Vertx vertx() {
        MicrometerMetricsOptions options = new MicrometerMetricsOptions()
                .setEnabled(true)
                .setJvmMetricsEnabled(true)
                .setLabels(EnumSet.of(Label.HTTP_ROUTE, Label.HTTP_CODE, Label.POOL_TYPE, Label.POOL_NAME));
        for (MetricsDomain off : List.of(
                MetricsDomain.NET_SERVER,
                MetricsDomain.NET_CLIENT,
                MetricsDomain.HTTP_CLIENT,
                MetricsDomain.DATAGRAM_SOCKET,
                MetricsDomain.EVENT_BUS,
                MetricsDomain.VERTICLES)) {
            options.addDisabledMetricsCategory(off);
        }
        return Vertx.builder()
                .with(new VertxOptions().setMetricsOptions(options))
                .withMetrics(NullSafeServerMetrics.around(new MicrometerMetricsFactory(registry)))
                .build();
    }

    // ---- read from the store ------------------------------------------------------------------------------------

    /** One read of the store's counts, and when it was made. */
    private static final class Reading {
        final Instant at;
        final Store.Census counts;

        Reading(Instant at, Store.Census counts) {
            this.at = at;
            this.counts = counts;
        }
    }

    private Store store;
    private Duration runnersSeenWithin;
    private MultiGauge queued;
    /**
     * Every platform a queue held since start or a connected runner builds, so that an empty queue reads 0 instead of
     * vanishing.
     */
    private final Set<String> queuedPlatforms = new TreeSet<>();

    /**
     * Builds by state, queued jobs by platform and runners from {@code store}: read when scraped, at most once per
     * {@link #CENSUS_MAX_AGE}.
     *
     * @param runnersSeenWithin a runner that called in within this long counts as connected (a poll, a heartbeat)
     */
    public synchronized void watch(Store store, Duration runnersSeenWithin) {
        if (this.store != null) {
            throw new IllegalStateException("already watching a store");
        }
        this.store = store;
        this.runnersSeenWithin = runnersSeenWithin;
        for (BuildState s : BuildState.values()) {
            Gauge.builder("multiarch.builds", this, m -> m.count(c -> c.builds().getOrDefault(s, 0L)))
                    .description("Builds in the store by state (the same on every coordinator sharing the database)")
                    .tag("state", s.word())
                    .register(registry);
        }
        queued = MultiGauge.builder("multiarch.jobs.queued")
                .description("Jobs waiting for a runner, by platform (read from the store)")
                .register(registry);
        Gauge.builder("multiarch.runners.connected", this, m -> m.count(Store.Census::runnersSeen))
                .description("Runners that called in (poll, heartbeat, log) within the last "
                        + runnersSeenWithin.toSeconds() + " s")
                .register(registry);
        Gauge.builder("multiarch.runners.busy", this, m -> m.count(Store.Census::runnersBusy))
                .description("Runners holding a running job")
                .register(registry);
    }

    /**
     * The runners waiting in this coordinator's long polls ({@code multiarch_runners_waiting}): idle capacity, per
     * coordinator (each counts its own).
     */
    public void watchWaitingRunners(java.util.function.IntSupplier waiting) {
        Gauge.builder("multiarch.runners.waiting", waiting, w -> w.getAsInt())
                .description("Runners waiting for a job in this coordinator's long polls")
                // A method reference nothing else holds: Micrometer keeps only a weak one unless told.
                .strongReference(true)
                .register(registry);
    }

    private double count(ToDoubleFunction<Store.Census> f) {
        Reading c = census;
        return c == null ? Double.NaN : f.applyAsDouble(c.counts);
    }

    /** Reads the store again when the last read is older than {@link #CENSUS_MAX_AGE}. Blocking (JDBC). */
    private synchronized void refresh() {
        if (store == null) {
            return;
        }
        Instant now = clock.instant();
        Reading c = census;
        if (c != null && c.at.plus(CENSUS_MAX_AGE).isAfter(now)) {
            return;
        }
        try {
            Store.Census counts = store.census(now.minus(runnersSeenWithin));
            census = new Reading(now, counts);
            Map<String, Long> byPlatform = new java.util.TreeMap<>();
            counts.queuedJobs().forEach((p, n) -> byPlatform.merge(Labels.platform(p), n, Long::sum));
            queuedPlatforms.addAll(byPlatform.keySet());
            // What connected runners build shows too, at 0, so that a queue that never filled still has a series.
            counts.runnerPlatforms().forEach(p -> queuedPlatforms.add(Labels.platform(p)));
            List<MultiGauge.Row<?>> rows = new ArrayList<>();
            for (String p : queuedPlatforms) {
                long n = byPlatform.getOrDefault(p, 0L);
                rows.add(MultiGauge.Row.of(Tags.of("platform", p), n));
            }
            queued.register(rows, true);
        } catch (RuntimeException e) {
            // The last numbers stay (or none, at start); the next scrape tries again.
            LOG.log(Level.WARNING, "metrics: cannot read the store's counts", e);
        }
    }

    /** The Prometheus text exposition (format 0.0.4) of every meter. Blocking: may read the store. */
    public String scrape() {
        refresh();
        return registry.scrape();
    }

    /** The content type of {@link #scrape()}'s text. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    // ---- counted where it happens -------------------------------------------------------------------------------

    /**
     * A job's result was recorded: its time from claim to result, by platform and whether the runner built it
     * natively or through QEMU.
     */
    public void jobFinished(Platform platform, boolean emulated, boolean succeeded, Duration took) {
        Timer.builder("multiarch.job.duration")
                .description("Jobs from claim to reported result, by platform, native or QEMU, and outcome")
                .tags(
                        "platform",
                        Labels.platform(platform),
                        "emulation",
                        emulated ? "qemu" : "native",
                        "outcome",
                        succeeded ? "succeeded" : "failed")
                .serviceLevelObjectives(JOB_BUCKETS)
                .register(registry)
                .record(took);
    }

    /** One step of a job as its runner timed it (fetch, build, push…); unknown step names are counted as other. */
    public void jobStep(String step, boolean emulated, Duration took) {
        Timer.builder("multiarch.job.step")
                .description("Where a job's time went on its runner, by step, native or QEMU (reported by runners)")
                .tags("step", Labels.step(step), "emulation", emulated ? "qemu" : "native")
                .serviceLevelObjectives(STEP_BUCKETS)
                .register(registry)
                .record(took);
    }

    /**
     * The coordinator answered a webhook delivery.
     *
     * @param event the {@code X-GitHub-Event} header as sent (any text: only known event names become labels)
     * @param took  from the request's arrival to the answer
     */
    public void webhookAnswered(String event, int status, Duration took) {
        Counter.builder("multiarch.webhook.deliveries")
                .description("Webhook deliveries by event and the status answered")
                .tags("event", Labels.event(event), "status", Labels.status(status))
                .register(registry)
                .increment();
        Timer.builder("multiarch.webhook.ack")
                .description("Time from a webhook's arrival to its answer (GitHub gives up after 10 s)")
                .serviceLevelObjectives(ACK_BUCKETS)
                .register(registry)
                .record(took);
    }

    /**
     * A call to GitHub's API was answered (or failed without an answer: {@code status} 0).
     *
     * @param path the request's path, reduced to one of a few resource names; never a label itself
     */
    public void githubCall(String path, int status) {
        Counter.builder("multiarch.github.api.calls")
                .description("Calls to GitHub's API by resource and status (0: no answer)")
                .tags("resource", Labels.githubResource(path), "status", Labels.status(status))
                .register(registry)
                .increment();
    }

    /**
     * What GitHub said remains of a rate limit ({@code X-RateLimit-Remaining}) for one identity of a kind.
     *
     * @param client   {@code app} (the App's JWT), {@code installation} or {@code token}
     * @param identity which one of that kind (an installation id); kept in memory, never a label
     * @param reset    when that limit resets ({@code X-RateLimit-Reset}); its value is forgotten then
     */
    public void githubRateLimit(String client, String identity, long remaining, Instant reset) {
        String kind = Labels.githubClient(client);
        rateLimits
                .computeIfAbsent(kind, k -> {
                    RateLimitGauge g = new RateLimitGauge(clock);
                    Gauge.builder("multiarch.github.rate.limit.remaining", g, RateLimitGauge::lowest)
                            .description("The lowest X-RateLimit-Remaining GitHub reported, among the identities"
                                    + " of a kind whose limit has not reset yet")
                            .tag("client", k)
                            .register(registry);
                    return g;
                })
                .seen(identity, remaining, reset);
    }

    /** Counts failed registry operations by the registry's error code; for {@link RegistryClient.Builder}. */
    public RegistryClient.FailureListener registryFailures() {
        return e -> Counter.builder("multiarch.registry.errors")
                .description("Failed registry operations by the registry's error code (distribution-spec codes,"
                        + " HTTP_4xx/5xx, TIMEOUT, UNREACHABLE, TLS_FAILED; other)")
                .tag("code", Labels.registryCode(e.code(), e.httpStatus()))
                .register(registry)
                .increment();
    }

    private static Duration[] seconds(double... s) {
        Duration[] out = new Duration[s.length];
        for (int i = 0; i < s.length; i++) {
            out[i] = Duration.ofNanos((long) (s[i] * 1e9));
        }
        return out;
    }
}
