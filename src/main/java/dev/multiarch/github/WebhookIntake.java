package dev.multiarch.github;

import dev.multiarch.store.DeliveryState;
import dev.multiarch.store.Store;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where signed webhook deliveries go before they are acknowledged: {@link DeliveryIntake} (committed to the store
 * first; a store several coordinators share) or {@link JournalIntake} (appended to a journal in the embedded store's
 * directory, committed in groups).
 */
interface WebhookIntake extends AutoCloseable {
    /**
     * Completes with true once {@code d} may be acknowledged as new, false if it was received before (a redelivery),
     * exceptionally when it may not be acknowledged ({@link Full}: answer 503). {@code whenStored} runs once a new
     * delivery is committed to the store (processing needs its row), maybe after the future completed.
     */
    CompletableFuture<Boolean> add(Store.Delivery d, Runnable whenStored);

    /** Records what processing a delivery came to, with a later batch. */
    void mark(String hookId, String deliveryId, DeliveryState state, String note);

    /** Deliveries an earlier process acknowledged and only now committed (from its journal): to be processed. */
    default List<Store.Delivery> replayed() {
        return List.of();
    }

    @Override
    void close();

    /** The journal where the store is this process's own ({@link Store#journalDir}), else the store directly. */
    static WebhookIntake of(Store store) {
        return of(store, DeliveryJournal.MAX_RECORDS);
    }

    /** With at most {@code journalRecords} deliveries waiting in the journal (tests: fewer). */
    static WebhookIntake of(Store store, int journalRecords) {
        return store.journalDir()
                .<WebhookIntake>map(dir -> JournalIntake.open(
                        store, dir, journalRecords, DeliveryJournal.MAX_BYTES, JournalIntake.COMMIT_DELAY))
                .orElseGet(() -> new DeliveryIntake(store));
    }

    /** Too much is waiting for the store: the delivery is refused (503, GitHub may redeliver it). */
    final class Full extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Full(String message) {
            super(message);
        }
    }
}
