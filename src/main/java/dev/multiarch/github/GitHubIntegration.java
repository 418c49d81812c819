package dev.multiarch.github;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.base.Backoff;
import dev.multiarch.base.Json;
import dev.multiarch.metrics.Metrics;
import dev.multiarch.pipeline.Coordinator;
import dev.multiarch.store.DeliveryState;
import dev.multiarch.store.Store;
import dev.multiarch.web.CoordinatorApp;
import dev.multiarch.web.CoordinatorServer;
import dev.multiarch.web.SignIn;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The GitHub integration as a coordinator plugin: {@code POST /webhook}, the event router behind it, the status
 * reporter listening to every build, and signing in with GitHub ({@link GitHubSignIn}) when the App's OAuth client is
 * configured.
 */
public final class GitHubIntegration implements CoordinatorApp.Plugin {
    private static final Logger LOG = Logger.getLogger(GitHubIntegration.class.getName());
    /** GitHub caps payloads at 25 MB ("Webhook events and payloads"). */
    static final long MAX_PAYLOAD = 25L * 1024 * 1024;

    /**
     * How many bytes of webhook bodies may be held at once, declared or being read (before the signature is checked
     * nothing about a body is trusted): past it a delivery is answered 503 with {@code Retry-After}. Generous on
     * purpose: GitHub does not redeliver a failed delivery by itself (only when someone asks, in the App's settings
     * or through the API), so this must only ever stop a flood, never real traffic: 64 MiB is two maximal deliveries
     * and thousands of ordinary ones (a few KiB each) at the same instant.
     */
    static final long BODY_BUDGET = 64L * 1024 * 1024;

    /** Bytes of webhook bodies held now; see {@link #BODY_BUDGET}. */
    private final java.util.concurrent.atomic.AtomicLong bodiesHeld = new java.util.concurrent.atomic.AtomicLong();

    private volatile long bodyBudget = BODY_BUDGET;

    private final GitHubConfig config;
    private final String publicUrl;
    private final GitHubAccess access;
    private final GitHubSignIn signIn;
    private final List<Workflow> workflows;
    /** Deliveries in arrival order per repository; repositories side by side (one slow one holds up no other). */
    private final DeliveryQueue processor = new DeliveryQueue(4);

    private final Object startGate = new Object();
    /**
     * Until {@link #started}: deliveries stored since the server began listening, held so that none is processed
     * before the deliveries an earlier process acknowledged (its journal, replayed) of the same repository; null after.
     */
    private List<Runnable> beforeStart = new java.util.ArrayList<>();
    /**
     * The deliveries this process holds (queued, being processed, to be retried) and their claims in the store: a
     * sweep does not start them a second time, and one taken over by another coordinator is not processed here.
     */
    private DeliveryLeases leases;
    /** How often deliveries nobody holds are looked for (a coordinator that acknowledged them died). */
    static final Duration SWEEP = Duration.ofSeconds(5);

    private StatusReporter reporter;
    private EventRouter router;
    private Store store;
    private WebhookIntake intake;

    /** GitHub unreachable while reading a delivery's configuration: 2 s, 4 s, … up to 5 minutes. */
    private static final Backoff UNREACHABLE = new Backoff(Duration.ofSeconds(2), Duration.ofMinutes(5));

    private final Clock clock;
    /** Every call to GitHub's API, counted once the coordinator's metrics are known ({@link #routes}). */
    private final GitHubCalls calls;

    private volatile Metrics metrics;

    public GitHubIntegration(GitHubConfig config, String publicUrl) {
        this(config, publicUrl, Clock.systemUTC());
    }

    public GitHubIntegration(GitHubConfig config, String publicUrl, Clock clock) {
        this.config = config;
        this.publicUrl = publicUrl;
        this.clock = clock;
        this.calls = new GitHubCalls(clock);
        this.access = new GitHubAccess(config, clock, calls);
        this.signIn = config.canSignIn() ? new GitHubSignIn(config, clock, calls) : null;
        this.workflows = Workflow.load(config.workflowsDir());
        LOG.info(() -> "GitHub: " + config + "; workflows "
                + workflows.stream()
                        .map(w -> w.name() + (w.enabled() ? "" : " (disabled)"))
                        .toList());
    }

