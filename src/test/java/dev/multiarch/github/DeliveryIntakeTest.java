package dev.multiarch.github;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.store.JdbcStore;
import dev.multiarch.store.Store;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The webhook intake's group commit, on a real (H2) store. */
class DeliveryIntakeTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    @TempDir
    Path dir;

    private static Store.Delivery delivery(String id) {
        return new Store.Delivery(
                "1", id, "push", "{\"id\":\"" + id + "\"}", T0, dev.multiarch.store.DeliveryState.RECEIVED, null);
    }

    /** The store, counting the batches it is given and their sizes. */
    private static Store counting(Store store, AtomicInteger batches, AtomicInteger largest) {
        return (Store) Proxy.newProxyInstance(Store.class.getClassLoader(), new Class<?>[] {Store.class}, (p, m, a) -> {
            if (m.getName().equals("addDeliveries")) {
                batches.incrementAndGet();
                largest.accumulateAndGet(((List<?>) a[0]).size(), Math::max);
            }
            try {
                return m.invoke(store, a);
            } catch (java.lang.reflect.InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }

    @Test
    void manyDeliveriesAtOnce_areEachCommittedAndAnswered_inFewerTransactions_redeliveriesAnsweredFalse()
            throws Exception {
        AtomicInteger batches = new AtomicInteger();
        AtomicInteger largest = new AtomicInteger();
        try (JdbcStore jdbc = JdbcStore.embedded(dir.resolve("data"))) {
            List<CompletableFuture<Boolean>> first = new java.util.concurrent.CopyOnWriteArrayList<>();
            List<CompletableFuture<Boolean>> again = new ArrayList<>();
            try (DeliveryIntake intake = new DeliveryIntake(counting(jdbc, batches, largest))) {
                List<Thread> senders = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    int from = t * 250;
                    Thread th = new Thread(() -> {
                        for (int i = from; i < from + 250; i++) {
                            first.add(intake.add(delivery("d-" + i)));
                        }
                    });
                    senders.add(th);
                    th.start();
                }
                for (Thread th : senders) {
                    th.join();
                }
                assertEquals(2_000, first.size());
                for (CompletableFuture<Boolean> f : first) {
                    assertTrue(f.get(60, TimeUnit.SECONDS));
                }
                for (int i = 0; i < 2_000; i += 100) {
                    again.add(intake.add(delivery("d-" + i)));
                }
                for (CompletableFuture<Boolean> f : again) {
                    assertFalse(f.get(60, TimeUnit.SECONDS), "a redelivery");
                }
            }
            assertEquals(
                    2_000,
                    jdbc.deliveriesIn(dev.multiarch.store.DeliveryState.RECEIVED)
                            .size());
            assertTrue(largest.get() <= DeliveryIntake.MAX_BATCH, "batches are bounded: " + largest.get());
            assertTrue(batches.get() < 2_020, batches.get() + " transactions for 2,020 deliveries: some were batched");
        }
    }

    @Test
    void marks_areWrittenInBatches_andThoseWaitingAtCloseAreWrittenToo() throws Exception {
        try (JdbcStore jdbc = JdbcStore.embedded(dir.resolve("data"))) {
            DeliveryIntake intake = new DeliveryIntake(jdbc);
            for (int i = 0; i < 300; i++) {
                assertTrue(intake.add(delivery("d-" + i)).get(60, TimeUnit.SECONDS));
            }
            for (int i = 0; i < 300; i++) {
                intake.mark(
                        "1",
                        "d-" + i,
                        i % 2 == 0
                                ? dev.multiarch.store.DeliveryState.PROCESSED
                                : dev.multiarch.store.DeliveryState.IGNORED,
                        "note " + i);
            }
            intake.close();
            assertEquals(
                    150,
                    jdbc.deliveriesIn(dev.multiarch.store.DeliveryState.PROCESSED)
                            .size());
            assertEquals(
                    150,
                    jdbc.deliveriesIn(dev.multiarch.store.DeliveryState.IGNORED).size());
            assertEquals(
                    0,
                    jdbc.deliveriesIn(dev.multiarch.store.DeliveryState.RECEIVED)
                            .size());
            intake.mark("1", "d-0", dev.multiarch.store.DeliveryState.FAILED, "after close: written at once");
            assertEquals(
                    dev.multiarch.store.DeliveryState.FAILED,
                    jdbc.deliveriesIn(dev.multiarch.store.DeliveryState.FAILED)
                            .get(0)
                            .state());
        }
    }

    @Test
    void closing_storesWhatIsWaiting_andRefusesWhatComesAfter() throws Exception {
        try (JdbcStore jdbc = JdbcStore.embedded(dir.resolve("data"))) {
            DeliveryIntake intake = new DeliveryIntake(jdbc);
            List<CompletableFuture<Boolean>> waiting = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                waiting.add(intake.add(delivery("d-" + i)));
            }
            intake.close();
            for (CompletableFuture<Boolean> f : waiting) {
                assertTrue(f.isDone(), "answered by the time close returns");
                assertTrue(f.get());
            }
            assertEquals(
                    500,
                    jdbc.deliveriesIn(dev.multiarch.store.DeliveryState.RECEIVED)
                            .size());
            ExecutionException late = assertThrows(
                    ExecutionException.class, () -> intake.add(delivery("late")).get(10, TimeUnit.SECONDS));
            assertTrue(
                    late.getCause().getMessage().contains("stopping"),
                    late.getCause().getMessage());
        }
    }

    @Test
    void aStoreFailure_failsThatBatchsDeliveries_andTheNextBatchIsStoredAgain() throws Exception {
        AtomicInteger failuresLeft = new AtomicInteger(1);
        try (JdbcStore jdbc = JdbcStore.embedded(dir.resolve("data"))) {
            Store flaky = (Store)
                    Proxy.newProxyInstance(Store.class.getClassLoader(), new Class<?>[] {Store.class}, (p, m, a) -> {
                        if (m.getName().equals("addDeliveries") && failuresLeft.getAndDecrement() > 0) {
                            throw new dev.multiarch.store.StoreException("disk full", null);
                        }
                        return m.invoke(jdbc, a);
                    });
            try (DeliveryIntake intake = new DeliveryIntake(flaky)) {
                ExecutionException e = assertThrows(ExecutionException.class, () -> intake.add(delivery("x"))
                        .get(10, TimeUnit.SECONDS));
                assertTrue(e.getCause().getMessage().contains("disk full"));
                assertTrue(intake.add(delivery("x")).get(10, TimeUnit.SECONDS), "not stored the first time");
            }
        }
    }

    @Test
    void marksWaitingWhenDeliveriesArrive_goInTheDeliveriesTransaction_notOneOfTheirOwn() throws Exception {
        java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        List<String> calls = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (JdbcStore jdbc = JdbcStore.embedded(dir.resolve("data"))) {
            jdbc.addDeliveries(List.of(delivery("m-1"), delivery("m-2")));
            Store store = (Store)
                    Proxy.newProxyInstance(Store.class.getClassLoader(), new Class<?>[] {Store.class}, (p, m, a) -> {
                        if (m.getName().equals("addDeliveries") && a.length == 2) {
                            List<?> ds = (List<?>) a[0];
                            calls.add("deliveries " + ds.size() + " with marks " + ((List<?>) a[1]).size());
                            if (((Store.Delivery) ds.get(0)).deliveryId().equals("first")) {
                                held.countDown();
                                release.await();
                            }
                        } else if (m.getName().startsWith("mark")) {
                            calls.add(m.getName());
                        }
                        return m.invoke(jdbc, a);
                    });
            try (DeliveryIntake intake = new DeliveryIntake(store)) {
                CompletableFuture<Boolean> first = intake.add(delivery("first"));
                held.await();
                // The writer is in the first commit: these wait, and are taken together when it returns.
                intake.mark("1", "m-1", dev.multiarch.store.DeliveryState.PROCESSED, "build 1");
                intake.mark("1", "m-2", dev.multiarch.store.DeliveryState.IGNORED, "no workflow");
                CompletableFuture<Boolean> second = intake.add(delivery("second"));
                release.countDown();
                assertTrue(first.get(60, TimeUnit.SECONDS));
                assertTrue(second.get(60, TimeUnit.SECONDS));
            }
            assertEquals(List.of("deliveries 1 with marks 0", "deliveries 1 with marks 2"), calls);
            assertEquals(
                    dev.multiarch.store.DeliveryState.PROCESSED,
                    jdbc.deliveriesIn(dev.multiarch.store.DeliveryState.PROCESSED)
                            .get(0)
                            .state());
            assertEquals(
                    "no workflow",
                    jdbc.deliveriesIn(dev.multiarch.store.DeliveryState.IGNORED)
                            .get(0)
                            .note());
        }
    }

    @Test
    void marksWithNoDeliveriesComing_areWrittenByThemselves() throws Exception {
        try (JdbcStore jdbc = JdbcStore.embedded(dir.resolve("data"))) {
            jdbc.addDeliveries(List.of(delivery("m-1"), delivery("m-2")));
            try (DeliveryIntake intake = new DeliveryIntake(jdbc)) {
                intake.mark("1", "m-1", dev.multiarch.store.DeliveryState.PROCESSED, "build 1");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (jdbc.deliveriesIn(dev.multiarch.store.DeliveryState.PROCESSED)
                                .isEmpty()
                        && System.nanoTime() < deadline) {
                    java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
                }
                assertEquals(
                        1,
                        jdbc.deliveriesIn(dev.multiarch.store.DeliveryState.PROCESSED)
                                .size(),
                        "written while the intake is open");
            }
        }
    }
}
