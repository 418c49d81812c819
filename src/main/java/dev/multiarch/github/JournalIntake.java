package dev.multiarch.github;

import dev.multiarch.store.DeliveryState;
import dev.multiarch.store.Store;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The webhook intake of a coordinator whose store is its own (the embedded H2 store, {@link Store#journalDir}): a
 * signed delivery is acknowledged once it is appended to the {@link DeliveryJournal} in the store's directory, and
 * committed to the store in groups, every {@link #COMMIT_DELAY} or {@link #GROUP} deliveries, whichever comes first.
 * Each H2 commit writes a chunk that H2 keeps for its retention time, so at 500 deliveries a second a commit per few
 * deliveries grew the file 25 to 57 times past the data it held (bench/store-bench, bench/webhook-load); a group
 * commit does not.
 *
 * <p>Two threads. The appender ({@code multiarch-webhook-intake}) takes what is waiting, answers redeliveries (a key
 * in the journal's pending set, or stored: one read of the store, no commit), appends the new ones in one write and
 * only then completes their acknowledgements; a write may block (dirty-page throttling), so it is not on an event
 * loop. The committer ({@code multiarch-webhook-commit}) commits groups with the marks waiting ({@link #mark}) in the
 * same transaction (a mark waits up to {@link #COMMIT_DELAY} too, so that it rides with a group rather than costing a
 * commit of its own; far below {@link Store#DELIVERY_CLAIM}), then runs each new delivery's {@code whenStored} (processing needs its row: claims, leases,
 * marks) and lets the journal delete what is committed. While the store fails, the committer tries again every
 * second, and past the journal's bound deliveries are refused ({@link WebhookIntake.Full}, 503).
 *
 * <p>{@link #open} first commits what an earlier process left in the journal (a delivery stored before is skipped,
 * as {@link Store#addDeliveries} answers); the new ones are {@link #replayed} for processing. Closing stops accepting,
 * commits what is journaled and deletes the journal; should that commit fail, the journal stays for the next start.
 */
final class JournalIntake implements WebhookIntake {
    private static final Logger LOG = Logger.getLogger(JournalIntake.class.getName());
    /**
     * How long a journaled delivery may wait for its group's commit: 150 ms, or {@code
     * -Dmultiarch.webhook.commit-delay-ms=N} (bench/webhook-load's {@code MULTIARCH_JAVA_OPTS}, to measure others).
     */
    static final Duration COMMIT_DELAY = Duration.ofMillis(Long.getLong("multiarch.webhook.commit-delay-ms", 150));
    /** At most this many deliveries per commit. */
    static final int GROUP = 256;
    /** At most this many deliveries per append. */
    static final int MAX_APPEND = 256;

    private record Waiting(Store.Delivery delivery, Runnable whenStored, CompletableFuture<Boolean> added) {}

    private sealed interface Work {}

    private record Journaled(
            Store.Delivery delivery, Runnable whenStored, DeliveryJournal.Segment segment, long appendedNanos)
            implements Work {}

    private record Marking(Store.DeliveryMark mark, long queuedNanos) implements Work {}

    private final Store store;
    private final DeliveryJournal journal;
    private final Duration commitDelay;
    private final LinkedBlockingQueue<Waiting> incoming = new LinkedBlockingQueue<>();
    private final LinkedBlockingQueue<Work> toCommit = new LinkedBlockingQueue<>();
    /** Journaled and not yet committed: put by the appender before it acknowledges, removed once committed. */
    private final Set<Store.DeliveryKey> pending = ConcurrentHashMap.newKeySet();

    private List<Store.Delivery> replayed;
    private final Thread appender;
    private final Thread committer;
    private volatile boolean closed;
    private volatile boolean appenderDone;

    private JournalIntake(Store store, DeliveryJournal journal, Duration commitDelay, List<Store.Delivery> replayed) {
        this.store = store;
        this.journal = journal;
        this.commitDelay = commitDelay;
        this.replayed = replayed;
        this.appender = new Thread(this::append, "multiarch-webhook-intake");
        this.committer = new Thread(this::commit, "multiarch-webhook-commit");
        appender.setDaemon(true);
        committer.setDaemon(true);
        appender.start();
        committer.start();
    }

    /** The intake with its journal in {@code dir}, after committing what an earlier process left there. */
    static JournalIntake open(Store store, Path dir) {
        return open(store, dir, DeliveryJournal.MAX_RECORDS, DeliveryJournal.MAX_BYTES, COMMIT_DELAY);
    }

    static JournalIntake open(Store store, Path dir, int maxRecords, long maxBytes, Duration commitDelay) {
        DeliveryJournal journal;
        try {
            journal = DeliveryJournal.open(dir, maxRecords, maxBytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the webhook journal in " + dir + ": " + e.getMessage(), e);
        }
        List<Store.Delivery> news = new ArrayList<>();
        List<DeliveryJournal.Entry> found = journal.found();
        try {
            for (int from = 0; from < found.size(); from += GROUP) {
                List<Store.Delivery> part = found.subList(from, Math.min(found.size(), from + GROUP)).stream()
                        .map(DeliveryJournal.Entry::delivery)
                        .toList();
                List<Boolean> added = store.addDeliveries(part, List.of());
                for (int i = 0; i < part.size(); i++) {
                    if (added.get(i)) {
                        news.add(part.get(i));
                    }
                }
            }
        } catch (RuntimeException e) {
            journal.close(); // kept whole for the next start
            throw e;
        }
        journal.replayed();
        if (!found.isEmpty()) {
            LOG.info(() -> "webhook journal: " + found.size() + " deliveries acknowledged by an earlier process read"
                    + " back, " + news.size() + " of them not stored before");
        }
        return new JournalIntake(store, journal, commitDelay, List.copyOf(news));
    }

    /** The deliveries the replay stored, once: the caller processes them, and this intake forgets them. */
    @Override
    public synchronized List<Store.Delivery> replayed() {
        List<Store.Delivery> r = replayed;
        replayed = List.of();
        return r;
    }

    @Override
    public CompletableFuture<Boolean> add(Store.Delivery d, Runnable whenStored) {
        CompletableFuture<Boolean> added = new CompletableFuture<>();
        Waiting w = new Waiting(d, whenStored, added);
        incoming.add(w);
        if (closed && incoming.remove(w)) {
            added.completeExceptionally(new IllegalStateException("the coordinator is stopping"));
        }
        return added;
    }

    @Override
    public void mark(String hookId, String deliveryId, DeliveryState state, String note) {
        Marking m = new Marking(new Store.DeliveryMark(hookId, deliveryId, state, note), System.nanoTime());
        toCommit.add(m);
        if (appenderDone && !committer.isAlive() && toCommit.remove(m)) {
            store.markDeliveries(List.of(m.mark()));
        }
    }

    /** Records, and bytes, in the journal waiting for the store (tests, metrics). */
    int journaled() {
        return journal.records();
    }

    private void append() {
        List<Waiting> batch = new ArrayList<>();
        while (true) {
            Waiting first;
            try {
                first = incoming.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                first = null;
            }
            if (first == null) {
                if (closed && incoming.isEmpty()) {
                    appenderDone = true;
                    return;
                }
                continue;
            }
            batch.add(first);
            incoming.drainTo(batch, MAX_APPEND - 1);
            try {
                appendBatch(batch);
            } catch (RuntimeException | Error e) {
                // An Error too (out of memory): the thread goes on, and these deliveries get a 500, not silence.
                LOG.log(Level.WARNING, "journaling " + batch.size() + " webhook deliveries failed", e);
                batch.forEach(w -> w.added().completeExceptionally(e));
            }
            batch.clear();
        }
    }

    /** Redeliveries answered, the new ones appended in one write, then acknowledged. */
    private void appendBatch(List<Waiting> batch) {
        // The pending set first, the store after: a key leaves the set only once it is committed, so one missing
        // from the set when it is looked at is either stored by the time the store is read, or new.
        Map<Store.DeliveryKey, Boolean> seen = new HashMap<>();
        Set<Store.DeliveryKey> ask = new HashSet<>();
        for (Waiting w : batch) {
            Store.DeliveryKey k = key(w.delivery());
            if (pending.contains(k)) {
                seen.put(k, true);
            } else {
                ask.add(k);
            }
        }
        Set<Store.DeliveryKey> stored = store.storedDeliveries(ask);
        List<Waiting> news = new ArrayList<>();
        List<ByteBuffer> records = new ArrayList<>();
        for (Waiting w : batch) {
            Store.DeliveryKey k = key(w.delivery());
            if (seen.containsKey(k)) {
                continue;
            }
            if (stored.contains(k)) {
                seen.put(k, true);
                continue;
            }
            ByteBuffer r = DeliveryJournal.encode(w.delivery());
            if (r.remaining() - 8 > DeliveryJournal.MAX_RECORD) {
                // Larger than a replay reads back (a 25 MB body of invalid UTF-8 grows when written as UTF-8): not
                // acknowledged, rather than acknowledged and then set aside on the next start.
                seen.put(k, true);
                w.added()
                        .completeExceptionally(new IllegalArgumentException("delivery " + k.deliveryId() + " is "
                                + (r.remaining() - 8) + " bytes as a journal record, over "
                                + DeliveryJournal.MAX_RECORD));
                continue;
            }
            seen.put(k, false);
            news.add(w);
            records.add(r);
        }
        DeliveryJournal.Appended appended;
        try {
            appended = journal.append(records);
        } catch (IOException e) {
            throw new UncheckedIOException("appending to the webhook journal failed: " + e.getMessage(), e);
        }
        long now = System.nanoTime();
        Set<Store.DeliveryKey> refused = new HashSet<>();
        for (int i = 0; i < news.size(); i++) {
            Waiting w = news.get(i);
            Store.DeliveryKey k = key(w.delivery());
            if (i < appended.count()) {
                pending.add(k);
                toCommit.add(new Journaled(w.delivery(), w.whenStored(), appended.segment(), now));
            } else {
                refused.add(k);
            }
        }
        if (!refused.isEmpty()) {
            LOG.warning(() -> refused.size() + " webhook deliveries refused: the journal holds " + journal.records()
                    + " deliveries (" + journal.bytes() / (1024 * 1024) + " MB) the store has not taken yet");
        }
        Set<Store.DeliveryKey> answered = new HashSet<>();
        for (Waiting w : batch) {
            Store.DeliveryKey k = key(w.delivery());
            if (refused.contains(k)) {
                w.added()
                        .completeExceptionally(new WebhookIntake.Full(
                                "too many webhook deliveries are waiting to be stored; try again shortly"));
            } else {
                // The first of a key in this batch is new if it was appended; every other one is a redelivery.
                boolean isNew = !seen.get(k) && answered.add(k);
                w.added().complete(isNew);
            }
        }
    }

    private static Store.DeliveryKey key(Store.Delivery d) {
        return new Store.DeliveryKey(d.hookId(), d.deliveryId());
    }

    private void commit() {
        List<Work> drained = new ArrayList<>();
        ArrayDeque<Journaled> group = new ArrayDeque<>();
        ArrayDeque<Marking> marks = new ArrayDeque<>();
        long failedUntil = 0;
        while (true) {
            long now = System.nanoTime();
            long wait = TimeUnit.MILLISECONDS.toNanos(100);
            if (!group.isEmpty()) {
                wait = Math.min(wait, group.peekFirst().appendedNanos() + commitDelay.toNanos() - now);
            }
            if (!marks.isEmpty()) {
                wait = Math.min(wait, marks.peekFirst().queuedNanos() + commitDelay.toNanos() - now);
            }
            if (failedUntil != 0) {
                wait = Math.max(wait, failedUntil - now);
            }
            Work first = null;
            try {
                first = toCommit.poll(Math.max(0, wait), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (first != null) {
                drained.add(first);
                toCommit.drainTo(drained);
            }
            for (Work w : drained) {
                if (w instanceof Journaled j) {
                    group.add(j);
                } else if (w instanceof Marking m) {
                    marks.add(m);
                }
            }
            drained.clear();
            now = System.nanoTime();
            boolean closing = appenderDone;
            if (failedUntil != 0 && now < failedUntil && !closing) {
                continue;
            }
            boolean due = group.size() >= GROUP
                    || (!group.isEmpty() && now - group.peekFirst().appendedNanos() >= commitDelay.toNanos())
                    || (!marks.isEmpty()
                            && (marks.size() >= DeliveryIntake.MAX_BATCH
                                    || now - marks.peekFirst().queuedNanos() >= commitDelay.toNanos()))
                    || (closing && (!group.isEmpty() || !marks.isEmpty()));
            if (due) {
                if (commitGroup(group, marks)) {
                    failedUntil = 0;
                } else if (closing) {
                    LOG.warning(() -> group.size() + " journaled webhook deliveries could not be stored while"
                            + " stopping; the journal keeps them for the next start");
                    return;
                } else {
                    failedUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
                }
            } else if (closing && group.isEmpty() && marks.isEmpty() && toCommit.isEmpty()) {
                return;
            }
        }
    }

    /** Up to {@link #GROUP} deliveries and the marks waiting in one transaction; false when it failed. */
    private boolean commitGroup(ArrayDeque<Journaled> group, ArrayDeque<Marking> marks) {
        List<Journaled> taken = new ArrayList<>(Math.min(group.size(), GROUP));
        for (Journaled j : group) {
            if (taken.size() == GROUP) {
                break;
            }
            taken.add(j);
        }
        List<Store.DeliveryMark> markList = new ArrayList<>(Math.min(marks.size(), DeliveryIntake.MAX_BATCH));
        for (Marking m : marks) {
            if (markList.size() == DeliveryIntake.MAX_BATCH) {
                break;
            }
            markList.add(m.mark());
        }
        try {
            store.addDeliveries(taken.stream().map(Journaled::delivery).toList(), markList);
        } catch (RuntimeException | Error e) {
            LOG.log(
                    Level.WARNING,
                    "storing " + taken.size() + " journaled webhook deliveries (and what " + markList.size()
                            + " earlier ones came to) failed; trying again in a second",
                    e);
            return false;
        }
        for (int i = 0; i < markList.size(); i++) {
            marks.pollFirst();
        }
        Map<DeliveryJournal.Segment, Integer> bySegment = new HashMap<>();
        for (int i = 0; i < taken.size(); i++) {
            Journaled j = group.pollFirst();
            pending.remove(key(j.delivery()));
            bySegment.merge(j.segment(), 1, Integer::sum);
            // Every journaled delivery is new (the appender asked the pending set and the store, and only this
            // thread stores): one the store calls "stored before" was inserted by an earlier attempt of this group
            // that failed part way, and still has to be processed.
            {
                try {
                    j.whenStored().run();
                } catch (RuntimeException e) {
                    LOG.log(
                            Level.WARNING,
                            "starting to process delivery " + j.delivery().deliveryId() + " failed",
                            e);
                }
            }
        }
        bySegment.forEach(journal::committed);
        return true;
    }

    /** Stops accepting, commits what is journaled (with the marks waiting), then closes the journal. */
    @Override
    public void close() {
        closed = true;
        try {
            appender.join(TimeUnit.SECONDS.toMillis(30));
            committer.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Waiting w;
        while ((w = incoming.poll()) != null) {
            w.added().completeExceptionally(new IllegalStateException("the coordinator is stopping"));
        }
        List<Store.DeliveryMark> marks = new ArrayList<>();
        Work left;
        while ((left = toCommit.poll()) != null) {
            if (left instanceof Marking m) {
                marks.add(m.mark());
            }
        }
        if (!marks.isEmpty()) {
            try {
                store.markDeliveries(marks);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "recording what " + marks.size() + " webhook deliveries came to failed", e);
            }
        }
        journal.close();
    }
}
