package dev.multiarch.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.multiarch.testing.TestDatabases;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** Webhook deliveries stored in batches (the intake's group commit): each answered as if stored on its own. */
@ParameterizedClass(name = "{0}")
@EnumSource(TestDatabases.Kind.class)
@ExtendWith(TestDatabases.class)
class DeliveryBatchTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    @Parameter
    TestDatabases.Kind kind;

    @TempDir
    Path dir;

    TestDatabases.TestDatabase db;
    TestDatabases databases;

    @BeforeEach
    void database(TestDatabases databases) {
        this.databases = databases;
        db = databases.fresh(kind, dir);
    }

    private static Store.Delivery delivery(String hook, String id) {
        return new Store.Delivery(
                hook, id, "push", "{\"id\":\"" + id + "\",\"pad\":\"" + "p".repeat(500) + "\"}", T0, null, null);
    }

    @Test
    void aBatch_answersNewOnceForEachKey_storedBeforeAndRepeatedInTheBatchAreNot() {
        try (JdbcStore s = db.open()) {
            s.addDelivery(delivery("1", "before"));
            List<Boolean> added = s.addDeliveries(List.of(
                    delivery("1", "a"),
                    delivery("1", "before"),
                    delivery("1", "b"),
                    delivery("1", "a"),
                    delivery("2", "a")));
            assertEquals(List.of(true, false, true, false, true), added, "hook 2's 'a' is another delivery");
            Map<String, String> payloads = s.deliveriesIn(dev.multiarch.store.DeliveryState.RECEIVED).stream()
                    .collect(Collectors.toMap(d -> d.hookId() + "/" + d.deliveryId(), Store.Delivery::payload));
            assertEquals(4, payloads.size(), payloads.keySet().toString());
            assertEquals(delivery("1", "b").payload(), payloads.get("1/b"));
            assertEquals(delivery("2", "a").payload(), payloads.get("2/a"));
        }
    }

    @Test
    void marksInOneBatch_eachSetsItsDeliverysStateAndNote_andNoOther() {
        try (JdbcStore s = db.open()) {
            s.addDeliveries(List.of(delivery("1", "a"), delivery("1", "b"), delivery("1", "c")));
            s.markDeliveries(List.of(
                    new Store.DeliveryMark("1", "a", dev.multiarch.store.DeliveryState.PROCESSED, "build 7"),
                    new Store.DeliveryMark("1", "c", dev.multiarch.store.DeliveryState.IGNORED, "no workflow"),
                    new Store.DeliveryMark(
                            "1",
                            "nobody",
                            dev.multiarch.store.DeliveryState.PROCESSED,
                            "a delivery never stored changes nothing")));
            assertEquals(List.of("a"), ids(s, DeliveryState.PROCESSED));
            assertEquals(List.of("b"), ids(s, DeliveryState.RECEIVED));
            assertEquals(List.of("c"), ids(s, DeliveryState.IGNORED));
            assertEquals(
                    "no workflow",
                    s.deliveriesIn(dev.multiarch.store.DeliveryState.IGNORED)
                            .get(0)
                            .note());
        }
    }

    private static List<String> ids(Store s, DeliveryState state) {
        return s.deliveriesIn(state).stream()
                .map(Store.Delivery::deliveryId)
                .sorted()
                .toList();
    }

    @Test
    void twoCoordinatorsBatchingTheSameRedeliveriesAtOnce_eachDeliveryIsNewExactlyOnce() throws Exception {
        // only PostgreSQL is shared by coordinators: this case runs on POSTGRESQL whichever database the class runs on.
        db = databases.fresh(TestDatabases.Kind.POSTGRESQL, dir);
        int n = 2_000;
        try (JdbcStore a = db.open();
                JdbcStore b = db.open()) {
            ExecutorService pool = Executors.newFixedThreadPool(4);
            List<Future<Map<String, Long>>> runs = new ArrayList<>();
            for (JdbcStore s : List.of(a, b, a, b)) {
                runs.add(pool.submit(() -> {
                    Map<String, Long> mine = new java.util.HashMap<>();
                    for (int from = 0; from < n; from += 50) {
                        List<Store.Delivery> batch = IntStream.range(from, from + 50)
                                .mapToObj(i -> delivery("1", "d-" + i))
                                .toList();
                        List<Boolean> added = s.addDeliveries(batch);
                        for (int i = 0; i < batch.size(); i++) {
                            if (added.get(i)) {
                                mine.merge(batch.get(i).deliveryId(), 1L, Long::sum);
                            }
                        }
                    }
                    return mine;
                }));
            }
            Map<String, Long> total = new java.util.HashMap<>();
            for (Future<Map<String, Long>> f : runs) {
                f.get().forEach((id, c) -> total.merge(id, c, Long::sum));
            }
            pool.shutdown();
            assertEquals(n, total.size(), "every delivery new once somewhere");
            assertEquals(
                    Map.of(1L, (long) n),
                    total.values().stream().collect(Collectors.groupingBy(Function.identity(), Collectors.counting())),
                    "and nowhere twice");
            assertEquals(
                    n,
                    b.deliveriesIn(dev.multiarch.store.DeliveryState.RECEIVED).size());
        }
    }

    @Test
    void deliveriesWithMarksInOneCall_newOnesStored_earlierOnesMarked_redeliveriesAnsweredFalse() {
        try (JdbcStore s = db.open()) {
            s.addDeliveries(List.of(delivery("1", "a"), delivery("1", "b")));
            List<Boolean> added = s.addDeliveries(
                    List.of(delivery("1", "c"), delivery("1", "a")),
                    List.of(
                            new Store.DeliveryMark("1", "a", dev.multiarch.store.DeliveryState.PROCESSED, "build 7"),
                            new Store.DeliveryMark(
                                    "1", "b", dev.multiarch.store.DeliveryState.IGNORED, "no workflow")));
            assertEquals(List.of(true, false), added);
            assertEquals(List.of("a"), ids(s, DeliveryState.PROCESSED));
            assertEquals(List.of("b"), ids(s, DeliveryState.IGNORED));
            assertEquals(List.of("c"), ids(s, DeliveryState.RECEIVED));
            assertEquals(List.of(true), s.addDeliveries(List.of(delivery("1", "d")), List.of()), "no marks");
            assertEquals(
                    List.of(),
                    s.addDeliveries(
                            List.of(),
                            List.of(new Store.DeliveryMark("1", "c", dev.multiarch.store.DeliveryState.FAILED, "x"))),
                    "marks alone");
            assertEquals(List.of("c"), ids(s, DeliveryState.FAILED));
        }
    }

    @Test
    void twoCoordinatorsBatchingRedeliveriesWithMarks_eachDeliveryNewOnce_andEveryMarkWritten() throws Exception {
        // The collision path (rolled back, then one by one) must still write the marks that rode with the batch.
        db = databases.fresh(TestDatabases.Kind.POSTGRESQL, dir);
        int n = 1_000;
        try (JdbcStore a = db.open();
                JdbcStore b = db.open()) {
            ExecutorService pool = Executors.newFixedThreadPool(2);
            List<Future<Map<String, Long>>> runs = new ArrayList<>();
            for (JdbcStore s : List.of(a, b)) {
                runs.add(pool.submit(() -> {
                    Map<String, Long> mine = new java.util.HashMap<>();
                    for (int from = 0; from < n; from += 50) {
                        List<Store.Delivery> batch = IntStream.range(from, from + 50)
                                .mapToObj(i -> delivery("1", "d-" + i))
                                .toList();
                        List<Store.DeliveryMark> marks = IntStream.range(Math.max(0, from - 50), from)
                                .mapToObj(i -> new Store.DeliveryMark(
                                        "1", "d-" + i, dev.multiarch.store.DeliveryState.PROCESSED, "a later batch"))
                                .toList();
                        List<Boolean> added = s.addDeliveries(batch, marks);
                        for (int i = 0; i < batch.size(); i++) {
                            if (added.get(i)) {
                                mine.merge(batch.get(i).deliveryId(), 1L, Long::sum);
                            }
                        }
                    }
                    return mine;
                }));
            }
            Map<String, Long> total = new java.util.HashMap<>();
            for (Future<Map<String, Long>> f : runs) {
                f.get().forEach((id, c) -> total.merge(id, c, Long::sum));
            }
            pool.shutdown();
            assertEquals(n, total.size(), "every delivery new once somewhere");
            assertEquals(
                    Map.of(1L, (long) n),
                    total.values().stream().collect(Collectors.groupingBy(Function.identity(), Collectors.counting())));
            assertEquals(
                    n - 50,
                    b.deliveriesIn(dev.multiarch.store.DeliveryState.PROCESSED).size(),
                    "all but the last batch marked");
            assertEquals(
                    50,
                    b.deliveriesIn(dev.multiarch.store.DeliveryState.RECEIVED).size());
        }
    }
}
