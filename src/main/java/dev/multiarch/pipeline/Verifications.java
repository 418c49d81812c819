package dev.multiarch.pipeline;

import dev.multiarch.access.AccessPolicy;
import dev.multiarch.access.Registries;
import dev.multiarch.publish.Verifier;
import dev.multiarch.store.BuildRecord;
import dev.multiarch.store.JobRecord;
import dev.multiarch.store.Store;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Verifications of pushed images, started as soon as each job reports its digest rather than all at fan-in: by the
 * time the last platform reports, the others are verified, and only the last one's verification and the index are
 * left between it and the published tags. Results are kept in memory only (a restarted coordinator verifies again),
 * per job attempt and digest, and used at fan-in exactly as a verification made then would be.
 */
final class Verifications implements AutoCloseable {
    /** What verifying one image gave: the verified image, or why it is refused, or an error reaching the registry. */
    record Outcome(Verifier.Verified verified, String refusal, RuntimeException error) {
        static Outcome of(Verifier.Verified v) {
            return new Outcome(v, null, null);
        }

        static Outcome refused(String why) {
            return new Outcome(null, why, null);
        }

        static Outcome failed(RuntimeException e) {
            return new Outcome(null, null, e);
        }
    }

    /** Started verifications not yet used; an attempt that never reaches fan-in (cancelled build) ages out. */
    private static final int KEPT = 1024;

    private final ExecutorService pool;
    private final Store store;
    private final Registries registries;
    private final AccessPolicy policy;
    private final long logLimit;
    private final Map<String, CompletableFuture<Outcome>> started = new LinkedHashMap<>(64, 0.75f, false) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, CompletableFuture<Outcome>> eldest) {
            return size() > KEPT;
        }
    };

    /** @param threads images verified at once (each reads a manifest, a config and the added layers) */
    Verifications(Store store, Registries registries, AccessPolicy policy, long logLimit, int threads) {
        this.store = store;
        this.registries = registries;
        this.policy = policy;
        this.logLimit = logLimit;
        this.pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "multiarch-verify");
            t.setDaemon(true);
            return t;
        });
    }

    private static String key(JobRecord j) {
        return j.id() + "/" + j.attempt() + "/" + j.digest();
    }

    /** Starts verifying a job's image of build {@code b} (once per attempt and digest). */
    synchronized void start(BuildRecord b, JobRecord j) {
        started.computeIfAbsent(key(j), k -> CompletableFuture.supplyAsync(() -> verify(b, j), pool));
    }

    /** The outcome for a job's image: the early verification's, or one made now. */
    Outcome await(BuildRecord b, JobRecord j) {
        CompletableFuture<Outcome> f;
        synchronized (this) {
            start(b, j);
            f = started.remove(key(j));
        }
        try {
            return f.join();
        } catch (CompletionException e) {
            return Outcome.failed(
                    e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause()));
        }
    }

    /**
     * Verifies one job's image in the registry (its config's platform, the ELF programs of the layers its build
     * added), with a line in the job's log and the time it took as step {@code verify}.
     */
    Outcome verify(BuildRecord b, JobRecord j) {
        long t0 = System.nanoTime();
        try {
            Verifier.Verified v = new Verifier(registries.client(policy.ruleFor(b.repo())))
                    .verify(
                            b.image(),
                            j.digest(),
                            j.platform(),
                            j.addedLayers() == null ? Integer.MAX_VALUE : j.addedLayers());
            store.appendLog(
                    j.id(),
                    j.attempt(),
                    "verified " + j.digest() + " as "
                            + v.descriptor().platform().shortForm() + " (" + v.elfFiles() + " ELF files checked)\n",
                    logLimit);
            return Outcome.of(v);
        } catch (Verifier.Failed e) {
            store.appendLog(j.id(), j.attempt(), "verification failed: " + e.getMessage() + "\n", logLimit);
            return Outcome.refused(e.getMessage());
        } catch (RuntimeException e) {
            return Outcome.failed(e);
        } finally {
            store.recordTimings(j.id(), j.attempt(), StepTimes.since("verify", t0));
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
