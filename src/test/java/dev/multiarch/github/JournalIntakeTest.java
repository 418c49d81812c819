package dev.multiarch.github;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.store.DeliveryState;
import dev.multiarch.store.JdbcStore;
import dev.multiarch.store.Store;
import dev.multiarch.testing.Poll;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The journal intake in front of a real H2 store. */
class JournalIntakeTest {
    @TempDir
    Path dir;

    private static Store.Delivery delivery(String id) {
        return DeliveryJournalTest.delivery(id);
    }

    private List<String> journalFiles() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString())
                    .filter(f -> f.startsWith("journal-"))
                    .sorted()
                    .toList();
        }
    }

    private static Set<String> stored(Store s) {
        Set<String> ids = ConcurrentHashMap.newKeySet();
        s.deliveriesIn(DeliveryState.RECEIVED).forEach(d -> ids.add(d.deliveryId()));
        s.deliveriesIn(DeliveryState.PROCESSED).forEach(d -> ids.add(d.deliveryId()));
        return ids;
    }

    private static boolean get(CompletableFuture<Boolean> f) throws Exception {
        return f.get(30, TimeUnit.SECONDS);
    }

    @Test
    void theEmbeddedStore_hasAJournal_sharedOnesDoNot() {
        try (JdbcStore s = JdbcStore.embedded(dir)) {
            assertEquals(dir, s.journalDir().orElseThrow());
            try (WebhookIntake i = WebhookIntake.of(s)) {
                assertInstanceOf(JournalIntake.class, i);
            }
        }
    }

    @Test
    void redeliveries_areAnsweredFromTheJournal_thenFromTheStore_andProcessingWaitsForTheCommit() throws Exception {
        try (JdbcStore s = JdbcStore.embedded(dir);
                JournalIntake intake = JournalIntake.open(s, dir, 1000, 1L << 30, Duration.ofMinutes(10))) {
            Set<String> started = ConcurrentHashMap.newKeySet();
            // A long commit delay: acknowledged from the journal, not in H2 yet, not started.
            assertTrue(get(intake.add(delivery("a"), () -> started.add("a"))));
            CompletableFuture<Boolean> b1 = intake.add(delivery("b"), () -> started.add("b"));
            CompletableFuture<Boolean> b2 = intake.add(delivery("b"), () -> started.add("b twice"));
            assertTrue(get(b1) ^ get(b2), "one of two at once is new");
            assertFalse(get(intake.add(delivery("a"), () -> started.add("a again"))), "pending in the journal");
            assertEquals(Set.of(), stored(s));
            assertEquals(Set.of(), started);
            assertEquals(2, intake.journaled());
            assertEquals(1, journalFiles().size());
        }
        try (JdbcStore s = JdbcStore.embedded(dir)) {
            assertEquals(Set.of("a", "b"), stored(s), "closing committed the journal");
            assertEquals(List.of(), journalFiles(), "and deleted it");
            try (JournalIntake intake = JournalIntake.open(s, dir, 1000, 1L << 30, Duration.ofMillis(50))) {
                assertEquals(List.of(), intake.replayed());
                assertFalse(get(intake.add(delivery("a"), () -> {})), "stored before");
                AtomicBoolean started = new AtomicBoolean();
                assertTrue(get(
                        intake.add(delivery("c"), () -> started.set(stored(s).contains("c")))));
                Poll.until(started::get, "c started once it is in the store");
                Poll.until(
                        () -> {
                            try {
                                return journalFiles().isEmpty();
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        },
                        "the committed segment deleted");
            }
        }
    }

    @Test
    void aDeliveryTooLargeForAJournalRecord_isNotAcknowledged_andNothingIsJournaled() throws Exception {
        try (JdbcStore s = JdbcStore.embedded(dir);
                JournalIntake intake = JournalIntake.open(s, dir, 1000, 1L << 30, Duration.ofMinutes(10))) {
            // Each U+FFFD a decoder put for a byte of invalid UTF-8 is 3 bytes when written back: a body within the
            // 25 MB limit can make a record over what a replay reads.
            Store.Delivery d = delivery("big");
            Store.Delivery big = new Store.Delivery(
                    d.hookId(),
                    d.deliveryId(),
                    d.event(),
                    "\uFFFD".repeat(DeliveryJournal.MAX_RECORD / 3 + 1),
                    d.receivedAt(),
                    d.state(),
                    d.note());
            java.util.concurrent.ExecutionException e =
                    assertThrows(java.util.concurrent.ExecutionException.class, () -> get(intake.add(big, () -> {})));
            assertTrue(e.getCause().getMessage().contains("over " + DeliveryJournal.MAX_RECORD), e.toString());
            assertEquals(0, intake.journaled());
            assertTrue(get(intake.add(delivery("small"), () -> {})), "the next one goes in");
        }
    }

    @Test
    void replay_storesWhatWasJournaled_once_evenWhenSomeWasCommittedBeforeTheSegmentWentAway() throws Exception {
        try (DeliveryJournal j = DeliveryJournal.open(dir)) {
            j.append(List.of(DeliveryJournal.encode(delivery("x")), DeliveryJournal.encode(delivery("y"))));
        }
        try (JdbcStore s = JdbcStore.embedded(dir)) {
            assertTrue(s.addDelivery(delivery("x"))); // committed, then the process died before the deletion
        }
        for (int round = 0; round < 2; round++) {
            try (JdbcStore s = JdbcStore.embedded(dir);
                    JournalIntake intake = JournalIntake.open(s, dir)) {
                assertEquals(
                        round == 0 ? List.of("y") : List.of(),
                        intake.replayed().stream()
                                .map(Store.Delivery::deliveryId)
                                .toList());
                assertEquals(Set.of("x", "y"), stored(s));
                assertEquals(List.of(), journalFiles());
                assertEquals(
                        delivery("y").payload(),
                        s.deliveriesIn(DeliveryState.RECEIVED).stream()
                                .filter(d -> d.deliveryId().equals("y"))
                                .findFirst()
                                .orElseThrow()
                                .payload());
            }
        }
    }

    @Test
    void whileTheStoreFails_theJournalFillsToItsBound_thenDeliveriesAreRefused_andNothingIsLost() throws Exception {
        AtomicBoolean failing = new AtomicBoolean(true);
        try (JdbcStore jdbc = JdbcStore.embedded(dir)) {
            Store s = (Store)
                    Proxy.newProxyInstance(Store.class.getClassLoader(), new Class<?>[] {Store.class}, (p, m, a) -> {
                        if (m.getName().equals("addDeliveries") && failing.get()) {
                            throw new dev.multiarch.store.StoreException("disk full", null);
                        }
                        try {
                            return m.invoke(jdbc, a);
                        } catch (java.lang.reflect.InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
            List<String> acked = new ArrayList<>();
            try (JournalIntake intake = JournalIntake.open(s, dir, 3, 1L << 30, Duration.ofMillis(10))) {
                for (String id : List.of("a", "b", "c")) {
                    assertTrue(get(intake.add(delivery(id), () -> {})));
                    acked.add(id);
                }
                ExecutionException refused =
                        assertThrows(ExecutionException.class, () -> get(intake.add(delivery("d"), () -> {})));
                assertInstanceOf(WebhookIntake.Full.class, refused.getCause());
                failing.set(false);
                Poll.until(() -> stored(jdbc).containsAll(acked), "the journal stored once the store works");
                Poll.until(() -> intake.journaled() == 0, "the journal emptied");
                assertTrue(get(intake.add(delivery("d"), () -> {})), "room again");
            }
            assertEquals(Set.of("a", "b", "c", "d"), stored(jdbc));
        }
    }
}
