package dev.multiarch.github;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Processes deliveries in arrival order per repository (a push, then the pull request closing, must not swap), and
 * repositories side by side: one repository whose deliveries are slow (GitHub slow to answer for it, a large
 * configuration) never holds up another's. Retries are scheduled, not slept, so they hold no thread either.
 */
final class DeliveryQueue implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(DeliveryQueue.class.getName());

    private final ExecutorService pool;
    private final ScheduledExecutorService timer;
    private final Map<String, CompletableFuture<Void>> tails = new HashMap<>();

    DeliveryQueue(int threads) {
        this.pool = Executors.newFixedThreadPool(threads, named("github-events"));
        this.timer = Executors.newSingleThreadScheduledExecutor(named("github-events-retry"));
    }

    private static ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Runs {@code work} after everything submitted before for the same key; other keys do not wait for it. */
    synchronized void submit(String key, Runnable work) {
        CompletableFuture<Void> previous = tails.getOrDefault(key, CompletableFuture.completedFuture(null));
        CompletableFuture<Void> next = previous.handleAsync(
                (v, e) -> {
                    try {
                        work.run();
                    } catch (RuntimeException ex) {
                        LOG.log(Level.WARNING, "processing a delivery for " + key + " failed", ex);
                    }
                    return null;
                },
                pool);
        tails.put(key, next);
        next.whenComplete((v, e) -> forget(key, next));
    }

    private synchronized void forget(String key, CompletableFuture<Void> done) {
        tails.remove(key, done);
    }

    /** Submits {@code work} for {@code key} after {@code delay}. */
    void later(String key, Duration delay, Runnable work) {
        timer.schedule(() -> submit(key, work), delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        timer.shutdownNow();
        pool.shutdownNow();
    }
}
