package dev.multiarch.dispatch;

import dev.multiarch.platform.Platform;
import dev.multiarch.store.BuildRecord;
import dev.multiarch.store.JobRecord;
import dev.multiarch.store.Store;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Matches waiting runners with queued jobs. All matching happens on one thread, so two runners never get the same
 * job and the native-first rule sees a consistent set of waiters; the store's claim is the final word. Jobs are offered
 * in {@link CriticalPath}'s order; each goes to a native waiter if there is one, else a QEMU one. Among waiters equally
 * fit (both native, or both QEMU), a job goes first to one holding its warm layer cache (the scope of its repository,
 * image and platform, {@link Protocol#cacheScope}: buildah finds the last build's steps on disk instead of pulling the
 * registry cache or building from nothing), else to one whose source cache holds its commit (no fetch), else to the
 * one that has waited longest. What a runner holds never beats the native-first rule: a native build from a cold
 * cache is still quicker than an emulated one from a warm cache.
 *
 * <p>Trust comes before platforms: an untrusted job (a fork's pull request) goes only to a runner registered with
 * {@code untrusted-jobs: true}, and such a runner gets nothing else. An untrusted job waits, however long, rather than
 * run where trusted jobs run (their storage, their caches, their credentials on the same host).
 */
public final class Dispatcher implements AutoCloseable {
    /** A runner waiting in a long-poll. */
    public static final class Waiter {
        final String runnerId;
        final Set<String> nativeKeys;
        final Set<String> qemuKeys;
        final boolean untrustedJobs;
        final Set<String> commits;
        final Set<String> cacheScopes;
        final CompletableFuture<Optional<JobRecord>> result = new CompletableFuture<>();

        Waiter(
                String runnerId,
                List<Platform> nativePlatforms,
                List<Platform> qemuPlatforms,
                boolean untrustedJobs,
                Set<String> commits,
                Set<String> cacheScopes) {
            this.runnerId = runnerId;
            this.nativeKeys = keys(nativePlatforms);
            this.qemuKeys = keys(qemuPlatforms);
            this.untrustedJobs = untrustedJobs;
            this.commits = Set.copyOf(commits);
            this.cacheScopes = Set.copyOf(cacheScopes);
        }

        public CompletableFuture<Optional<JobRecord>> result() {
            return result;
        }

        private static Set<String> keys(List<Platform> ps) {
            Set<String> out = new LinkedHashSet<>();
            ps.forEach(p -> out.add(p.key()));
            return out;
        }
    }

    private final Store store;
    private final Duration lease;
    private final Clock clock;
    private final java.util.concurrent.ThreadPoolExecutor loop = new java.util.concurrent.ThreadPoolExecutor(
            1,
            1,
            0,
            java.util.concurrent.TimeUnit.MILLISECONDS,
            new java.util.concurrent.LinkedBlockingQueue<>(),
            r -> {
                Thread t = new Thread(r, "multiarch-dispatch");
                t.setDaemon(true);
                return t;
            });
    private final List<Waiter> waiting = new ArrayList<>();
    /** How many runners wait in this coordinator's long polls, as the dispatch thread last left {@link #waiting}. */
    private volatile int waitingNow;

    private final CriticalPath order;
    private volatile Consumer<JobRecord> claimedListener = j -> {};

    public Dispatcher(Store store, Duration lease) {
        this(store, lease, Clock.systemUTC());
    }

    public Dispatcher(Store store, Duration lease, Clock clock) {
        this.store = store;
        this.lease = lease;
        this.clock = clock;
        this.order = new CriticalPath(store);
    }

    /** Called (on the dispatch thread) after a job was claimed. */
    public void onClaimed(Consumer<JobRecord> listener) {
        this.claimedListener = listener;
    }

    /**
     * A runner starts waiting; its future completes with a job, or empty when {@link #stopWaiting} is called first.
     *
     * @param nativePlatforms what it builds without emulation (an arm64 host with AArch32 lists arm/v7 here)
     * @param qemuPlatforms   what it builds through QEMU
     * @param untrustedJobs   the runner registered with {@code untrusted-jobs: true}: untrusted jobs only
     */
    public Waiter await(
            String runnerId, List<Platform> nativePlatforms, List<Platform> qemuPlatforms, boolean untrustedJobs) {
        return await(runnerId, nativePlatforms, qemuPlatforms, untrustedJobs, Set.of());
    }

    /**
     * As {@link #await(String, List, List, boolean)}, from a runner whose source cache holds {@code commits}: among
     * runners equally fit for a job (both native, or both QEMU), the one holding its commit gets it.
     */
    public Waiter await(
            String runnerId,
            List<Platform> nativePlatforms,
            List<Platform> qemuPlatforms,
            boolean untrustedJobs,
            Set<String> commits) {
        return await(runnerId, nativePlatforms, qemuPlatforms, untrustedJobs, commits, Set.of());
    }

    /**
     * As {@link #await(String, List, List, boolean, Set)}, from a runner that also holds the layer cache scopes
     * {@code cacheScopes} ({@link Protocol#cacheScope} names): among runners equally fit for a job, the one holding its
     * scope gets it before one holding only its commit.
     */
    public Waiter await(
            String runnerId,
            List<Platform> nativePlatforms,
            List<Platform> qemuPlatforms,
            boolean untrustedJobs,
            Set<String> commits,
            Set<String> cacheScopes) {
        Waiter w = new Waiter(runnerId, nativePlatforms, qemuPlatforms, untrustedJobs, commits, cacheScopes);
        loop.execute(() -> {
            waiting.add(w);
            if (loop.getQueue().isEmpty() && !roundAsked.get()) {
                match();
            } else {
                // More is queued on the dispatch thread (runners arriving together): one round after them all. A
                // round still asked for has not started, so it will see w.
                matchSoon();
                count();
            }
        });
        return w;
    }

    /** The long-poll ended (timeout, connection closed): the runner gets nothing from this wait. */
    public void stopWaiting(Waiter w) {
        loop.execute(() -> {
            waiting.remove(w);
            w.result.complete(Optional.empty());
            count();
        });
    }

    /**
     * How many runners wait in this coordinator's long polls for a job now (a runner waiting here has been offered
     * every job queued before it arrived). Read from any thread; for metrics and tests.
     */
    public int waitingRunners() {
        return waitingNow;
    }

    private void count() {
        waitingNow = (int) waiting.stream().filter(w -> !w.result.isDone()).count();
    }

    /** How many runners are waiting now (asked on the dispatch thread). */
    int waitingCount() {
        try {
            return java.util.concurrent.CompletableFuture.supplyAsync(
                            () -> {
                                if (roundAsked.compareAndSet(true, false)) {
                                    match(); // a round asked for before this question: answer after it
                                }
                                waiting.removeIf(w -> w.result.isDone());
                                return waiting.size();
                            },
                            loop)
                    .get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    /** New work may be queued (a build was created, a lease expired). */
    public void kick() {
        matchSoon();
    }

    /** A round is asked for and not yet started: askers until it starts share it. */
    private final java.util.concurrent.atomic.AtomicBoolean roundAsked =
            new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * Runs one round on the dispatch thread after whatever is queued there now (runners starting to wait): many
     * runners arriving at once, or many kicks, share one round instead of one round each, since a round reads the whole
     * queue (500 simulated runners made 500 rounds per wave, bench/claim-load).
     */
    private void matchSoon() {
        if (roundAsked.compareAndSet(false, true)) {
            loop.execute(() -> {
                roundAsked.set(false);
                match();
            });
        }
    }

    private void match() {
        try {
            matchQueued();
        } catch (RuntimeException e) {
            LOG.log(java.util.logging.Level.WARNING, "dispatching failed; will try again on the next poll or kick", e);
        } finally {
            count();
        }
    }

    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(Dispatcher.class.getName());

    private void matchQueued() {
        waiting.removeIf(w -> w.result.isDone());
        if (waiting.isEmpty()) {
            return;
        }
        // Older builds first: the order sorts by build before anything else, so the queue is read, ordered and offered
        // a few builds at a time, and a round that has placed every waiting runner stops without reading (or asking
        // the history of) the builds behind them. With 10,000 queued jobs, reading and ordering all of them each round
        // made a claim take seconds (bench/claim-load).
        Set<String> nativeKeys = new HashSet<>();
        waiting.forEach(w -> nativeKeys.addAll(w.nativeKeys));
        long after = 0;
        while (!waiting.isEmpty()) {
            List<JobRecord> queued = store.queuedJobsOfBuilds(after, BUILDS_PER_STEP);
            if (queued.isEmpty()) {
                return;
            }
            java.util.TreeSet<Long> ids = new java.util.TreeSet<>();
            queued.forEach(j -> ids.add(j.buildId()));
            Map<Long, BuildRecord> builds = buildsOf(ids);
            offer(order.order(queued, builds, nativeKeys), builds);
            after = ids.last();
        }
    }

    /** Builds ordered and offered at a time ({@link #matchQueued}). */
    static final int BUILDS_PER_STEP = 32;

    /**
     * Queued builds read in earlier rounds: what a round uses of them (id, repository, image, commit) never changes,
     * and the queue's head stays the same builds round after round, so a round reads only the builds new to it.
     * Reading the head's 32 builds every round (an image reference made for each) was an eighth of the dispatch
     * thread's time under bench/claim-load. Dispatch thread only.
     */
    private final Map<Long, BuildRecord> knownBuilds = new java.util.LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, BuildRecord> eldest) {
            return size() > 4 * BUILDS_PER_STEP;
        }
    };

    private Map<Long, BuildRecord> buildsOf(java.util.SortedSet<Long> ids) {
        Map<Long, BuildRecord> out = new HashMap<>();
        List<Long> missing = new ArrayList<>();
        for (Long id : ids) {
            BuildRecord b = knownBuilds.get(id);
            if (b == null) {
                missing.add(id);
            } else {
                out.put(id, b);
            }
        }
        for (BuildRecord b : store.buildsById(missing)) {
            knownBuilds.put(b.id(), b);
            out.put(b.id(), b);
        }
        return out;
    }

    private void offer(List<JobRecord> ordered, Map<Long, BuildRecord> builds) {
        for (JobRecord job : ordered) {
            if (waiting.isEmpty()) {
                return;
            }
            Wanted wanted = new Wanted(job, builds.get(job.buildId()));
            Waiter pick = pick(wanted, true);
            if (pick == null) {
                pick = pick(wanted, false);
            }
            if (pick == null) {
                continue;
            }
            Optional<JobRecord> claimed =
                    store.claimJob(job.id(), pick.runnerId, clock.instant().plus(lease));
            if (claimed.isPresent()) {
                waiting.remove(pick);
                if (!pick.result.complete(claimed)) {
                    // The long-poll ended just now: the lease will run out and the job return to the queue.
                    continue;
                }
                claimedListener.accept(claimed.get());
            }
        }
    }

    /**
     * What a job would find on a runner: its commit, and its layer cache scope, the scope's name worked out only when
     * a fit waiter reports scopes (a SHA-256 per job and round otherwise, for runners that hold none).
     */
    private static final class Wanted {
        final JobRecord job;
        final String commit;
        private final BuildRecord build;
        private String scope;

        Wanted(JobRecord job, BuildRecord build) {
            this.job = job;
            this.build = build;
            this.commit = build == null ? null : build.commit();
        }

        /**
         * The name of the job's scope, as the runner names its directory (from the repository, image and platform its
         * assignment carries); null for an untrusted job, which builds in a fresh storage whatever the runner holds.
         */
        String scope() {
            if (scope == null && build != null && !job.untrusted()) {
                scope = Protocol.cacheScope(
                        build.repo(), build.image().toString(), job.platform().shortForm());
            }
            return scope;
        }
    }

    /**
     * The waiter for a job: of those of its trust class that build the platform natively ({@code nativeOnly}) or
     * through QEMU, the first that holds its warm layer cache, else the first that holds its commit, else the first.
     */
    private Waiter pick(Wanted wanted, boolean nativeOnly) {
        String platformKey = wanted.job.platform().key();
        Waiter withCommit = null;
        Waiter first = null;
        for (Waiter w : waiting) {
            if (w.untrustedJobs != wanted.job.untrusted()) {
                continue;
            }
            if (nativeOnly ? w.nativeKeys.contains(platformKey) : w.qemuKeys.contains(platformKey)) {
                if (!w.cacheScopes.isEmpty()) {
                    String scope = wanted.scope();
                    if (scope != null && w.cacheScopes.contains(scope)) {
                        return w;
                    }
                }
                if (withCommit == null && wanted.commit != null && w.commits.contains(wanted.commit)) {
                    withCommit = w;
                }
                if (first == null) {
                    first = w;
                }
            }
        }
        return withCommit != null ? withCommit : first;
    }

    @Override
    public void close() {
        loop.shutdownNow();
    }
}