    @Override
    public CoordinatorServer.Routes routes(Coordinator coordinator) {
        this.store = coordinator.store();
        this.leases = new DeliveryLeases(store, clock);
        // With the embedded store, what an earlier process journaled and did not store is stored here (processed
        // once started), before any delivery is processed or claimed.
        this.intake = WebhookIntake.of(store, journalRecords);
        if (store.journalDir().isEmpty()) {
            warnOfJournalLeft(coordinator.config().dataDir());
        }
        this.metrics = coordinator.metrics();
        calls.reportTo(metrics);
        this.router = new EventRouter(coordinator, access, workflows);
        this.reporter = new StatusReporter(store, access, publicUrl, clock).start();
        coordinator.addListener(reporter);
        coordinator.sourceCredentials(b -> {
            Origin o = Origin.of(b.trigger());
            if (o == null || o.fork()) {
                return java.util.Optional.empty();
            }
            try {
                return access.gitAuthorization(o.installation(), o.repo());
            } catch (IOException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        });
        return (r, worker) -> {
            // Three routes, in this order: Vert.x keeps a body handler off a route that has a handler before it.
            r.post("/webhook").handler(ctx -> {
                ctx.put(ARRIVED, System.nanoTime());
                screen(ctx);
            });
            r.post("/webhook").handler(BodyHandler.create(false).setBodyLimit(MAX_PAYLOAD));
            r.post("/webhook").handler(ctx -> receive(ctx, worker));
        };
    }

    /**
     * A shared store (PostgreSQL) has no journal: deliveries are committed before they are answered. A journal left in
     * the data directory was written while this coordinator used the embedded store, and may hold deliveries GitHub
     * was told were received but that never reached it (a kill between a commit and the segment's deletion leaves only
     * stored ones): said loudly, since nothing here will store them.
     */
    static void warnOfJournalLeft(Path dataDir) {
        try {
            List<Path> left = DeliveryJournal.leftIn(dataDir);
            if (!left.isEmpty()) {
                LOG.severe(() -> "the webhook journal in " + dataDir + " (" + left.size() + " file(s), "
                        + left.get(0).getFileName() + "…) may hold deliveries that were acknowledged while this"
                        + " coordinator used its embedded store and never reached it; the PostgreSQL store does not"
                        + " read it: start once with the embedded store to store them (then move), or ask GitHub to"
                        + " redeliver them (the repository's or App's webhook settings, Recent Deliveries)");
            }
        } catch (java.io.IOException e) {
            LOG.warning(() -> "could not look for a webhook journal left in " + dataDir + ": " + e.getMessage());
        }
    }

    @Override
    public Optional<SignIn> signIn() {
        return Optional.ofNullable(signIn);
    }

    @Override
    public void started(Coordinator coordinator) {
        leases.start();
        synchronized (startGate) {
            // What an earlier process acknowledged goes first; then what this one stored before it was started
            // (the server listens a moment before this), each repository's deliveries in the order they came.
            if (store.journalDir().isPresent()) {
                // The embedded store has one owner: every delivery still to be processed was left by an earlier
                // process of this coordinator, dead now, whatever its claim says. Taken at once, oldest first
                // (with what the journal's replay just stored), instead of by the sweep once the claim ran out.
                takeOver();
            }
            for (Store.Delivery d : intake.replayed()) {
                takeUp(d, clock.instant(), "acknowledged before a restart and stored from the webhook journal");
            }
            if (beforeStart != null) {
                beforeStart.forEach(Runnable::run);
                beforeStart = null;
            }
        }
        processor.submit("", this::sweep);
    }

    /**
     * Claims every delivery still {@code received} whose claim began before now (an earlier process's), in the order
     * they came, and queues each that no one here holds. Only for the embedded store: on a shared one another
     * coordinator's claim is real.
     */
    private void takeOver() {
        // At most TAKE_OVER (their payloads are held until processed); a larger backlog goes on through the sweep.
        java.time.Instant now = clock.instant();
        // Every claim made up to now ends by this; the loop's own claims end a millisecond later, so it does not take
        // them again.
        java.time.Instant began = now.plus(Store.DELIVERY_CLAIM);
        int taken = 0;
        try {
            List<Store.Delivery> due;
            do {
                due = store.claimDeliveries(leases.holder(), began, began.plusMillis(1), 100);
                for (Store.Delivery d : due) {
                    takeUp(d, now, "acknowledged before a restart and left unprocessed");
                }
                taken += due.size();
            } while (due.size() == 100 && taken < TAKE_OVER);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "taking over unprocessed deliveries failed; the sweep will find them", e);
        }
    }

