package dev.multiarch.github;

import dev.multiarch.store.DeliveryState;
import dev.multiarch.store.Store;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The webhook intake of a store several coordinators share (PostgreSQL; {@link Store#journalDir} empty): a coordinator
 * that dies must not strand acknowledged deliveries in a file of its own, so each is committed before it is answered.
 * The embedded H2 store, which one coordinator owns, takes {@link JournalIntake} instead (acknowledged once appended to
 * a journal in its directory, committed in groups): see there for why.
 *
 * <p>Webhook deliveries into the store, committed together: one writer thread takes every delivery that arrived while
 * it was writing the last batch and stores them in one transaction ({@link Store#addDeliveries}). A delivery is
 * acknowledged only when its batch is committed, so nothing acknowledged is lost; what changes is the number of
 * commits: at 500 deliveries a second, one every few milliseconds instead of one per delivery (each H2 commit writes
 * a chunk of pages; on PostgreSQL each is a WAL flush).
 *
 * <p>What processing each delivery came to ({@link #mark}) is not waited for and costs no commit of its own while
 * deliveries arrive: the marks waiting go into the next batch of deliveries' transaction. Without deliveries to ride
 * with, they are written by themselves once the oldest has waited {@link #MARK_DELAY} or {@link #MAX_BATCH} are
 * waiting. A mark lost to a crash leaves its delivery {@code received}, to be processed again (processing is
 * idempotent: a redelivered build is recognised by its origin); {@link #MARK_DELAY} is far below the
 * {@link Store#DELIVERY_CLAIM} that keeps another coordinator from taking a delivery being processed.
 *
 * <p>Closing stores what is waiting, then stops; a delivery offered after that fails (the caller answers 500 and
 * GitHub may redeliver it), a mark after that is written at once. The writer is never interrupted: H2 closes its file
 * when a thread doing I/O is.
 */
final class DeliveryIntake implements WebhookIntake {
    private static final Logger LOG = Logger.getLogger(DeliveryIntake.class.getName());
    /** At most this many deliveries, and this many marks, per batch (a 25 MB payload each is possible, if unlikely). */
    static final int MAX_BATCH = 128;
    /** How long a mark may wait for deliveries to be committed with. */
    static final Duration MARK_DELAY = Duration.ofMillis(100);

    private sealed interface Work {}

    private record Waiting(Store.Delivery delivery, CompletableFuture<Boolean> added) implements Work {}

    private record Marking(Store.DeliveryMark mark, long queuedNanos) implements Work {}

    private final Store store;
    private final LinkedBlockingQueue<Work> queue = new LinkedBlockingQueue<>();
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
        Waiting w = new Waiting(d, added);
        queue.add(w);
        if (closed && queue.remove(w)) {
            added.completeExceptionally(new IllegalStateException("the coordinator is stopping"));
        }
        return added;
    }

    /** As {@link #add(Store.Delivery)}; {@code whenStored} runs on the writer once a new delivery is committed. */
    @Override
    public CompletableFuture<Boolean> add(Store.Delivery d, Runnable whenStored) {
        return add(d).thenApply(added -> {
            if (added) {
                whenStored.run();
            }
            return added;
        });
    }

    /** Records what processing a delivery came to, with a later batch. */
    @Override
    public void mark(String hookId, String deliveryId, DeliveryState state, String note) {
        Marking m = new Marking(new Store.DeliveryMark(hookId, deliveryId, state, note), System.nanoTime());
        queue.add(m);
        if (closed && queue.remove(m)) {
            writeMarks(List.of(m.mark()));
        }
    }

    private void run() {
        List<Work> batch = new ArrayList<>();
        List<Waiting> adds = new ArrayList<>();
        ArrayDeque<Marking> marks = new ArrayDeque<>();
        while (true) {
            long wait = marks.isEmpty()
                    ? TimeUnit.MILLISECONDS.toNanos(100)
                    : marks.peekFirst().queuedNanos() + MARK_DELAY.toNanos() - System.nanoTime();
            Work first;
            try {
                first = queue.poll(Math.max(0, wait), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                first = null;
            }
            if (first != null) {
                batch.add(first);
                queue.drainTo(batch, MAX_BATCH - 1);
            }
            for (Work w : batch) {
                if (w instanceof Waiting a) {
                    adds.add(a);
                } else if (w instanceof Marking m) {
                    marks.add(m);
                }
            }
            batch.clear();
            if (!adds.isEmpty()) {
                write(adds, take(marks));
                adds.clear();
            } else if (!marks.isEmpty()
                    && (marks.size() >= MAX_BATCH
                            || closed
                            || System.nanoTime() - marks.peekFirst().queuedNanos() >= MARK_DELAY.toNanos())) {
                writeMarks(take(marks));
            } else if (first == null && closed && queue.isEmpty() && marks.isEmpty()) {
                return;
            }
        }
    }

    private static List<Store.DeliveryMark> take(ArrayDeque<Marking> marks) {
        List<Store.DeliveryMark> taken = new ArrayList<>(Math.min(marks.size(), MAX_BATCH));
        while (!marks.isEmpty() && taken.size() < MAX_BATCH) {
            taken.add(marks.pollFirst().mark());
        }
        return taken;
    }

    /** The deliveries, then the marks (a mark is only made after its delivery was stored), in one transaction. */
    private void write(List<Waiting> adds, List<Store.DeliveryMark> marks) {
        try {
            List<Boolean> added =
                    store.addDeliveries(adds.stream().map(Waiting::delivery).toList(), marks);
            for (int i = 0; i < adds.size(); i++) {
                adds.get(i).added().complete(added.get(i));
            }
        } catch (RuntimeException e) {
            LOG.log(
                    Level.WARNING,
                    "storing " + adds.size() + " webhook deliveries (and what " + marks.size()
                            + " earlier ones came to) failed",
                    e);
            adds.forEach(w -> w.added().completeExceptionally(e));
        }
    }

    private void writeMarks(List<Store.DeliveryMark> marks) {
        try {
            store.markDeliveries(marks);
        } catch (RuntimeException e) {
            LOG.log(
                    Level.WARNING,
                    "recording what " + marks.size() + " webhook deliveries came to failed; they stay received and"
                            + " are processed again",
                    e);
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
        Work w;
        List<Store.DeliveryMark> marks = new ArrayList<>();
        while ((w = queue.poll()) != null) {
            if (w instanceof Waiting a) {
                a.added().completeExceptionally(new IllegalStateException("the coordinator is stopping"));
            } else if (w instanceof Marking m) {
                marks.add(m.mark());
            }
        }
        if (!marks.isEmpty()) {
            writeMarks(marks);
        }
    }
}
