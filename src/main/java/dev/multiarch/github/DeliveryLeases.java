package dev.multiarch.github;

import dev.multiarch.store.Store;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The deliveries this coordinator holds: stored by it or claimed by its sweep, then waiting in its queue, being
 * processed or waiting to be tried again. Each is claimed in the store for {@link Store#DELIVERY_CLAIM}; the claims are
 * renewed every {@link #RENEW} while held, so a delivery that waits behind others of its repository for longer than a
 * claim is not taken over by another coordinator's sweep. Before processing one, the coordinator asks
 * {@link #mayProcess}: a claim last taken within {@link #RENEW} is still its own (it runs for twice as long again);
 * an older one is taken again in the store first. A delivery another coordinator took over (this one stalled past its
 * claim) is dropped here, not processed twice.
 */
final class DeliveryLeases implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(DeliveryLeases.class.getName());
    /** How often held claims are renewed: a third of a claim, so two renewals may fail before one runs out. */
    static final Duration RENEW = Store.DELIVERY_CLAIM.dividedBy(3);
    /** Claims renewed per transaction. */
    private static final int CHUNK = 500;

    private final Store store;
    private final Clock clock;
    /** This process, as the holder of deliveries it claimed ({@link Store#leaseDeliveries}). */
    private final String holder = UUID.randomUUID().toString();
    /** Each held delivery and when its claim was last taken or renewed. */
    private final Map<Store.DeliveryKey, Instant> held = new ConcurrentHashMap<>();

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "multiarch-delivery-leases");
        t.setDaemon(true);
        return t;
    });

    DeliveryLeases(Store store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** Renews the held claims every {@link #RENEW} from now on. */
    void start() {
        long every = RENEW.toMillis();
        timer.scheduleWithFixedDelay(this::renew, every, every, TimeUnit.MILLISECONDS);
    }

    String holder() {
        return holder;
    }

    static Store.DeliveryKey key(Store.Delivery d) {
        return new Store.DeliveryKey(d.hookId(), d.deliveryId());
    }

    /**
     * Holds a delivery whose claim was just taken (by storing it, or by {@link Store#claimDeliveries} for
     * {@link #holder}) at {@code claimedAt}; false when it was held already (the sweep found one of its own).
     */
    boolean hold(Store.DeliveryKey k, Instant claimedAt) {
        return held.putIfAbsent(k, claimedAt) == null;
    }

    boolean holds(Store.DeliveryKey k) {
        return held.containsKey(k);
    }

    /**
     * Whether this coordinator may go on processing {@code k}: its claim was taken or renewed within {@link #RENEW}
     * (it still runs for at least {@code DELIVERY_CLAIM - RENEW}), or is taken again in the store now. False when it
     * is not held here or another coordinator took it over; it is then no longer held.
     */
    boolean mayProcess(Store.DeliveryKey k) {
        Instant last = held.get(k);
        if (last == null) {
            return false;
        }
        Instant now = clock.instant();
        if (now.isBefore(last.plus(RENEW))) {
            return true;
        }
        if (store.leaseDeliveries(holder, List.of(k), now, now.plus(Store.DELIVERY_CLAIM))
                .contains(k)) {
            held.replace(k, now);
            return true;
        }
        held.remove(k);
        return false;
    }

    /** Processed (or given up): no longer held here; its claim runs out by itself. */
    void release(Store.DeliveryKey k) {
        held.remove(k);
    }

    /** Renews every claim held; one another coordinator took over is dropped (see {@link #mayProcess}). */
    void renew() {
        try {
            List<Store.DeliveryKey> keys = new ArrayList<>(held.keySet());
            for (int from = 0; from < keys.size(); from += CHUNK) {
                List<Store.DeliveryKey> chunk = keys.subList(from, Math.min(keys.size(), from + CHUNK));
                Instant now = clock.instant();
                Set<Store.DeliveryKey> renewed =
                        store.leaseDeliveries(holder, chunk, now, now.plus(Store.DELIVERY_CLAIM));
                for (Store.DeliveryKey k : chunk) {
                    if (renewed.contains(k)) {
                        held.replace(k, now);
                    } else if (held.remove(k) != null) {
                        // Processed and marked meanwhile (released a moment later anyway), or taken over.
                        LOG.fine(() -> "delivery " + k.deliveryId() + " is no longer held by this coordinator");
                    }
                }
            }
        } catch (RuntimeException e) {
            // The store is unreachable: the claims run on; processing asks again before it goes on.
            LOG.log(Level.WARNING, "renewing the claims on " + held.size() + " deliveries failed", e);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
