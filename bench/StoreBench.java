import dev.multiarch.platform.Platform;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.store.JdbcStore;
import dev.multiarch.store.NewBuild;
import dev.multiarch.store.Store;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A webhook burst through the Store API: N deliveries of one GitHub push payload (each with its own delivery id,
 * commit id and timestamp, as real ones differ), from T threads (-Dthreads, default 1: one after the other), then M
 * builds; prints the rate and, for H2, the database file's size while open (largest seen during the burst, and at
 * its end) and after close, per 10,000 deliveries.
 *
 * Run by bench/store-bench; arguments: PAYLOAD_FILE DELIVERIES BUILDS (h2 DIR | postgres JDBC_URL USER)
 */
public class StoreBench {
    public static void main(String[] args) throws Exception {
        String payload = Files.readString(Path.of(args[0]), StandardCharsets.UTF_8);
        int deliveries = Integer.parseInt(args[1]);
        int builds = Integer.parseInt(args[2]);
        boolean h2 = args[3].equals("h2");
        int threads = Integer.getInteger("threads", 1);
        // -Dgroup=N: deliveries committed N at a time (the journal intake's group commits), not one by one.
        int group = Integer.getInteger("group", 1);
        List<Store.Delivery> waiting = new ArrayList<>();
        Path dir = h2 ? Path.of(args[4]) : null;
        Path file = h2 ? dir.resolve("multiarch.mv.db") : null;
        Store store = h2
                ? JdbcStore.embedded(dir)
                : JdbcStore.postgres(args[4], args[5], null, threads + 2, Clock.systemUTC());
        long[] before = h2 ? h2Writes(dir) : null;
        AtomicLong payloadBytes = new AtomicLong();
        AtomicLong largest = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> sent = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int n = 0; n < deliveries; n++) {
            int i = n;
            sent.add(pool.submit(() -> {
                String sha = String.format("%040x", (long) i * 2654435761L);
                String p = payload.replace("6113728f27ae82c7b1a177c8d03f9e96e0adf246", sha)
                        .replace("1557933657", String.valueOf(1_700_000_000L + i));
                payloadBytes.addAndGet(p.getBytes(StandardCharsets.UTF_8).length);
                Store.Delivery d =
                        new Store.Delivery("1", UUID.randomUUID().toString(), "push", p, Instant.now(), null, null);
                if (group > 1) {
                    List<Store.Delivery> full = null;
                    synchronized (waiting) {
                        waiting.add(d);
                        if (waiting.size() == group || i == deliveries - 1) {
                            full = new ArrayList<>(waiting);
                            waiting.clear();
                        }
                    }
                    if (full != null) {
                        store.addDeliveries(full);
                    }
                } else {
                    store.addDelivery(d);
                }
                if (h2 && i % 100 == 99) {
                    largest.accumulateAndGet(Files.size(file), Math::max);
                }
                return null;
            }));
        }
        for (Future<?> f : sent) {
            f.get();
        }
        pool.shutdown();
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf(
                "deliveries: %d of %.1f KB on average from %d thread(s) in %.1f s (%.0f/s)%s%n",
                deliveries,
                payloadBytes.get() / 1024.0 / Math.max(1, deliveries),
                threads,
                secs,
                deliveries / secs,
                group > 1 ? ", committed " + group + " at a time" : "");
        if (h2) {
            System.out.printf(
                    "  H2 file while open: %.1f MB at the end, %.1f MB at most (per 10,000 deliveries: %.1f MB;"
                            + " payloads %.1f MB)%n",
                    mb(file), largest.get() / 1e6, mb(file) * 10_000 / deliveries, payloadBytes.get() / 1e6);
            long[] after = h2Writes(dir);
            long writes = after[0] - before[0];
            System.out.printf(
                    "  H2 writes (about one per commit): %.2f per delivery, %.1f KB each%n",
                    (double) writes / deliveries, (after[1] - before[1]) / 1024.0 / Math.max(1, writes));
        }
        t0 = System.nanoTime();
        for (int i = 0; i < builds; i++) {
            String sha = String.format("%040x", i);
            store.createBuild(NewBuild.builder()
                    .repo("octo/app")
                    .cloneUrl("https://github.example/octo/app.git")
                    .commit(sha)
                    .ref("refs/heads/main")
                    .image(ImageReference.parse("reg.example/octo/app"))
                    .spec("{}")
                    .tags("[]")
                    .push(true)
                    .trigger("{\"repo\":\"octo/app\",\"sha\":\"" + sha + "\",\"delivery\":\"" + UUID.randomUUID()
                            + "\"}")
                    .jobs(List.of(
                            new NewBuild.NewJob(Platform.parse("linux/amd64"), 600),
                            new NewBuild.NewJob(Platform.parse("linux/arm64"), 600)))
                    .build());
        }
        secs = (System.nanoTime() - t0) / 1e9;
        if (builds > 0) {
            System.out.printf("builds: %d in %.1f s (%.1f ms each)%n", builds, secs, secs * 1000 / builds);
        }
        double largestOpen = Math.max(largest.get(), h2 ? Files.size(file) : 0);
        t0 = System.nanoTime();
        store.close();
        if (h2) {
            System.out.printf(
                    "  H2 file after close: %.1f MB (%.1f MB per 10,000 deliveries), close took %.1f s%n",
                    mb(file), mb(file) * 10_000 / deliveries, (System.nanoTime() - t0) / 1e9);
            System.out.printf("  largest open file: %.1f× the data it holds%n", largestOpen / Files.size(file));
        }
    }

    /** H2's count of file writes and of bytes written since the database was opened (INFORMATION_SCHEMA). */
    private static long[] h2Writes(Path dir) throws java.sql.SQLException {
        long[] w = new long[2];
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(JdbcStore.embeddedUrl(dir), "multiarch", "");
                java.sql.ResultSet r = c.createStatement()
                        .executeQuery("SELECT SETTING_NAME, SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS"
                                + " WHERE SETTING_NAME IN ('info.FILE_WRITE', 'info.FILE_WRITE_BYTES')")) {
            while (r.next()) {
                w[r.getString(1).equals("info.FILE_WRITE") ? 0 : 1] = Long.parseLong(r.getString(2));
            }
        }
        return w;
    }

    private static double mb(Path f) throws java.io.IOException {
        return Files.size(f) / 1e6;
    }
}
