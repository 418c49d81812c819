package dev.multiarch.pipeline;

import dev.multiarch.access.AccessPolicy;
import dev.multiarch.access.Registries;
import dev.multiarch.base.Json;
import dev.multiarch.config.RepoConfig;
import dev.multiarch.config.ServiceConfig;
import dev.multiarch.dispatch.Dispatcher;
import dev.multiarch.dispatch.Protocol;
import dev.multiarch.metrics.Metrics;
import dev.multiarch.platform.Platform;
import dev.multiarch.publish.PublishException;
import dev.multiarch.publish.SigningKey;
import dev.multiarch.publish.Verifier;
import dev.multiarch.registry.Credentials;
import dev.multiarch.registry.Digest;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.registry.RegistryException;
import dev.multiarch.source.Git;
import dev.multiarch.store.BuildRecord;
import dev.multiarch.store.BuildState;
import dev.multiarch.store.JobRecord;
import dev.multiarch.store.JobResult;
import dev.multiarch.store.JobState;
import dev.multiarch.store.NewBuild;
import dev.multiarch.store.RunnerRecord;
import dev.multiarch.store.Store;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The build engine. Blocking methods: call them from worker threads. State lives in the {@link Store}; this class
 * keeps none that a restart would lose, and {@link #resume()} picks up whatever was between fan-in and published.
 */
public final class Coordinator {
    private static final Logger LOG = Logger.getLogger(Coordinator.class.getName());
    private static final SecureRandom RANDOM = new SecureRandom();

    private final ServiceConfig config;
    private final Clock clock;
    private final Store store;
    private final Dispatcher dispatcher;
    private final Git.FileReader sources;
    private final Registries registries;
    private final ExecutorService workers;
    private final BuildPublisher publisher;
    private final AccessPolicy policy;
    private final BuildQueries queries;
    private final Verifications verifications;
    private final Metrics metrics;
    private final List<BuildListener> listeners = new CopyOnWriteArrayList<>();
    /** This process, as the holder of the builds it verifies and publishes ({@link Store#leaseFinish}). */
    private final String instance = UUID.randomUUID().toString();
    /** The builds this process is finishing or about to: their leases are renewed, and none is started twice. */
    private final java.util.Set<Long> finishing = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /**
     * How long a build's finishing is held without renewal (renewed every second): another coordinator takes over a
     * killed one's builds this long after it died.
     */
    static final java.time.Duration FINISH_LEASE = java.time.Duration.ofSeconds(15);

    private volatile java.util.function.Function<BuildRecord, Optional<String>> sourceAuth = b -> Optional.empty();

    public Coordinator(
            ServiceConfig config, Store store, Dispatcher dispatcher, Git.FileReader sources, ExecutorService workers) {
        this(config, store, dispatcher, sources, workers, Clock.systemUTC());
    }

    public Coordinator(
            ServiceConfig config,
            Store store,
            Dispatcher dispatcher,
            Git.FileReader sources,
            ExecutorService workers,
            Clock clock) {
        this(config, store, dispatcher, sources, workers, clock, Metrics.create(clock));
    }

    /** @param metrics where jobs, registry errors and (through {@link #metrics()}) the other stages are counted */
    public Coordinator(
            ServiceConfig config,
            Store store,
            Dispatcher dispatcher,
            Git.FileReader sources,
            ExecutorService workers,
            Clock clock,
            Metrics metrics) {
        this.clock = clock;
        this.metrics = metrics;
        this.config = config;
        this.store = store;
        this.dispatcher = dispatcher;
        this.sources = sources;
        this.registries = new Registries(config, metrics.registryFailures());
        this.workers = workers;
        this.publisher = new BuildPublisher(
                store, config.signing().map(s -> SigningKey.load(s.keyFile(), s.passwordChars())), config.publicUrl());
        this.policy = AccessPolicy.of(config);
        this.queries = new BuildQueries(store);
        this.verifications = new Verifications(store, registries, policy, config.logLimit(), 4);
        dispatcher.onClaimed(job -> {
            workers.execute(() -> notify(job.buildId()));
        });
    }

    /** Closes the registry clients this coordinator opened, the publisher's threads, and stops verifying. */
    public void close() {
        verifications.close();
        publisher.close();
        registries.close();
    }

    public Store store() {
        return store;
    }

    /** The clock everything here runs on; the web layer's sessions and pages use the same one. */
    public Clock clock() {
        return clock;
    }

    /** Sign-ins and sessions, for the web layer (which does not reach into the store). */
    public dev.multiarch.store.SessionStore sessions() {
        return store.sessions();
    }

    public ServiceConfig config() {
        return config;
    }

    /** The coordinator's meters: the HTTP server and the GitHub integration count into them too. */
    public Metrics metrics() {
        return metrics;
    }

    /** Reading builds, jobs, logs and runners (the pages and the API). */
    public BuildQueries queries() {
        return queries;
    }

    /**
     * Where jobs get credentials to fetch their source (the GitHub integration: installation tokens). The provider
     * decides trust: it must answer empty for untrusted builds (pull requests from forks).
     */
    public void sourceCredentials(java.util.function.Function<BuildRecord, Optional<String>> provider) {
        this.sourceAuth = provider;
    }

    public void addListener(BuildListener l) {
        listeners.add(l);
    }

    /** Stops telling {@code l} (a server that stopped and its live pages). */
    public void removeListener(BuildListener l) {
        listeners.remove(l);
    }

    /** Reads {@code .multiarch.yaml} at the trigger's commit and creates its builds (failed ones when it is invalid). */
    public List<BuildRecord> trigger(Trigger t) {
        String text;
        try {
            text = sources.read(t.cloneUrl(), t.commit(), RepoConfig.FILE).orElse(null);
        } catch (Git.GitException e) {
            BuildRecord b = store.createBuild(Planner.failed(t, "cannot read the source: " + e.getMessage()));
            notify(b.id());
            return List.of(b);
        }
        return create(t, text);
    }

    /** Creates the builds for a trigger whose configuration text the caller already has (GitHub's contents API). */
    /**
     * Whether the {@code repositories:} rules let {@code repository} build at all: asked before anything is fetched
     * for it (a repository token minted, its {@code .multiarch.yaml} read), so a repository no rule covers costs
     * nothing but its failed check.
     */
    public boolean mayBuild(String repository) {
        return policy.mayBuild(repository) instanceof AccessPolicy.Decision.Allowed;
    }

    public List<BuildRecord> create(Trigger t, String configText) {
        List<BuildRecord> out = new ArrayList<>();
        for (NewBuild nb : Planner.plan(t, configText, policy)) {
            BuildRecord b = store.createBuild(nb);
            out.add(b);
            LOG.info(() -> "build " + b.id() + " " + b.repo() + " " + b.ref() + " " + Planner.shortSha(b.commit())
                    + (b.state() == BuildState.FAILED ? " failed: " + b.error() : " queued"));
            notify(b.id());
        }
        dispatcher.kick();
        return out;
    }

    /**
     * Registers a runner. The token is answered once and only its SHA-256 is stored, so a copy of the store does not
     * let anyone act as a runner.
     *
     * @param name shown on pages; the id when null
     */
    public Protocol.Registered registerRunner(
            String name, List<Platform> nativePlatforms, List<Platform> qemuPlatforms, boolean untrustedJobs) {
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        String token = HexFormat.of().formatHex(raw);
        String id = "runner-" + UUID.randomUUID().toString().substring(0, 8);
        Instant now = clock.instant();
        String nat = shortForms(nativePlatforms);
        String qemu = shortForms(qemuPlatforms);
        store.addRunner(new RunnerRecord(
                id,
                name == null ? id : name,
                sha256(token),
                List.copyOf(nativePlatforms),
                List.copyOf(qemuPlatforms),
                now,
                now,
                untrustedJobs));
        LOG.info(() -> "registered " + id + " (" + name + "): native " + nat + "; qemu " + qemu
                + (untrustedJobs ? "; untrusted jobs only" : ""));
        return new Protocol.Registered(id, token);
    }

    /**
     * The runner a token was given to, marked as seen now (at most every {@link #SEEN_EVERY}: a runner long-polling
     * and streaming logs calls this many times a second, and a write each time was a third of the store's work under
     * bench/claim-load); empty for a token nobody was given.
     */
    public Optional<RunnerRecord> authenticateRunner(String token) {
        Optional<RunnerRecord> r = store.runnerByTokenHash(sha256(token));
        Instant now = clock.instant();
        r.filter(x -> x.lastSeen() == null || !x.lastSeen().plus(SEEN_EVERY).isAfter(now))
                .ifPresent(x -> store.touchRunner(x.id(), now));
        return r;
    }

    /** How stale a runner's {@code last_seen} may get while it is talking to us (pages show it in seconds). */
    static final Duration SEEN_EVERY = Duration.ofSeconds(5);

    private static String shortForms(List<Platform> ps) {
        return String.join(",", ps.stream().map(Platform::shortForm).toList());
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * What a runner needs for a claimed job: push credentials only when the build publishes, for its image's registry
     * only, and only what this repository's rule lets it use; nothing of the kind for an untrusted build, whatever it
     * asked for and whatever the providers say.
     */
    public Protocol.Assignment assignment(JobRecord job) {
        BuildRecord b = store.build(job.buildId()).orElseThrow();
        BuildSpec spec = BuildSpec.fromJson(b.spec());
        Protocol.PushCredentials push = null;
        if (b.push() && !b.untrusted()) {
            Registries.Grant g = registries.grant(b.image(), policy.ruleFor(b.repo()));
            push = new Protocol.PushCredentials(
                    g.registry(),
                    g.insecure(),
                    g.credentials().map(Credentials::username).orElse(null),
                    g.credentials().map(Credentials::password).orElse(null),
                    g.credentials()
                            .filter(Credentials::hasIdentityToken)
                            .map(Credentials::identityToken)
                            .orElse(null));
        }
        long heartbeat = Math.max(1, config.leaseDuration().toSeconds() / 3);
        String auth = null;
        if (!b.untrusted()) {
            try {
                auth = sourceAuth.apply(b).orElse(null);
            } catch (RuntimeException e) {
                LOG.warning(() -> "no source credentials for build " + b.id() + ": " + e.getMessage());
            }
        }
        return Protocol.Assignment.builder()
                .jobId(job.id())
                .buildId(b.id())
                .attempt(job.attempt())
                .platform(job.platform().shortForm())
                .cloneUrl(b.cloneUrl())
                .commit(b.commit())
                .dockerfile(spec.dockerfile())
                .context(spec.context())
                .buildArgs(spec.buildArgs())
                .image(b.image().toString())
                .format(spec.format().equals("docker") ? "docker" : "oci")
                .push(push)
                .sourceAuth(auth)
                .timeoutSeconds(job.timeoutSeconds())
                .heartbeatSeconds(heartbeat)
                .untrusted(b.untrusted())
                .annotations(BuildAnnotations.forBuild(b, spec))
                .cache(layerCache(b, spec, job, push))
                .repo(b.repo().toLowerCase(java.util.Locale.ROOT))
                .build();
    }

    /**
     * The job's registry layer cache: its platform's repository under {@code cache:}; written only by a trusted job
     * that publishes (it holds the push credentials, which cover the cache: same registry, a repository the policy
     * let it publish to); read by the others, untrusted ones without credentials.
     */
    private Protocol.LayerCache layerCache(
            BuildRecord b, BuildSpec spec, JobRecord job, Protocol.PushCredentials push) {
        if (spec.cache() == null) {
            return null;
        }
        ImageReference base = ImageReference.parse(spec.cache());
        if (!dev.multiarch.config.LayerCache.isUnder(base, b.image())) {
            // A build stored before caches had to be under their image (a re-run): no registry cache rather than one
            // that may be another repository's.
            LOG.warning(() -> "build " + b.id() + ": layer cache " + base + " is not under its image " + b.image()
                    + "; building without the registry cache");
            return null;
        }
        ImageReference repo = dev.multiarch.config.LayerCache.forPlatform(base, job.platform());
        boolean insecure = push != null
                ? push.insecure()
                : registries.grant(repo, policy.ruleFor(b.repo())).insecure();
        boolean write = push != null && !b.untrusted() && push.registry().equalsIgnoreCase(repo.registry());
        return new Protocol.LayerCache(repo.registry() + "/" + repo.repository(), insecure, write);
    }

    public Protocol.HeartbeatReply heartbeat(long jobId, String runnerId, int attempt) {
        if (store.heartbeat(jobId, runnerId, attempt, clock.instant().plus(config.leaseDuration()))) {
            return new Protocol.HeartbeatReply(true, null);
        }
        String why = store.job(jobId)
                .map(j -> j.state() == JobState.CANCELLED
                        ? "the build was cancelled"
                        : "the lease was lost (" + j.state().word() + ", attempt " + j.attempt() + ")")
                .orElse("no such job");
        return new Protocol.HeartbeatReply(false, why);
    }

    public void log(long jobId, int attempt, String text) {
        store.appendLog(jobId, attempt, text, config.logLimit());
    }

    /** A runner's result. Stale results (a lease that was lost) are ignored. */
    public Store.Completion complete(long jobId, String runnerId, Protocol.Complete c) {
        JobResult r = c.error() != null
                ? JobResult.failure(c.error())
                : JobResult.success(c.digest(), c.mediaType(), c.size(), c.addedLayers());
        if (r.succeeded()) {
            try {
                Digest.parse(c.digest());
            } catch (IllegalArgumentException e) {
                r = JobResult.failure("the runner reported an invalid digest: " + e.getMessage());
            }
        }
        Store.Completion done = store.completeJob(jobId, runnerId, c.attempt(), r);
        if (done != Store.Completion.STALE && c.timings() != null) {
            store.recordTimings(jobId, c.attempt(), StepTimes.screen(c.timings()));
        }
        boolean succeeded = r.succeeded();
        store.job(jobId).ifPresent(j -> {
            if (done != Store.Completion.STALE) {
                count(j, runnerId, succeeded, c.timings());
            }
            if (done == Store.Completion.RECORDED || done == Store.Completion.BUILD_READY) {
                // Verified now rather than at fan-in: the last platform then waits for its own check only.
                store.build(j.buildId()).filter(BuildRecord::push).ifPresent(b -> verifications.start(b, j));
            }
            notify(j.buildId());
            if (done == Store.Completion.BUILD_READY) {
                finishSoon(j.buildId());
            }
        });
        return done;
    }

    /**
     * A reported result, for the metrics: time from claim to result, the runner's steps and the queue wait before the
     * claim, native or QEMU.
     */
    private void count(JobRecord j, String runnerId, boolean succeeded, java.util.Map<String, Long> timings) {
        try {
            // One runner by its key: reading every runner here was a quarter of a coordinator's CPU per job with 500
            // runners (bench/claim-load).
            boolean emulated = store.runner(runnerId)
                    .map(x -> BuildPublisher.emulation(x, j.platform()).equals("qemu"))
                    .orElse(false);
            if (j.startedAt() != null && j.finishedAt() != null) {
                metrics.jobFinished(
                        j.platform(), emulated, succeeded, java.time.Duration.between(j.startedAt(), j.finishedAt()));
            }
            if (timings != null) {
                StepTimes.screen(timings)
                        .forEach((step, ms) -> metrics.jobStep(step, emulated, java.time.Duration.ofMillis(ms)));
            }
            // The wait in the queue, which the store recorded when this attempt was claimed.
            store.timings(List.of(j.buildId())).stream()
                    .filter(t -> t.jobId() == j.id()
                            && t.attempt() == j.attempt()
                            && t.step().equals("queue"))
                    .findFirst()
                    .ifPresent(t -> metrics.jobStep("queue", emulated, java.time.Duration.ofMillis(t.millis())));
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "cannot count job " + j.id() + " in the metrics", e);
        }
    }

    /** Returns expired leases to the queue (or fails them after the last attempt). */
    public void reapLeases() {
        List<JobRecord> touched = store.expireLeases(clock.instant(), config.maxAttempts());
        if (!touched.isEmpty()) {
            touched.forEach(j -> LOG.warning(() -> "job " + j.id() + " (" + j.platform() + "): " + j.error()));
            touched.stream().map(JobRecord::buildId).distinct().forEach(this::notify);
            dispatcher.kick();
        }
    }

    /** After a restart: finish what was between fan-in and published, and let waiting runners at queued jobs. */
    public void resume() {
        keepFinishing();
        dispatcher.kick();
    }

    /**
     * A re-run of a build that failed while publishing, every platform built and verified: instead of building again,
     * publish where the index is missing (registries that failed or were not reached); those already published are
     * left alone. False when the build is not such a build (the caller then builds the commit again).
     */
    public boolean republish(long buildId) {
        if (!republishable(buildId)) {
            return false;
        }
        if (!store.reopenPublishing(buildId)) {
            return false;
        }
        LOG.info(() -> "build " + buildId + ": re-run publishes where the index is missing");
        notify(buildId);
        finishSoon(buildId);
        return true;
    }

    /** Failed while publishing (some registry not published), every job succeeded, trusted, publishing. */
    public boolean republishable(long buildId) {
        Optional<BuildRecord> b = store.build(buildId);
        if (b.isEmpty()
                || b.get().state() != BuildState.FAILED
                || !b.get().push()
                || b.get().untrusted()) {
            return false;
        }
        List<JobRecord> jobs = store.jobs(buildId);
        if (jobs.isEmpty() || jobs.stream().anyMatch(j -> j.state() != JobState.SUCCEEDED)) {
            return false;
        }
        List<Store.Publication> pubs = store.publications(buildId);
        return !pubs.isEmpty()
                && pubs.stream().anyMatch(p -> p.state() != dev.multiarch.store.PublicationState.PUBLISHED);
    }

    /**
     * Every second: renews the leases of the builds this process is finishing, and takes up the builds between fan-in
     * and published that nobody holds: left by a previous process of this coordinator, or by another coordinator on
     * the shared store that died (its leases ran out). Each build is finished by one coordinator at a time.
     */
    public void keepFinishing() {
        Instant now = clock.instant();
        for (Long id : finishing) {
            store.leaseFinish(id, instance, now, now.plus(FINISH_LEASE));
        }
        for (long id : store.unleasedFinishes(now)) {
            if (!finishing.contains(id)) {
                finishSoon(id, true);
            }
        }
    }

    private void finishSoon(long buildId) {
        finishSoon(buildId, false);
    }

    private void finishSoon(long buildId, boolean resumed) {
        if (finishing.add(buildId)) {
            workers.execute(() -> {
                try {
                    finish(buildId, resumed);
                } finally {
                    finishing.remove(buildId);
                }
            });
        }
    }

    public boolean cancel(long buildId, String reason) {
        boolean c = store.cancelBuild(buildId, reason);
        if (c) {
            notify(buildId);
        }
        return c;
    }

    /** Fan-in reached: verify every platform, then publish (once; a restart repeats the same PUTs). */
    void finish(long buildId) {
        finish(buildId, false);
    }

    /** @param resumed taken up from nobody (a previous process, a coordinator that died), not just fanned in here */
    private void finish(long buildId, boolean resumed) {
        Instant leased = clock.instant();
        if (!store.leaseFinish(buildId, instance, leased, leased.plus(FINISH_LEASE))) {
            return; // another coordinator holds it (or it is finished)
        }
        if (resumed) {
            LOG.info(() -> "resuming build " + buildId + ": between fan-in and published, and held by no coordinator");
        }
        try {
            BuildRecord b = store.build(buildId).orElseThrow();
            if (b.push() && (b.state() == BuildState.VERIFYING || b.state() == BuildState.PUBLISHING)) {
                // The policy may have changed since the build was planned (a re-run, a restart, a long build).
                Optional<String> refused = publishRefusal(b);
                if (refused.isPresent()) {
                    LOG.warning(() -> "build " + buildId + ": " + refused.get());
                    failPublishing(buildId, refused.get());
                    return;
                }
            }
            List<JobRecord> jobs = store.jobs(buildId);
            List<Verifier.Verified> verified = new ArrayList<>();
            // A build that does not publish pushed nothing to verify here; its runner audited the image locally.
            if (b.push() && (b.state() == BuildState.VERIFYING || b.state() == BuildState.PUBLISHING)) {
                BuildRecord build = b;
                jobs.forEach(j -> verifications.start(build, j)); // those that did not report since a restart
                for (JobRecord j : jobs) {
                    Verifications.Outcome early = verifications.await(build, j);
                    // An early check that could not reach the registry is not the last word: ask again now.
                    Verifications.Outcome v = early.error() != null ? verifications.verify(build, j) : early;
                    if (v.error() != null) {
                        throw v.error();
                    }
                    if (v.refusal() != null) {
                        LOG.warning(() -> "build " + buildId + ": " + v.refusal());
                        store.failVerification(buildId, j.id(), v.refusal());
                        notify(buildId);
                        return;
                    }
                    verified.add(v.verified());
                }
            }
            if (b.state() == BuildState.VERIFYING) {
                if (!b.push()) {
                    store.moveBuild(buildId, BuildState.VERIFYING, BuildState.PUBLISHING, null);
                    store.markPublished(buildId, null, "[]");
                    notify(buildId);
                    return;
                }
                if (!store.moveBuild(buildId, BuildState.VERIFYING, BuildState.PUBLISHING, null)) {
                    return;
                }
                notify(buildId);
            }
            b = store.build(buildId).orElseThrow();
            if (b.state() != BuildState.PUBLISHING) {
                return;
            }
            BuildPublisher.Outcome o =
                    publisher.publish(registries.client(policy.ruleFor(b.repo())), b, verified, jobs);
            String json = Json.MAPPER.writeValueAsString(o);
            if (o.failures().isEmpty()) {
                store.markPublished(buildId, o.digest(), json);
                LOG.info(() -> "build " + buildId + " published " + o.indexDigest() + " as " + o.tags()
                        + (o.skipped().isEmpty() ? "" : "; kept back: " + o.skipped()));
            } else {
                // Failed, not half-published: each registry has the whole index on its tags or nothing new on them.
                store.markPartlyPublished(buildId, o.digest(), json, o.partialSummary());
                LOG.warning(() -> "build " + buildId + ": " + o.partialSummary());
            }
            notify(buildId);
        } catch (RegistryException e) {
            LOG.warning(() -> "build " + buildId + ": publishing failed: " + e.getMessage());
            failPublishing(buildId, "publishing failed: " + e.getMessage());
        } catch (PublishException e) {
            LOG.warning(() -> "build " + buildId + ": " + e.getMessage());
            failPublishing(buildId, e.getMessage());
        } catch (RuntimeException | com.fasterxml.jackson.core.JsonProcessingException e) {
            LOG.log(Level.WARNING, "build " + buildId + " could not be finished", e);
            // The exception's text may carry internal detail: logged above, not shown.
            failPublishing(buildId, "could not be finished: " + MirrorCopies.INTERNAL_ERROR);
        }
    }

    /**
     * Why the build may not publish now, if it may not: the {@code repositories:} rules are checked again, for its
     * image and every mirror, right before publishing (a build that finishes, a coordinator restarted, a re-run).
     * An operator who took a repository or a registry out of a rule after the build was planned stops it here; and
     * with rules in force, a repository no rule covers any more never falls back to the shared credentials.
     */
    Optional<String> publishRefusal(BuildRecord b) {
        if (!policy.enforced()) {
            return Optional.empty();
        }
        if (policy.ruleFor(b.repo()).isEmpty()) {
            String why = policy.mayBuild(b.repo()) instanceof AccessPolicy.Decision.Refused r
                    ? r.message()
                    : "no entry of the coordinator's repositories: list matches " + b.repo();
            return Optional.of("publishing refused: " + why);
        }
        List<String> targets = b.spec() == null
                ? List.of(b.image().toString())
                : BuildSpec.fromJson(b.spec()).targets(b.image().toString());
        for (String target : targets) {
            if (policy.mayPublish(b.repo(), ImageReference.parse(target)) instanceof AccessPolicy.Decision.Refused r) {
                return Optional.of("publishing refused: " + r.message());
            }
        }
        return Optional.empty();
    }

    private void failPublishing(long buildId, String why) {
        store.moveBuild(buildId, BuildState.PUBLISHING, BuildState.FAILED, why);
        store.moveBuild(buildId, BuildState.VERIFYING, BuildState.FAILED, why);
        notify(buildId);
    }

    private void notify(long buildId) {
        if (listeners.isEmpty()) {
            return;
        }
        try {
            BuildRecord b = store.build(buildId).orElse(null);
            if (b == null) {
                return;
            }
            List<JobRecord> jobs = store.jobs(buildId);
            for (BuildListener l : listeners) {
                try {
                    l.changed(b, jobs);
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "a build listener failed", e);
                }
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "cannot tell listeners about build " + buildId, e);
        }
    }
}
