package dev.multiarch.github;

import dev.multiarch.store.Store;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Webhook deliveries into the store, committed together: one writer thread takes every delivery that arrived while
 * it was writing the last batch and stores them in one transaction ({@link Store#addDeliveries}). A delivery is
 * acknowledged only when its batch is committed, so nothing acknowledged is lost; what changes is the number of
 * commits: at 500 deliveries a second, one every few milliseconds instead of one per delivery (each H2 commit writes
 * a chunk of pages; on PostgreSQL each is a WAL flush).
 *
 * <p>Closing stores what is waiting, then stops; a delivery offered after that fails (the caller answers 500 and
 * GitHub may redeliver it). The writer is never interrupted: H2 closes its file when a thread doing I/O is.
 */
final class DeliveryIntake implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(DeliveryIntake.class.getName());
    /** At most this many deliveries per transaction (a 25 MB payload each is possible, if unlikely). */
    static final int MAX_BATCH = 128;

    private record Waiting(Store.Delivery delivery, CompletableFuture<Boolean> added) {}

    private final Store store;
    private final LinkedBlockingQueue<Waiting> queue = new LinkedBlockingQueue<>();
    private final Thread writer;
    private volatile boolean closed;

    DeliveryIntake(Store store) {
        this.store = store;
        this.writer = new Thread(this::run, "multiarch-webhook-intake");
        writer.setDaemon(true);
        writer.start();
    }

    /** Completes with true once {@code d} is committed, false if it was stored before (a redelivery). */
    CompletableFuture<Boolean> add(Store.Delivery d) {
        CompletableFuture<Boolean> added = new CompletableFuture<>();
        queue.add(new Waiting(d, added));
        if (closed && queue.remove(new Waiting(d, added))) {
            added.completeExceptionally(new IllegalStateException("the coordinator is stopping"));
        }
        return added;
    }

    private void run() {
        List<Waiting> batch = new ArrayList<>();
        while (true) {
            Waiting first;
            try {
                first = queue.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                first = null;
            }
            if (first == null) {
                if (closed && queue.isEmpty()) {
                    return;
                }
                continue;
            }
            batch.add(first);
            queue.drainTo(batch, MAX_BATCH - 1);
            write(batch);
            batch.clear();
        }
    }

    private void write(List<Waiting> batch) {
        try {
            List<Boolean> added =
                    store.addDeliveries(batch.stream().map(Waiting::delivery).toList());
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).added().complete(added.get(i));
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "storing " + batch.size() + " webhook deliveries failed", e);
            batch.forEach(w -> w.added().completeExceptionally(e));
        }
    }

    /** Stores what is waiting, then stops the writer. */
    @Override
    public void close() {
        closed = true;
        try {
            writer.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Waiting w;
        while ((w = queue.poll()) != null) {
            w.added().completeExceptionally(new IllegalStateException("the coordinator is stopping"));
        }
    }
}
