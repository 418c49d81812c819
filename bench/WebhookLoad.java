import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * An open-loop load on a coordinator's {@code POST /webhook}: deliveries issued on a fixed schedule (RATE per second
 * for SECONDS), each at its time whatever the earlier ones got, so a slow answer cannot slow the load down and hide
 * itself (a closed loop such as wrk's waits for answers and under-reports: coordinated omission). Each delivery is
 * GitHub's push example as GitHub sends it: signed (X-Hub-Signature-256), with a delivery GUID of its own.
 *
 * <p>By default every delivery is a different push ({@link Pushes}): the example made a one-commit branch push with
 * its own commit, tree and parent ids, branch, time, message, author and files, each signed over its own body, as
 * real pushes differ; with {@code WEBHOOK_PAYLOADS=identical} in the environment every delivery is the example
 * exactly (one body, one signature: the figures measured before 2026-11-29). Identical bodies deflate and compress
 * alike in the store, so they understate what a store of real deliveries holds. Bodies are made ahead of their time
 * by a thread of their own, at most {@code QUEUED} waiting, so that making them cannot delay the schedule (the
 * summary says how far behind it the sender ever was, and how long a body took to make).
 *
 * <p>Latency is measured from the delivery's scheduled time to its answer. Afterwards (the coordinator stopped), the
 * deliveries table is counted: every acknowledged delivery must be stored.
 *
 * <p>Run by bench/webhook-load; arguments: URL PAYLOAD_FILE SECRET RATE SECONDS ACK_FILE [WARMUP_SECONDS] (the ids
 * answered 202 are written to ACK_FILE, each delivery's schedule and answer to ACK_FILE.times; a warm-up at the same
 * rate goes first, in the same process); sample PAYLOAD_FILE N prints the Nth distinct body; then, with the
 * coordinator stopped: count STORE_DIR ACK_FILE (also what
 * the store holds per 10,000 deliveries: the payloads' JSON bytes, their deflated bytes as stored, the file's size)
 */
public class WebhookLoad {
    public static void main(String[] args) throws Exception {
        if (args[0].equals("count")) {
            count(Path.of(args[1]), Path.of(args[2]));
            return;
        }
        if (args[0].equals("sample")) {
            // sample PAYLOAD_FILE N: the Nth body of the measured phase, to look at.
            Pushes p = new Pushes(Files.readAllBytes(Path.of(args[1])), "secret", false, 2);
            for (int i = Integer.parseInt(args[2]); i > 1; i--) {
                p.next();
            }
            System.out.write(p.next().body());
            System.out.flush();
            return;
        }
        URI url = URI.create(args[0]);
        byte[] example = Files.readAllBytes(Path.of(args[1]));
        String secret = args[2];
        boolean identical = "identical".equals(System.getenv("WEBHOOK_PAYLOADS"));
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
            load(http, url, new Pushes(example, secret, identical, 1), rate, warmup, Path.of(acked + ".warmup"), true);
        }
        load(http, url, new Pushes(example, secret, identical, 2), rate, seconds, acked, false);
    }

    /** How many bodies are made ahead of their time, at most (about 8 KB each). */
    private static final int QUEUED = 2_000;

    private static void load(HttpClient http, URI url, Pushes pushes, int rate, int seconds, Path acked, boolean brief)
            throws Exception {
        int total = rate * seconds;
        BlockingQueue<Push> ready = new ArrayBlockingQueue<>(QUEUED);
        AtomicLong making = new AtomicLong();
        Thread maker = new Thread(
                () -> {
                    try {
                        for (int i = 0; i < total; i++) {
                            long t0 = System.nanoTime();
                            Push p = pushes.next();
                            making.addAndGet(System.nanoTime() - t0);
                            ready.put(p);
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                },
                "bodies");
        maker.setDaemon(true);
        maker.start();
        // The schedule starts once the queue is full (or holds every body), so it never waits for the first ones.
        while (ready.remainingCapacity() > 0 && ready.size() < total) {
            LockSupport.parkNanos(1_000_000L);
        }
        long[] bytes = new long[total];
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
            Push push = ready.take();
            lateMax = Math.max(lateMax, System.nanoTime() - due);
            String id = UUID.randomUUID().toString();
            ids[i] = id;
            bytes[i] = push.body().length;
            HttpRequest r = HttpRequest.newBuilder(url)
                    .timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json")
                    .header("X-GitHub-Event", "push")
                    .header("X-GitHub-Delivery", id)
                    .header("X-GitHub-Hook-ID", "4242")
                    .header("X-Hub-Signature-256", push.signature())
                    .POST(HttpRequest.BodyPublishers.ofByteArray(push.body()))
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
        long sent = 0;
        for (int i = 0; i < total; i++) {
            sent += bytes[i];
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
                    "%s, p50 %.2f ms, p99 %.2f ms, max %.2f ms; %d payload bytes sent%n",
                    statuses,
                    pct(ok, 50),
                    pct(ok, 99),
                    ok.isEmpty() ? Double.NaN : ok.get(ok.size() - 1) / 1e6,
                    sent);
            return;
        }
        System.out.printf(
                Locale.ROOT,
                "%d deliveries, %s, %d payload bytes (%.0f a delivery), at %d/s for %d s (open loop; the sender was "
                        + "at most %.1f ms behind its schedule; %.1f µs to make and sign a body, on a thread of its "
                        + "own)%n%n",
                total,
                pushes.identical ? "the same example every time" : "each a different push",
                sent,
                (double) sent / total,
                rate,
                seconds,
                lateMax / 1e6,
                making.get() / 1e3 / total);
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
        long file = Files.size(store.resolve("multiarch.mv.db"));
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
            // What the store holds, warm-up included: the payloads as received (inflated again) and as stored.
            long rows = 0;
            long json = 0;
            long deflated = 0;
            long rowBytes = 0;
            boolean apart; // V16: payloads in a table of their own
            try (ResultSet r = c.createStatement()
                    .executeQuery(
                            "SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_NAME = 'DELIVERY_PAYLOADS'")) {
                apart = r.next() && r.getInt(1) > 0;
            }
            try (ResultSet r = c.createStatement()
                    .executeQuery("SELECT " + (apart ? "COALESCE(d.payload_z, p.payload_z)" : "d.payload_z")
                            + ", LENGTH(d.hook_id) + LENGTH(d.delivery_id) + LENGTH(d.event) + LENGTH(d.state) + "
                            + "COALESCE(LENGTH(d.note), 0) + COALESCE(LENGTH(d.claimed_by), 0) FROM deliveries d"
                            + (apart ? " LEFT JOIN delivery_payloads p ON p.id = d.payload_id" : ""))) {
                while (r.next()) {
                    byte[] z = r.getBytes(1);
                    rows++;
                    deflated += z.length;
                    json += inflatedLength(z);
                    rowBytes += r.getLong(2);
                }
            }
            System.out.printf(
                    Locale.ROOT,
                    "the store holds %d deliveries: payloads %d bytes as received (JSON), %d deflated as stored, "
                            + "%d in the other columns' text; the file %d bytes before this count opened it%n"
                            + "per 10,000 deliveries: JSON %.1f MB, deflated %.1f MB, other text %.1f MB, file %.1f MB%n",
                    rows,
                    json,
                    deflated,
                    rowBytes,
                    file,
                    json * 1e4 / rows / 1048576,
                    deflated * 1e4 / rows / 1048576,
                    rowBytes * 1e4 / rows / 1048576,
                    file * 1e4 / rows / 1048576);
        }
    }

    private static long inflatedLength(byte[] z) throws java.util.zip.DataFormatException {
        java.util.zip.Inflater i = new java.util.zip.Inflater();
        try {
            i.setInput(z);
            byte[] buf = new byte[16384];
            long n = 0;
            while (!i.finished()) {
                int k = i.inflate(buf);
                if (k == 0 && i.needsInput()) {
                    throw new java.util.zip.DataFormatException("cut short");
                }
                n += k;
            }
            return n;
        } finally {
            i.end();
        }
    }

    /** A body and its signature. */
    record Push(byte[] body, String signature) {}

    /**
     * The deliveries' bodies: GitHub's push example every time ({@code identical}), or a different one-commit branch
     * push each time, as real pushes differ: new commit, tree and parent ids (40 hex digits; each id repeated where
     * GitHub repeats it: after, head_commit, commits, the URLs), branch, time, message (words drawn from a list, 3 to
     * 14 of them, sometimes with a second paragraph), author and committer, files added and modified; the repository,
     * the pusher's account and the sender stay the example's (one repository's pushes). About 8 KB each.
     */
    static final class Pushes {
        private static final String[] WORDS = ("fix add remove update refactor build image cache layer registry "
                        + "manifest platform arm64 amd64 runner job queue lease test docs readme config yaml tag "
                        + "release bump version dependency error handling retry timeout log metric dashboard "
                        + "webhook signature store migration index query parse checkout mirror publish sign "
                        + "provenance digest base workflow matrix step env secret token permissions the a of for "
                        + "in on when with to and from after before not")
                .split(" ");
        private static final String[] DIRS = {"src/main/java/app/", "src/test/java/app/", "docs/", "deploy/", ""};
        private static final String[] EXTS = {".java", ".md", ".yaml", ".json", ".sh", ".go", ".py"};
        private static final ObjectMapper JSON = new ObjectMapper();

        final boolean identical;
        private final byte[] example;
        private final String secret;
        private final String exampleSignature;
        private final ObjectNode template;
        private final SplittableRandom random;
        private final String[][] people;
        private long clock = Instant.parse("2026-11-29T00:00:00Z").getEpochSecond();

        Pushes(byte[] example, String secret, boolean identical, long seed) throws Exception {
            this.example = example;
            this.secret = secret;
            this.identical = identical;
            this.exampleSignature = WebhookSignature.sign(secret, example);
            this.template = (ObjectNode) JSON.readTree(example);
            this.random = new SplittableRandom(seed);
            // A team of 40 people pushing to one repository.
            people = new String[40][];
            for (int i = 0; i < people.length; i++) {
                String login = word() + "-" + word() + random.nextInt(100);
                people[i] = new String[] {
                    capital(word()) + " " + capital(word()) + "son",
                    (10_000_000 + random.nextInt(90_000_000)) + "+" + login + "@users.noreply.github.com",
                    login
                };
            }
        }

        Push next() {
            if (identical) {
                return new Push(example, exampleSignature);
            }
            try {
                ObjectNode p = template.deepCopy();
                String before = hex();
                String after = hex();
                String branch = word() + "-" + word();
                clock += 1 + random.nextInt(30);
                String time = Instant.ofEpochSecond(clock).toString();
                String[] who = people[random.nextInt(people.length)];
                String html = p.path("repository").path("html_url").asText();
                p.put("ref", "refs/heads/" + branch);
                p.put("before", before);
                p.put("after", after);
                p.put("created", false);
                p.put("compare", html + "/compare/" + before.substring(0, 12) + "..." + after.substring(0, 12));
                ObjectNode head = (ObjectNode) p.get("head_commit");
                head.put("id", after);
                head.put("tree_id", hex());
                head.put("message", message());
                head.put("timestamp", time);
                head.put("url", html + "/commit/" + after);
                for (String role : new String[] {"author", "committer"}) {
                    ObjectNode a = (ObjectNode) head.get(role);
                    a.put("name", who[0]);
                    a.put("email", who[1]);
                    a.put("username", who[2]);
                }
                ArrayNode added = head.putArray("added");
                ArrayNode modified = head.putArray("modified");
                for (int i = random.nextInt(3); i > 0; i--) {
                    added.add(path());
                }
                for (int i = 1 + random.nextInt(4); i > 0; i--) {
                    modified.add(path());
                }
                p.putArray("commits").add(head.deepCopy());
                ObjectNode repo = (ObjectNode) p.get("repository");
                repo.put("pushed_at", clock);
                repo.put("updated_at", time);
                ObjectNode pusher = (ObjectNode) p.get("pusher");
                pusher.put("name", who[2]);
                pusher.put("email", who[1]);
                byte[] body = JSON.writeValueAsBytes(p);
                return new Push(body, WebhookSignature.sign(secret, body));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        private String hex() {
            StringBuilder b = new StringBuilder(40);
            for (int i = 0; i < 40; i++) {
                b.append(Character.forDigit(random.nextInt(16), 16));
            }
            return b.toString();
        }

        private String word() {
            return WORDS[random.nextInt(WORDS.length)];
        }

        private static String capital(String w) {
            return Character.toUpperCase(w.charAt(0)) + w.substring(1);
        }

        private String message() {
            StringBuilder b = new StringBuilder(capital(word()));
            for (int i = 2 + random.nextInt(12); i > 0; i--) {
                b.append(' ').append(word());
            }
            if (random.nextInt(3) == 0) {
                b.append("\n\n").append(capital(word()));
                for (int i = 5 + random.nextInt(20); i > 0; i--) {
                    b.append(' ').append(word());
                }
                b.append('.');
            }
            return b.toString();
        }

        private String path() {
            return DIRS[random.nextInt(DIRS.length)] + word() + "_" + word() + EXTS[random.nextInt(EXTS.length)];
        }
    }
}
