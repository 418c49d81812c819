package dev.multiarch.github;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.store.JdbcStore;
import dev.multiarch.store.Store;
import dev.multiarch.testing.TestClock;
import dev.multiarch.testing.TestDatabases;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two coordinators on one PostgreSQL: a delivery that waits in its receiver's queue for longer than a claim is still
 * the receiver's while it renews the claim, and is dropped (not processed twice) when the receiver stalled and another
 * coordinator took it over.
 */
@ExtendWith(TestDatabases.class)
class DeliveryLeasesTest {
    @TempDir
    Path dir;

    final TestClock clock = new TestClock(Instant.parse("2026-01-01T00:00:00Z"));
    JdbcStore a;
    JdbcStore b;
    DeliveryLeases receiver;
    DeliveryLeases other;

    @BeforeEach
    void open(TestDatabases databases) {
        TestDatabases.TestDatabase db = databases.fresh(TestDatabases.Kind.POSTGRESQL, dir);
        a = db.open(clock);
        b = db.open(clock);
        receiver = new DeliveryLeases(a, clock);
        other = new DeliveryLeases(b, clock);
    }

    @AfterEach
    void close() {
        receiver.close();
        other.close();
        a.close();
        b.close();
    }

    private Store.DeliveryKey received(String id) {
        assertTrue(a.addDelivery(new Store.Delivery("1", id, "push", "{}", clock.instant(), null, null)));
        Store.DeliveryKey k = new Store.DeliveryKey("1", id);
        assertTrue(receiver.hold(k, clock.instant()));
        return k;
    }

    private List<Store.Delivery> sweep(DeliveryLeases by, JdbcStore store) {
        Instant now = clock.instant();
        List<Store.Delivery> taken = store.claimDeliveries(by.holder(), now, now.plus(Store.DELIVERY_CLAIM), 100);
        taken.forEach(d -> by.hold(DeliveryLeases.key(d), now));
        return taken;
    }

    @Test
    void aDeliveryWaitingLongerThanAClaim_staysItsReceivers_whileItRenews() {
        Store.DeliveryKey k = received("d-1");
        for (int i = 0; i < 6; i++) { // a minute in the queue, twice a claim
            clock.pass(DeliveryLeases.RENEW);
            receiver.renew();
            assertEquals(List.of(), sweep(other, b), "the other coordinator's sweep finds nothing to take over");
        }
        assertTrue(receiver.mayProcess(k));
        assertFalse(other.holds(k));
    }

    @Test
    void aReceiverThatStalledPastItsClaim_dropsTheDeliveryTheOtherTookOver() {
        Store.DeliveryKey k = received("d-2");
        Store.DeliveryKey fresh = received("d-3");
        clock.pass(Store.DELIVERY_CLAIM); // no renewal: the receiver stalled
        assertEquals(
                List.of("d-2", "d-3"),
                sweep(other, b).stream().map(Store.Delivery::deliveryId).toList());
        assertTrue(other.mayProcess(k), "its claim was just taken");
        assertFalse(receiver.mayProcess(k), "the receiver must not process it as well");
        assertFalse(receiver.holds(k));
        // A renewal finds the same: d-3 is dropped too.
        receiver.renew();
        assertFalse(receiver.holds(fresh));
        // The new holder renews and keeps it.
        clock.pass(Store.DELIVERY_CLAIM.minusSeconds(1));
        other.renew();
        clock.pass(DeliveryLeases.RENEW);
        assertTrue(other.mayProcess(fresh));
    }

    @Test
    void aProcessedDelivery_isNoLongerRenewed() {
        Store.DeliveryKey k = received("d-4");
        a.markDelivery("1", "d-4", dev.multiarch.store.DeliveryState.PROCESSED, "done");
        receiver.renew();
        assertFalse(receiver.holds(k));
    }
}
