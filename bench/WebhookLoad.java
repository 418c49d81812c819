import dev.multiarch.github.WebhookSignature;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * An open-loop load on a coordinator's {@code POST /webhook}: deliveries issued on a fixed schedule (RATE per second
 * for SECONDS), each at its time whatever the earlier ones got, so a slow answer cannot slow the load down and hide
 * itself (a closed loop such as wrk's waits for answers and under-reports: coordinated omission). Each delivery is
 * GitHub's push example as GitHub sends it: signed (X-Hub-Signature-256), with a delivery GUID of its own.
 *
 * <p>Latency is measured from the delivery's scheduled time to its answer. Afterwards (the coordinator stopped), the
 * deliveries table is counted: every acknowledged delivery must be stored.
 *
 * <p>Run by bench/webhook-load; arguments: URL PAYLOAD_FILE SECRET RATE SECONDS ACK_FILE [WARMUP_SECONDS] (the ids
 * answered 202 are written to ACK_FILE, each delivery's schedule and answer to ACK_FILE.times; a warm-up at the same
 * rate goes first, in the same process); then, with the coordinator stopped: count STORE_DIR ACK_FILE
 */
public class WebhookLoad {
    public static void main(String[] args) throws Exception {
        if (args[0].equals("count")) {
            count(Path.of(args[1]), Path.of(args[2]));
            return;
        }
        URI url = URI.create(args[0]);
        byte[] body = Files.readAllBytes(Path.of(args[1]));
        String signature = WebhookSignature.sign(args[2], body);
        int rate = Integer.parseInt(args[3]);
        int seconds = Integer.parseInt(args[4]);
        Path acked = Path.of(args[5]);
        int warmup = args.length > 6 ? Integer.parseInt(args[6]) : 0;
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .executor(Executors.newFixedThreadPool(4, r -> {
                    Thread t = new Thread(r, "answers");
                    t.setDaemon(true);
                    return t;
                }))
                .build();
        if (warmup > 0) {
            // In this process, so that the measured phase does not pay for this JVM's start and compilation.
            System.out.print("warm-up, " + warmup + " s: ");
            load(http, url, body, signature, rate, warmup, Path.of(acked + ".warmup"), true);
        }
        load(http, url, body, signature, rate, seconds, acked, false);
    }

    private static void load(
            HttpClient http, URI url, byte[] body, String signature, int rate, int seconds, Path acked, boolean brief)
            throws Exception {
        int total = rate * seconds;
        long[] latency = new long[total];
        int[] status = new int[total];
        String[] ids = new String[total];
        AtomicInteger done = new AtomicInteger();
        Map<String, Integer> errors = new ConcurrentHashMap<>();
        List<CompletableFuture<Void>> all = new ArrayList<>(total);
        long period = 1_000_000_000L / rate;
        long start = System.nanoTime() + 200_000_000L;
        long startEpochMillis = System.currentTimeMillis() + 200;
        long lateMax = 0;
        for (int i = 0; i < total; i++) {
            long due = start + i * period;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            lateMax = Math.max(lateMax, System.nanoTime() - due);
            String id = UUID.randomUUID().toString();
            ids[i] = id;
            HttpRequest r = HttpRequest.newBuilder(url)
                    .timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json")
                    .header("X-GitHub-Event", "push")
                    .header("X-GitHub-Delivery", id)
                    .header("X-GitHub-Hook-ID", "4242")
                    .header("X-Hub-Signature-256", signature)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                    .build();
            int n = i;
            all.add(http.sendAsync(r, HttpResponse.BodyHandlers.discarding()).handle((res, err) -> {
                latency[n] = System.nanoTime() - due;
                if (err != null) {
                    errors.merge(err.getClass().getSimpleName(), 1, Integer::sum);
                } else {
                    status[n] = res.statusCode();
                }
                done.incrementAndGet();
                return null;
            }));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(2, TimeUnit.MINUTES);
        List<Long> ok = new ArrayList<>();
        Map<Integer, Integer> statuses = new TreeMap<>();
        StringBuilder ackIds = new StringBuilder();
        for (int i = 0; i < total; i++) {
            statuses.merge(status[i], 1, Integer::sum);
            if (status[i] == 202) {
                ok.add(latency[i]);
                ackIds.append(ids[i]).append('\n');
            }
        }
        Files.writeString(acked, ackIds);
        // Each delivery's schedule (ms since the first, and the wall clock of the first) and answer, to line the slow
        // ones up with a profile of the coordinator (GC pauses, commits).
        StringBuilder times = new StringBuilder("# start " + java.time.Instant.ofEpochMilli(startEpochMillis) + "\n");
        for (int i = 0; i < total; i++) {
            times.append(String.format(Locale.ROOT, "%.3f %.3f %d%n", i * period / 1e6, latency[i] / 1e6, status[i]));
        }
        Files.writeString(Path.of(acked + ".times"), times);
        ok.sort(null);
        if (brief) {
            System.out.printf(
                    Locale.ROOT,
                    "%s, p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
                    statuses,
                    pct(ok, 50),
                    pct(ok, 99),
                    ok.isEmpty() ? Double.NaN : ok.get(ok.size() - 1) / 1e6);
            return;
        }
        System.out.printf(
                Locale.ROOT,
                "%d deliveries of %d bytes at %d/s for %d s (open loop; the sender was at most "
                        + "%.1f ms behind its schedule)%n%n",
                total,
                body.length,
                rate,
                seconds,
                lateMax / 1e6);
        System.out.println("| answers | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms |");
        System.out.println("|---|---|---|---|---|---|");
        System.out.printf(
                Locale.ROOT,
                "| %s%s | %.2f | %.2f | %.2f | %.2f | %.2f |%n",
                statuses,
                errors.isEmpty() ? "" : ", errors " + errors,
                pct(ok, 50),
                pct(ok, 90),
                pct(ok, 99),
                pct(ok, 99.9),
                ok.isEmpty() ? Double.NaN : ok.get(ok.size() - 1) / 1e6);
    }

    private static double pct(List<Long> sorted, double p) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i))) / 1e6;
    }

    /** How many acknowledged deliveries the store holds, and in which state. */
    private static void count(Path store, Path acked) throws Exception {
        List<String> ids = Files.readAllLines(acked);
        Class.forName("org.h2.Driver");
        try (Connection c = DriverManager.getConnection(
                "jdbc:h2:file:" + store.toAbsolutePath().resolve("multiarch"), "multiarch", "")) {
            c.createStatement().execute("CREATE LOCAL TEMPORARY TABLE acked (id VARCHAR(100) PRIMARY KEY)");
            try (var p = c.prepareStatement("INSERT INTO acked VALUES (?)")) {
                for (String id : ids) {
                    p.setString(1, id);
                    p.addBatch();
                }
                p.executeBatch();
            }
            Map<String, Integer> states = new TreeMap<>();
            try (ResultSet r = c.createStatement()
                    .executeQuery("SELECT d.state, COUNT(*) FROM deliveries d JOIN acked a ON a.id = d.delivery_id "
                            + "GROUP BY d.state")) {
                while (r.next()) {
                    states.put(r.getString(1), r.getInt(2));
                }
            }
            int stored = states.values().stream().mapToInt(Integer::intValue).sum();
            System.out.printf(
                    Locale.ROOT,
                    "%nacknowledged 202: %d; stored: %d %s; lost: %d%n",
                    ids.size(),
                    stored,
                    states,
                    ids.size() - stored);
        }
    }
}
