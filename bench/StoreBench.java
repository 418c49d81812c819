import dev.multiarch.store.JdbcStore;
import dev.multiarch.store.NewBuild;
import dev.multiarch.store.Store;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A webhook burst through the Store API: N deliveries of one GitHub push payload (each with its own delivery id,
 * commit id and timestamp, as real ones differ), from T threads (-Dthreads, default 1: one after the other), then M
 * builds; prints the rate and, for H2, the database file's size while open (largest seen during the burst, and at
 * its end) and after close, per 10,000 deliveries, and the largest open size as a multiple of the data the file
 * holds (its size after close: {@code SHUTDOWN COMPACT} rewrites it with only live data).
 *
 * <p>The burst runs twice, each into a fresh store: one delivery per commit ({@code Store.addDelivery}), then through
 * the coordinator's own webhook intake ({@code dev.multiarch.github.DeliveryIntake}: one writer thread committing
 * whatever arrived during its last commit, up to 128, through {@code Store.addDeliveries}; each sender waits for its
 * delivery's acknowledgement, as the webhook handler does, then marks it processed, as the router does). -Dpaths=single
 * or -Dpaths=intake runs one of the two.
 *
 * <p>Run by bench/store-bench; arguments: PAYLOAD_FILE DELIVERIES BUILDS (h2 DIR | postgres JDBC_URL USER)
 */
public class StoreBench {
    public static void main(String[] args) throws Exception {
        String payload = Files.readString(Path.of(args[0]), StandardCharsets.UTF_8);
        int deliveries = Integer.parseInt(args[1]);
        int builds = Integer.parseInt(args[2]);
        boolean h2 = args[3].equals("h2");
        int threads = Integer.getInteger("threads", 1);
        for (String path : System.getProperty("paths", "single,intake").split(",")) {
            System.out.println("-- "
                    + (path.equals("single")
                            ? "one commit per delivery (Store.addDelivery)"
                            : "through the webhook intake (DeliveryIntake: Store.addDeliveries, markDeliveries)"));
            Path dir = h2 ? Path.of(args[4]).resolve(path) : null;
            Store store = h2
                    ? JdbcStore.embedded(dir)
                    : JdbcStore.postgres(args[4], args[5], null, threads + 2, Clock.systemUTC());
            run(store, path.equals("intake"), payload, deliveries, builds, threads, dir);
        }
    }

    private static void run(
            Store store, boolean intake, String payload, int deliveries, int builds, int threads, Path dir)
            throws Exception {
        Path file = dir == null ? null : dir.resolve("multiarch.mv.db");
        Intake in = intake ? new Intake(store) : null;
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
                if (in == null) {
                    store.addDelivery(d);
                } else {
                    in.add(d).get();
                    in.mark(d.hookId(), d.deliveryId(), "processed", "bench");
                }
                if (file != null && i % 100 == 99) {
                    largest.accumulateAndGet(Files.size(file), Math::max);
                }
                return null;
            }));
        }
        for (Future<?> f : sent) {
            f.get();
        }
        pool.shutdown();
        if (in != null) {
            in.close();
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf(
                "deliveries: %d of %.1f KB on average from %d thread(s) in %.1f s (%.0f/s)%n",
                deliveries, payloadBytes.get() / 1024.0 / Math.max(1, deliveries), threads, secs, deliveries / secs);
        long openEnd = file == null ? 0 : Files.size(file);
        long openMax = Math.max(openEnd, largest.get());
        if (file != null) {
            System.out.printf(
                    "  H2 file while open: %.1f MB at the end, %.1f MB at most (per 10,000 deliveries: %.1f MB at"
                            + " the end, %.1f MB at most; payloads %.1f MB)%n",
                    openEnd / 1e6,
                    openMax / 1e6,
                    openEnd / 1e6 * 10_000 / deliveries,
                    openMax / 1e6 * 10_000 / deliveries,
                    payloadBytes.get() / 1e6);
        }
        t0 = System.nanoTime();
        for (int i = 0; i < builds; i++) {
            String sha = String.format("%040x", i);
            store.createBuild(new NewBuild(
                    "octo/app",
                    "https://github.example/octo/app.git",
                    sha,
                    "refs/heads/main",
                    "reg.example/octo/app",
                    "{}",
                    "[]",
                    null,
                    true,
                    false,
                    false,
                    "{\"repo\":\"octo/app\",\"sha\":\"" + sha + "\",\"delivery\":\"" + UUID.randomUUID() + "\"}",
                    List.of(new NewBuild.NewJob("linux/amd64", 600), new NewBuild.NewJob("linux/arm64", 600)),
                    null));
        }
        secs = (System.nanoTime() - t0) / 1e9;
        if (builds > 0) {
            System.out.printf("builds: %d in %.1f s (%.1f ms each)%n", builds, secs, secs * 1000 / builds);
        }
        t0 = System.nanoTime();
        store.close();
        if (file != null) {
            long closed = Files.size(file);
            System.out.printf(
                    "  H2 file after close: %.1f MB (%.1f MB per 10,000 deliveries), close took %.1f s%n",
                    closed / 1e6, closed / 1e6 * 10_000 / deliveries, (System.nanoTime() - t0) / 1e9);
            System.out.printf(
                    "  largest open file / data held (the file after close): %.1f×%n", (double) openMax / closed);
        }
    }

    /** The coordinator's DeliveryIntake (package-private in dev.multiarch.github), reached by reflection. */
    private static final class Intake {
        private final Object intake;
        private final Method add;
        private final Method mark;
        private final Method close;

        Intake(Store store) throws ReflectiveOperationException {
            Class<?> c = Class.forName("dev.multiarch.github.DeliveryIntake");
            Constructor<?> k = c.getDeclaredConstructor(Store.class);
            k.setAccessible(true);
            intake = k.newInstance(store);
            add = c.getDeclaredMethod("add", Store.Delivery.class);
            mark = c.getDeclaredMethod("mark", String.class, String.class, String.class, String.class);
            close = c.getDeclaredMethod("close");
            for (Method m : List.of(add, mark, close)) {
                m.setAccessible(true);
            }
        }

        @SuppressWarnings("unchecked")
        CompletableFuture<Boolean> add(Store.Delivery d) throws ReflectiveOperationException {
            return (CompletableFuture<Boolean>) add.invoke(intake, d);
        }

        void mark(String hookId, String deliveryId, String state, String note) throws ReflectiveOperationException {
            mark.invoke(intake, hookId, deliveryId, state, note);
        }

        void close() throws ReflectiveOperationException {
            close.invoke(intake);
        }
    }
}
