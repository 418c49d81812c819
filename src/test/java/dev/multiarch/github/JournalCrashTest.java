package dev.multiarch.github;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.store.DeliveryState;
import dev.multiarch.store.JdbcStore;
import dev.multiarch.store.Store;
import dev.multiarch.testing.Proc;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal intake killed with SIGKILL at a random point of a webhook burst, five times over one data directory:
 * every delivery acknowledged (its append returned) before the kill is in H2 exactly once after the next start has
 * replayed the journal. The child adds deliveries from 4 threads through {@link JournalIntake} (short group commits,
 * so the kill also lands between a commit and the deletion of its segment), marks earlier ones processed, and prints
 * each id once its acknowledgement completed. Acknowledging before the append made it fail (tried once by hand).
 */
class JournalCrashTest {
    private static final int THREADS = 4;

    @TempDir
    Path dir;

    @Test
    void killedAtARandomPoint_everyAcknowledgedDeliveryIsStored_andReplayedForProcessingOnlyIfNew_fiveTimes()
            throws Exception {
        Random random = new Random();
        Path data = dir.resolve("data");
        Set<String> acked = new HashSet<>();
        for (int round = 0; round < 5; round++) {
            Path out = dir.resolve("acks-" + round);
            Process child = Proc.background(
                    List.of(
                            Path.of(System.getProperty("java.home"), "bin", "java")
                                    .toString(),
                            "-Xmx256m",
                            "-cp",
                            System.getProperty("java.class.path"),
                            Child.class.getName(),
                            data.toString(),
                            "r" + round),
                    out);
            try {
                // Killed after a random number of acknowledgements: chosen by what the child has done, polled with a
                // deadline, not by a wait of so many ms.
                int killAfter = 50 + random.nextInt(1500);
                dev.multiarch.testing.Ports.await(
                        killAfter + " acknowledgements", java.time.Duration.ofSeconds(60), () -> {
                            try {
                                return !child.isAlive() || ids(out).size() >= killAfter;
                            } catch (IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            }
                        });
                assertTrue(child.isAlive(), "the child stopped before it was killed");
                assertTrue(ids(out).size() >= killAfter, "fewer than " + killAfter + " acknowledgements in 60 s");
            } finally {
                child.destroyForcibly(); // SIGKILL
                child.waitFor();
            }
            Set<String> now = ids(out);
            acked.addAll(now);
            try (JdbcStore s = JdbcStore.embedded(data)) {
                Set<String> before = Stream.of(DeliveryState.RECEIVED, DeliveryState.PROCESSED)
                        .flatMap(state -> s.deliveriesIn(state).stream())
                        .map(Store.Delivery::deliveryId)
                        .collect(Collectors.toSet());
                // Opening replays the journal into the store; closing commits and deletes it. What the replay hands
                // over is processed by the caller: none of it may be a delivery the store held already (processed
                // twice), and together they are every acknowledged one.
                JournalIntake replay = JournalIntake.open(s, data);
                List<String> handed = replay.replayed().stream()
                        .map(Store.Delivery::deliveryId)
                        .toList();
                replay.close();
                Set<String> twice = new HashSet<>(handed);
                twice.retainAll(before);
                assertEquals(Set.of(), twice, "round " + round + ": replayed for processing though stored before");
                List<String> stored = Stream.of(DeliveryState.RECEIVED, DeliveryState.PROCESSED)
                        .flatMap(state -> s.deliveriesIn(state).stream())
                        .map(Store.Delivery::deliveryId)
                        .toList();
                Set<String> union = new HashSet<>(before);
                union.addAll(handed);
                assertEquals(new HashSet<>(stored), union, "round " + round + ": stored is what was, plus the replay");
                Set<String> lost = new HashSet<>(acked);
                lost.removeAll(stored);
                assertEquals(
                        Set.of(),
                        lost,
                        "round " + round + ": acknowledged, then lost (" + acked.size() + " acknowledged so far, "
                                + now.size() + " in this round)");
                String any = now.iterator().next();
                assertEquals(
                        Child.payload(any),
                        Stream.of(DeliveryState.RECEIVED, DeliveryState.PROCESSED)
                                .flatMap(state -> s.deliveriesIn(state).stream())
                                .filter(d -> d.deliveryId().equals(any))
                                .findFirst()
                                .orElseThrow()
                                .payload());
            }
        }
    }

    /** The ids of complete lines ("ack ID ."): a line the kill cut short is not an acknowledgement. */
    private static Set<String> ids(Path out) throws IOException {
        if (!Files.exists(out)) {
            return Set.of();
        }
        return Files.readAllLines(out, StandardCharsets.ISO_8859_1).stream()
                .filter(l -> l.startsWith("ack ") && l.endsWith(" ."))
                .map(l -> l.substring(4, l.length() - 2))
                .collect(Collectors.toSet());
    }

    /** Adds deliveries through the journal intake until killed: ARGS = DATA_DIR ROUND_NAME. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            Path data = Path.of(args[0]);
            JdbcStore store = JdbcStore.embedded(data);
            JournalIntake intake = JournalIntake.open(
                    store,
                    data,
                    DeliveryJournal.MAX_RECORDS,
                    DeliveryJournal.MAX_BYTES,
                    java.time.Duration.ofMillis(20));
            PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false, "UTF-8");
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                String prefix = args[1] + "-t" + t + "-";
                Thread th = new Thread(() -> {
                    Random random = new Random();
                    for (int n = 0; ; ) {
                        List<CompletableFuture<Boolean>> acks = new ArrayList<>();
                        List<String> ids = new ArrayList<>();
                        for (int k = 1 + random.nextInt(16); k > 0; k--, n++) {
                            String id = prefix + n;
                            ids.add(id);
                            Store.Delivery d = new Store.Delivery(
                                    "1", id, "push", payload(id), Instant.now(), DeliveryState.RECEIVED, null);
                            acks.add(intake.add(d, () -> intake.mark("1", id, DeliveryState.PROCESSED, "crash test")));
                        }
                        for (int i = 0; i < acks.size(); i++) {
                            if (acks.get(i).join()) {
                                synchronized (out) {
                                    out.println("ack " + ids.get(i) + " .");
                                    out.flush();
                                }
                            }
                        }
                    }
                });
                th.start();
                threads.add(th);
            }
            for (Thread th : threads) {
                th.join();
            }
        }

        /** About 7 KB that deflates about as a push payload does. */
        static String payload(String id) {
            return dev.multiarch.testing.GitHubEvents.syntheticPush(id);
        }
    }
}
