package dev.multiarch.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The H2 store killed with SIGKILL at a random point of a webhook burst, five times over one file: every delivery
 * acknowledged (its commit returned) before the kill is there when the file is opened again. The child stores
 * deliveries from 4 threads, in batches as the webhook intake does, marks earlier ones processed (so chunks empty
 * while the burst runs) and prints each id once its commit has returned. It fails without {@code WRITE_DELAY=0}; it
 * also failed, once in 40 kills, with {@code RETENTION_TIME=0} and chunks rewritten while open (see the package
 * documentation).
 */
class StoreCrashTest {
    private static final int THREADS = 4;

    @TempDir
    Path dir;

    @Test
    void killedAtARandomPoint_everyAcknowledgedDeliveryIsStored_fiveTimes() throws Exception {
        Random random = new Random();
        Set<String> acked = new HashSet<>();
        for (int round = 0; round < 5; round++) {
            Process child = new ProcessBuilder(
                            Path.of(System.getProperty("java.home"), "bin", "java")
                                    .toString(),
                            "-Xmx256m",
                            "-cp",
                            System.getProperty("java.class.path"),
                            Child.class.getName(),
                            dir.toString(),
                            "r" + round)
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            List<String> lines = new ArrayList<>();
            Thread reader = new Thread(() -> {
                try (BufferedReader r =
                        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        synchronized (lines) {
                            lines.add(line);
                        }
                    }
                } catch (java.io.IOException e) {
                    // the pipe closes when the child is killed
                }
            });
            reader.start();
            // Killed after a random number of acknowledgements (by then H2 has rewritten chunks several times): the
            // point is chosen by what the child has done, polled with a deadline, not by a wait of so many ms.
            int killAfter = 50 + random.nextInt(1500);
            dev.multiarch.testing.Ports.await(
                    killAfter + " acknowledgements",
                    java.time.Duration.ofSeconds(60),
                    () -> !child.isAlive() || count(lines) >= killAfter);
            assertTrue(child.isAlive(), "the child stopped before it was killed (" + count(lines) + " acknowledged)");
            assertTrue(count(lines) >= killAfter, "fewer than " + killAfter + " acknowledgements in 60 s");
            child.destroyForcibly(); // SIGKILL
            child.waitFor();
            reader.join();
            Set<String> now = ids(lines);
            assertTrue(now.size() > 0, "round " + round + ": nothing acknowledged");
            acked.addAll(now);
            try (JdbcStore s = JdbcStore.embedded(dir)) {
                Set<String> stored = Stream.of(DeliveryState.RECEIVED, DeliveryState.PROCESSED)
                        .flatMap(state -> s.deliveriesIn(state).stream())
                        .map(Store.Delivery::deliveryId)
                        .collect(Collectors.toSet());
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
                        s.deliveriesIn(dev.multiarch.store.DeliveryState.RECEIVED).stream()
                                .filter(d -> d.deliveryId().equals(any))
                                .map(Store.Delivery::payload)
                                .findFirst()
                                .orElseGet(() -> s.deliveriesIn(dev.multiarch.store.DeliveryState.PROCESSED).stream()
                                        .filter(d -> d.deliveryId().equals(any))
                                        .map(Store.Delivery::payload)
                                        .findFirst()
                                        .orElseThrow()));
            }
        }
    }

    private static int count(List<String> lines) {
        synchronized (lines) {
            return lines.size();
        }
    }

    /** The ids of complete lines ("ack ID ."): a line the kill cut short is not an acknowledgement. */
    private static Set<String> ids(List<String> lines) {
        synchronized (lines) {
            return lines.stream()
                    .filter(l -> l.startsWith("ack ") && l.endsWith(" ."))
                    .map(l -> l.substring(4, l.length() - 2))
                    .collect(Collectors.toSet());
        }
    }

    /** Stores deliveries until killed: ARGS = STORE_DIR ROUND_NAME. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            JdbcStore store = JdbcStore.embedded(Path.of(args[0]));
            PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false, "UTF-8");
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                String prefix = args[1] + "-t" + t + "-";
                Thread th = new Thread(() -> {
                    Random random = new Random();
                    List<String> earlier = new ArrayList<>();
                    for (int n = 0; ; ) {
                        List<Store.Delivery> batch = new ArrayList<>();
                        for (int k = 1 + random.nextInt(16); k > 0; k--, n++) {
                            String id = prefix + n;
                            batch.add(new Store.Delivery("1", id, "push", payload(id), Instant.now(), null, null));
                        }
                        store.addDeliveries(batch);
                        synchronized (out) {
                            batch.forEach(d -> out.println("ack " + d.deliveryId() + " ."));
                            out.flush();
                        }
                        batch.forEach(d -> earlier.add(d.deliveryId()));
                        if (earlier.size() > 32) {
                            store.markDeliveries(earlier.subList(0, 16).stream()
                                    .map(id -> new Store.DeliveryMark(
                                            "1", id, dev.multiarch.store.DeliveryState.PROCESSED, "crash test"))
                                    .toList());
                            earlier.subList(0, 16).clear();
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