    /** Queues {@code d} for processing unless this process holds it already (queued, running, to be retried). */
    private void takeUp(Store.Delivery d, java.time.Instant now, String why) {
        if (leases.hold(DeliveryLeases.key(d), now)) {
            LOG.info(() -> "processing delivery " + d.deliveryId() + " (" + d.event() + "), " + why);
            String key = repositoryOf(d.payload().getBytes(StandardCharsets.UTF_8));
            processor.submit(key, () -> process(d, key, 1));
        }
    }

    /** How many unprocessed deliveries {@link #takeOver} takes at start: about 7 MB of GitHub's push payloads. */
    static final int TAKE_OVER = 1000;

    /** Deliveries stored before {@link #started} was called (tests). */
    int waitingForStart() {
        synchronized (startGate) {
            return beforeStart == null ? 0 : beforeStart.size();
        }
    }

    /**
     * Processes the deliveries that were acknowledged but that nobody holds any more: left by a previous process of
     * this coordinator or by another coordinator on the shared store that died before it was done with them (its
     * claim ran out, {@link Store#DELIVERY_CLAIM}). Claiming one is a guarded update, so each is taken by one
     * coordinator; then every {@link #SWEEP}.
     */
    private void sweep() {
        try {
            java.time.Instant now = clock.instant();
            for (Store.Delivery d : store.claimDeliveries(leases.holder(), now, now.plus(Store.DELIVERY_CLAIM), 100)) {
                takeUp(d, now, "acknowledged before and left unprocessed (a restart, or a coordinator that stopped)");
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "looking for unprocessed deliveries failed", e);
        }
        try {
            processor.later("", SWEEP, this::sweep);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    /**
     * What can be refused before a byte of the body is read: the wrong content type, no signature, a declared length
     * over the limit. A chunked body with no length is still cut at the limit by the body handler.
     */
    private void screen(RoutingContext ctx) {
        String type = ctx.request().getHeader("Content-Type");
        if (type == null || !type.toLowerCase().startsWith("application/json")) {
            reply(ctx, 415, "the webhook's content type must be application/json (got " + type + ")");
            return;
        }
        if (ctx.request().getHeader("X-Hub-Signature-256") == null) {
            reply(ctx, 401, "missing X-Hub-Signature-256");
            return;
        }
        String length = ctx.request().getHeader("Content-Length");
        if (length != null) {
            long declared;
            try {
                declared = Long.parseLong(length.trim());
            } catch (NumberFormatException e) {
                reply(ctx, 400, "Content-Length is not a number");
                return;
            }
            if (declared < 0) {
                reply(ctx, 400, "Content-Length is negative");
                return;
            }
            if (declared > MAX_PAYLOAD) {
                reply(ctx, 413, "the delivery is over " + MAX_PAYLOAD / (1024 * 1024) + " MB");
                return;
            }
        }
        // A body of unknown length (chunked) may grow to the limit: it counts as that much.
        long held = length == null ? MAX_PAYLOAD : Long.parseLong(length.trim());
        if (!reserve(held)) {
            ctx.response().putHeader("Retry-After", "5");
            reply(ctx, 503, "too many webhook deliveries are being received at once; try again shortly");
            return;
        }
        Held h = new Held(held);
        ctx.put(HELD, h);
        // A new delivery keeps its bytes of the budget until it is stored (with the journal, that is after the
        // answer: its payload stays in memory until its group is committed); any other request gives them back
        // when answered.
        ctx.addEndHandler(ar -> {
            if (!h.keptUntilStored) {
                h.release();
            }
        });
        ctx.next();
    }

    private static final String HELD = "multiarch.webhook.held";

    /** Bytes of the body budget one request took; given back once. */
    private final class Held {
        private final long bytes;
        private final java.util.concurrent.atomic.AtomicBoolean released =
                new java.util.concurrent.atomic.AtomicBoolean();
        /** Set before the intake may store the delivery: then {@link #stored} gives the bytes back. */
        volatile boolean keptUntilStored;

        Held(long bytes) {
            this.bytes = bytes;
        }

        void release() {
            if (released.compareAndSet(false, true)) {
                bodiesHeld.addAndGet(-bytes);
            }
        }
    }

    /** Takes {@code bytes} of the body budget, if that many are left. */
    private boolean reserve(long bytes) {
        while (true) {
            long now = bodiesHeld.get();
            if (now + bytes > bodyBudget) {
                return false;
            }
            if (bodiesHeld.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    /** Tests: a smaller budget than {@link #BODY_BUDGET}. */
    GitHubIntegration bodyBudget(long bytes) {
        this.bodyBudget = bytes;
        return this;
    }

    private int journalRecords = DeliveryJournal.MAX_RECORDS;

    /** Tests: fewer deliveries than {@link DeliveryJournal#MAX_RECORDS} waiting in the journal; before routes(). */
    GitHubIntegration journalRecords(int records) {
        this.journalRecords = records;
        return this;
    }

    /** Bytes of webhook bodies held now (tests). */
    long bodiesHeld() {
        return bodiesHeld.get();
    }

    private void receive(RoutingContext ctx, io.vertx.core.WorkerExecutor worker) {
        String event = ctx.request().getHeader("X-GitHub-Event");
        String delivery = ctx.request().getHeader("X-GitHub-Delivery");
        String hook = ctx.request().getHeader("X-GitHub-Hook-ID");
        String signature = ctx.request().getHeader("X-Hub-Signature-256");
        byte[] body =
                ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes();
        Held held = ctx.get(HELD);
        worker.executeBlocking(
                        () -> {
                            if (signature == null) {
                                return Screened.refused(401, "missing X-Hub-Signature-256");
                            }
                            if (!WebhookSignature.valid(signature, body, config.webhookSecrets())) {
                                return Screened.refused(
                                        403, "X-Hub-Signature-256 does not match any configured webhook secret");
                            }
                            if (event == null || delivery == null) {
                                return Screened.refused(400, "missing X-GitHub-Event or X-GitHub-Delivery");
                            }
                            // The signature covers the body only: the headers are whatever the sender chose, and a
                            // value the store cannot hold must be refused before it is journaled or acknowledged.
                            String bad = badHeaders(hook, delivery, event);
                            if (bad != null) {
                                return Screened.refused(400, bad);
                            }
                            return new Screened(
                                    null,
                                    repositoryOf(body),
                                    new Store.Delivery(
                                            hook == null ? "-" : hook,
                                            delivery,
                                            event,
                                            new String(body, StandardCharsets.UTF_8),
                                            clock.instant(),
                                            DeliveryState.RECEIVED,
                                            null));
                        },
                        false)
                .compose(s -> s.refused() != null
                        ? Future.succeededFuture(s.refused())
                        : Future.fromCompletionStage(
                                        intake.add(s.delivery(), keep(held, () -> stored(s.delivery(), s.key()))),
                                        ctx.vertx().getOrCreateContext())
                                .map(added -> {
                                    if (!added && held != null) {
                                        held.release(); // a redelivery: nothing to store
                                    }
                                    return accepted(s, added);
                                }))
                .onComplete(ar -> {
                    if (ar.failed() && held != null) {
                        held.release(); // not stored: refused (full, stopping) or the store failed
                    }
                    if (ar.failed() && full(ar.cause())) {
                        ctx.response().putHeader("Retry-After", "5");
                        reply(ctx, 503, ar.cause().getMessage());
                    } else if (ar.failed()) {
                        LOG.log(Level.WARNING, "storing a webhook delivery failed", ar.cause());
                        reply(ctx, 500, "the delivery could not be stored; GitHub may redeliver it");
                    } else {
                        reply(ctx, ar.result().status(), ar.result().message());
                    }
                });
    }

    /** {@code whenStored} that first gives the request's bytes of the body budget back. */
    private static Runnable keep(Held held, Runnable whenStored) {
        if (held == null) {
            return whenStored;
        }
        held.keptUntilStored = true;
        return () -> {
            held.release();
            whenStored.run();
        };
    }

    private static final java.util.regex.Pattern HOOK_ID = java.util.regex.Pattern.compile("[0-9]{1,64}");
    private static final java.util.regex.Pattern DELIVERY_ID =
            java.util.regex.Pattern.compile("[A-Za-z0-9._:-]{1,100}");
    private static final java.util.regex.Pattern EVENT = java.util.regex.Pattern.compile("[a-z_]{1,100}");

    /**
     * Why the delivery's headers cannot be stored, or null: GitHub sends a numeric hook id, a GUID as delivery id and
     * a lowercase event name; the store's columns hold 64, 100 and 100 characters.
     */
    static String badHeaders(String hook, String delivery, String event) {
        if (hook != null && !HOOK_ID.matcher(hook).matches()) {
            return "X-GitHub-Hook-ID must be a number of at most 64 digits";
        }
        if (!DELIVERY_ID.matcher(delivery).matches()) {
            return "X-GitHub-Delivery must be at most 100 letters, digits, '.', '_', ':' or '-'";
        }
        if (!EVENT.matcher(event).matches()) {
            return "X-GitHub-Event must be at most 100 lowercase letters or '_'";
        }
        return null;
    }

    /**
     * A delivery whose signature and headers were checked (on a worker: the body may be 25 MB): refused with an
     * answer, or to be stored, with the repository that orders its processing.
     */
    private record Screened(Reply refused, String key, Store.Delivery delivery) {
        static Screened refused(int status, String message) {
            return new Screened(new Reply(status, message), null, null);
        }
    }

    /**
     * The answer once the intake took a delivery (journaled, or committed: {@link WebhookIntake#add}) or found it
     * received before. Processing starts apart from it, once the delivery is committed ({@link #stored}).
     */
    private Reply accepted(Screened s, boolean added) {
        Store.Delivery d = s.delivery();
        if (!added) {
            return new Reply(200, "delivery " + d.deliveryId() + " was received before; not processed again");
        }
        return new Reply(202, "accepted " + d.event() + " delivery " + d.deliveryId());
    }

    /** A new delivery committed to the store: queued for processing (it needs its row: claims, leases, marks). */
    private void stored(Store.Delivery d, String key) {
        // Held from its commit (which claimed it for Store.DELIVERY_CLAIM); the moment is taken a little later.
        leases.hold(DeliveryLeases.key(d), clock.instant());
        synchronized (startGate) {
            if (beforeStart != null) {
                beforeStart.add(() -> processor.submit(key, () -> process(d, key, 1)));
                return;
            }
        }
        processor.submit(key, () -> process(d, key, 1));
    }

    /** Whether a failure is the intake's refusal for want of room ({@link WebhookIntake.Full}). */
    private static boolean full(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof WebhookIntake.Full) {
                return true;
            }
        }
        return false;
    }

    private record Reply(int status, String message) {}

    /** Where the request's arrival time is kept, for the acknowledgement latency. */
    private static final String ARRIVED = "multiarch.webhook.arrived";

    /** Every answer to {@code /webhook}: counted by event and status, with the time since it arrived. */
    private void reply(RoutingContext ctx, int status, String message) {
        Metrics m = metrics;
        Long arrived = ctx.get(ARRIVED);
        if (m != null && arrived != null && !ctx.response().ended()) {
            m.webhookAnswered(
                    ctx.request().getHeader("X-GitHub-Event"), status, Duration.ofNanos(System.nanoTime() - arrived));
        }
        if (!ctx.response().ended()) {
            if (status >= 400) {
                // A refusal reads as every other one of this server does (web.Replies): {"error": "…"}.
                ctx.response()
                        .setStatusCode(status)
                        .putHeader("Content-Type", "application/json")
                        .end(Json.writeString(java.util.Map.of("error", message)));
            } else {
                ctx.response()
                        .setStatusCode(status)
                        .putHeader("Content-Type", "text/plain; charset=utf-8")
                        .end(message + "\n");
            }
        }
    }

    /** GitHub unreachable while reading a delivery's configuration: try again, up to this many times. */
    static final int MAX_TRIES = 8;

    /**
     * The repository a delivery is about ({@code owner/name}), which orders its processing; "" when none. Read before
     * the acknowledgement, so only as far as {@code repository.full_name} and without building a tree: GitHub sends
     * {@code repository} before the large parts of a payload (a push's {@code commits}), and a whole tree of a 7 KB
     * push was a tenth of what the intake allocated (bench/webhook-load).
     */
    static String repositoryOf(byte[] payload) {
        try (JsonParser p = Json.MAPPER.getFactory().createParser(payload)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return "";
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (field.equals("repository") && value == JsonToken.START_OBJECT) {
                    return fullName(p);
                }
                p.skipChildren();
            }
            return "";
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /** {@code full_name} of the object {@code p} has just entered, lower case; "" when it has none. */
    private static String fullName(JsonParser p) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            if (field.equals("full_name") && value.isScalarValue() && value != JsonToken.VALUE_NULL) {
                return p.getText().toLowerCase();
            }
            p.skipChildren();
        }
        return "";
    }

    private void process(Store.Delivery d, String key, int attempt) {
        Store.DeliveryKey held = DeliveryLeases.key(d);
        if (!leases.mayProcess(held)) {
            LOG.info(() -> "delivery " + d.deliveryId() + " (" + d.event() + "): not processed here, another "
                    + "coordinator took it over (this one held it past its claim)");
            return;
        }
        DeliveryState state;
        String note;
        try {
            JsonNode payload = Json.MAPPER.readTree(d.payload());
            note = router.route(d.event(), payload, d.deliveryId());
            state = note.startsWith("ignored") ? DeliveryState.IGNORED : DeliveryState.PROCESSED;
        } catch (IOException e) {
            if (e instanceof GitHubAccess.ApiError a && a.noSuchInstallation()) {
                state = DeliveryState.IGNORED;
                note = "ignored: " + e.getMessage() + " (this App is not installed there: uninstalled since, or the "
                        + "delivery is another App's)";
            } else if (attempt < MAX_TRIES) {
                long millis = UNREACHABLE.delay(attempt - 1).toMillis();
                LOG.warning(() -> "delivery " + d.deliveryId() + " (" + d.event() + "): " + e.getMessage()
                        + "; trying again in " + millis + " ms");
                store.markDelivery(
                        d.hookId(),
                        d.deliveryId(),
                        DeliveryState.RECEIVED,
                        "attempt " + attempt + ": " + e.getMessage());
                store.holdDelivery(
                        d.hookId(),
                        d.deliveryId(),
                        clock.instant().plusMillis(millis).plus(Store.DELIVERY_CLAIM));
                processor.later(key, Duration.ofMillis(millis), () -> process(d, key, attempt + 1));
                return;
            } else {
                state = DeliveryState.FAILED;
                note = "gave up after " + attempt + " attempts: " + e.getMessage();
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "delivery " + d.deliveryId() + " (" + d.event() + ") failed", e);
            state = DeliveryState.FAILED;
            note = e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        DeliveryState s = state;
        String n = note;
        LOG.info(() -> "delivery " + d.deliveryId() + " (" + d.event() + "): " + n);
        // With the next batch of the intake (the delivery stays held by this coordinator until long after).
        intake.mark(d.hookId(), d.deliveryId(), s, n);
        leases.release(held);
    }

    @Override
    public void close() {
        if (intake != null) {
            intake.close();
        }
        processor.close();
        if (leases != null) {
            leases.close();
        }
        if (reporter != null) {
            reporter.close();
        }
        access.close();
        if (signIn != null) {
            signIn.close();
        }
    }
}
