import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.multiarch.platform.Platform;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.store.JdbcStore;
import dev.multiarch.store.NewBuild;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Claims under load: JOBS queued jobs (builds of five platforms that publish nothing) and RUNNERS simulated runners
 * that long-poll, take a job, report it done at once (no build) and poll again, spread over one coordinator and then
 * over two, all on one PostgreSQL database each time. The runners speak the runner HTTP API
 * ({@code /api/runners/register}, {@code /api/runners/poll}, {@code /api/jobs/{id}/complete}) to {@code serve}
 * processes of the real jar; the claims are the real ones ({@code FOR UPDATE SKIP LOCKED}, leases, fan-in).
 *
 * <p>Figures per run: jobs claimed and completed per second (first assignment to last completion), the latency of a
 * poll that got a job (request sent → assignment read) p50/p99/max, each coordinator's heap (peak of the used heap
 * sampled every 500 ms with jstat, and after a full GC at the end), and the peak number of connections to the
 * database (pg_stat_activity).
 *
 * <p>Run by bench/claim-load; arguments: PG_PORT JAR WORK JOBS RUNNERS
 */
public class ClaimLoad {
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * -Dhold=MS: each simulated runner holds a job for a time exponentially distributed around MS before it reports
     * (a build), so the runners offer RUNNERS / MS jobs per second instead of as many as the coordinators can take: 0
     * (the default) measures the most they can take, where a poll's latency is its wait in line.
     */
    static final long HOLD_MS = Long.getLong("hold", 0);

    private static final String SECRET = "bench-runner-secret-0123456789abcdef";
    private static final String ADMIN = "bench-admin-token-0123456789abcdef";
    private static final List<String> PLATFORMS =
            List.of("linux/amd64", "linux/arm64", "linux/arm/v7", "linux/ppc64le", "linux/s390x");

    record Result(
            int coordinators,
            int jobs,
            double seconds,
            long p50Micros,
            long p99Micros,
            long maxMicros,
            List<Long> peakHeapMb,
            List<Long> afterGcHeapMb,
            int peakConnections,
            double coordinatorCpuMsPerJob,
            double postgresCpuMsPerJob) {
        double perSecond() {
            return jobs / seconds;
        }
    }

    public static void main(String[] args) throws Exception {
        int pgPort = Integer.parseInt(args[0]);
        Path jar = Path.of(args[1]);
        Path work = Path.of(args[2]);
        int jobs = Integer.parseInt(args[3]);
        int runners = Integer.parseInt(args[4]);
        List<Result> results = new ArrayList<>();
        // MULTIARCH_BENCH_COORDINATORS="2": only the runs with these numbers of coordinators (a profile of one).
        String only = System.getenv().getOrDefault("MULTIARCH_BENCH_COORDINATORS", "1 2");
        for (String n : only.trim().split("\\s+")) {
            results.add(run(pgPort, jar, work.resolve("n" + n), Integer.parseInt(n), jobs, runners));
        }
        System.out.printf(
                Locale.ROOT,
                "%n%d queued jobs, %d simulated long-polling runners%s; PostgreSQL 15 (fsync off), coordinators "
                        + "bin/multiarch serve with MULTIARCH_JAVA_OPTS=\"%s\"%n%n",
                jobs,
                runners,
                HOLD_MS > 0
                        ? " each holding a job ~" + HOLD_MS + " ms (offered ≈ " + (runners * 1000 / HOLD_MS)
                                + " jobs/s)"
                        : " reporting each job at once (the most the coordinators take)",
                coordinatorOpts());
        System.out.println(
                "| coordinators | jobs/s | claim p50 | claim p99 | claim max | heap peak (MB) "
                        + "| heap after GC (MB) | DB connections (peak) | CPU per job: coordinators | CPU per job: PostgreSQL |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        for (Result r : results) {
            System.out.printf(
                    Locale.ROOT,
                    "| %d | %.0f | %.1f ms | %.1f ms | %.1f ms | %s | %s | %d | %.2f ms | %.2f ms |%n",
                    r.coordinators,
                    r.perSecond(),
                    r.p50Micros / 1000.0,
                    r.p99Micros / 1000.0,
                    r.maxMicros / 1000.0,
                    r.peakHeapMb,
                    r.afterGcHeapMb,
                    r.peakConnections,
                    r.coordinatorCpuMsPerJob,
                    r.postgresCpuMsPerJob);
        }
        if (results.size() != 2) {
            System.exit(0);
        }
        Result one = results.get(0);
        Result two = results.get(1);
        System.out.printf(
                Locale.ROOT,
                "%ntwo coordinators / one: jobs/s × %.2f, claim p99 × %.2f%n",
                two.perSecond() / one.perSecond(),
                (double) two.p99Micros / one.p99Micros);
        System.exit(0); // the HTTP clients' threads would keep the JVM (and the script's PostgreSQL) alive
    }

    static Result run(int pgPort, Path jar, Path work, int coordinators, int jobs, int runners) throws Exception {
        ERRORS.set(0);
        Files.createDirectories(work);
        String db = "claimload" + coordinators;
        String admin = "jdbc:postgresql://127.0.0.1:" + pgPort + "/postgres";
        try (Connection c = DriverManager.getConnection(admin, "postgres", "");
                Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + db);
            s.execute("CREATE DATABASE " + db);
        }
        String url = "postgresql://127.0.0.1:" + pgPort + "/" + db;
        long t0 = System.nanoTime();
        try (JdbcStore store = JdbcStore.postgres(url, "postgres", null, 4, Clock.systemUTC())) {
            List<NewBuild.NewJob> five = PLATFORMS.stream()
                    .map(p -> new NewBuild.NewJob(Platform.parse(p), 600))
                    .toList();
            for (int i = 0; i < jobs / PLATFORMS.size(); i++) {
                store.createBuild(NewBuild.builder()
                        .repo("bench/app")
                        .cloneUrl("https://git.example/bench/app.git")
                        .commit(String.format("%040x", i))
                        .ref("refs/heads/main")
                        .image(ImageReference.parse("registry.example/bench/app"))
                        .spec("{\"dockerfile\":\"Dockerfile\",\"context\":\".\",\"format\":\"auto\"}")
                        .tags("[]")
                        .jobs(five)
                        .build());
            }
        }
        System.out.printf(
                Locale.ROOT,
                "[%d coordinator(s)] queued %d jobs in %.1f s%n",
                coordinators,
                jobs,
                (System.nanoTime() - t0) / 1e9);

        List<Process> procs = new ArrayList<>();
        List<String> urls = new ArrayList<>();
        try {
            for (int i = 0; i < coordinators; i++) {
                int port = freePort();
                Path home = Files.createDirectories(work.resolve("c" + i));
                Path cfg = home.resolve("config.yaml");
                Files.writeString(
                        cfg,
                        "server:\n  host: 127.0.0.1\n  port: " + port + "\n  admin-token: " + ADMIN + "\n"
                                + "store:\n  path: " + home.resolve("data") + "\n  url: " + url
                                + "\n  username: postgres\n"
                                + "runners:\n  registration-secret: " + SECRET + "\n  lease: 60s\n  long-poll: 25s\n");
                // Through the launcher, as an operator starts one (its JVM options: the collector), with the heap
                // capped at the goal's 512 MB. The launcher execs java: the process is the JVM (jstat, jcmd).
                ProcessBuilder pb = new ProcessBuilder(launcher(jar).toString(), "serve", "--config", cfg.toString());
                pb.environment().put("MULTIARCH_JAVA_OPTS", coordinatorOpts().replace("{i}", coordinators + "-" + i));
                Process p = pb.redirectErrorStream(true)
                        .redirectOutput(home.resolve("log").toFile())
                        .start();
                procs.add(p);
                urls.add("http://127.0.0.1:" + port);
            }
            // HTTP/1.1, as runners speak it (okhttp, plain http): java.net.http would otherwise upgrade to HTTP/2 and
            // put every simulated runner on one connection, past the server's concurrent-stream limit.
            HttpClient http = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(10))
                    .executor(java.util.concurrent.Executors.newFixedThreadPool(16))
                    .build();
            for (String u : urls) {
                await(http, u + "/healthz", Duration.ofSeconds(90));
            }
            List<String[]> registered = new ArrayList<>();
            for (int i = 0; i < runners; i++) {
                String base = urls.get(i % urls.size());
                String body = JSON.writeValueAsString(Map.of(
                        "name",
                        "sim-" + i,
                        "secret",
                        SECRET,
                        "nativePlatforms",
                        PLATFORMS,
                        "qemuPlatforms",
                        List.of(),
                        "untrustedJobs",
                        false));
                HttpResponse<String> r = http.send(
                        HttpRequest.newBuilder(URI.create(base + "/api/runners/register"))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(body))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200 && r.statusCode() != 201) {
                    throw new IllegalStateException("register: " + r.statusCode() + " " + r.body());
                }
                registered.add(new String[] {
                    base, JSON.readTree(r.body()).path("token").asText()
                });
            }

            AtomicInteger done = new AtomicInteger();
            AtomicLong first = new AtomicLong();
            AtomicLong last = new AtomicLong();
            ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
            // The polls made once half the jobs are done: by then each coordinator's JIT has compiled its hot code
            // (JFR: the compiler threads were the coordinators' largest CPU user in a 100 s run), so a second
            // coordinator's warm-up, paid again in the same window, is out of these figures.
            ConcurrentLinkedQueue<Long> late = new ConcurrentLinkedQueue<>();
            long[] atHalf = new long[3]; // jobs done, coordinators' CPU ms, PostgreSQL's CPU ms
            ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
            CountDownLatch finished = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (String[] reg : registered) {
                Thread t = new Thread(
                        () -> runner(http, reg[0], reg[1], jobs, done, first, last, latencies, late, errors, finished));
                t.setDaemon(true);
                threads.add(t);
            }
            long[] peakHeap = new long[procs.size()];
            int[] peakConn = {0};
            // What the database's busy sessions wait on, sampled with the connections: lock waits between the
            // coordinators' claims would show here as Lock:transactionid or Lock:tuple.
            Map<String, Integer> waits = new java.util.TreeMap<>();
            Thread sampler = new Thread(() -> {
                try (Connection c = DriverManager.getConnection(admin, "postgres", "")) {
                    while (finished.getCount() > 0) {
                        for (int i = 0; i < procs.size(); i++) {
                            peakHeap[i] = Math.max(
                                    peakHeap[i], heapUsedKb(procs.get(i).pid()));
                        }
                        try (Statement s = c.createStatement();
                                ResultSet r = s.executeQuery(
                                        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = '" + db + "'")) {
                            r.next();
                            peakConn[0] = Math.max(peakConn[0], r.getInt(1));
                        }
                        try (Statement s = c.createStatement();
                                ResultSet r = s.executeQuery("SELECT COALESCE(wait_event_type || ':' || wait_event, "
                                        + "'CPU') FROM pg_stat_activity WHERE datname = '" + db + "' AND state = "
                                        + "'active' AND pid <> pg_backend_pid()")) {
                            while (r.next()) {
                                waits.merge(r.getString(1), 1, Integer::sum);
                            }
                        }
                        if (atHalf[0] == 0 && done.get() >= jobs / 2) {
                            atHalf[1] = cpuMillis(procs);
                            atHalf[2] = postgresCpuMillis();
                            atHalf[0] = done.get();
                        }
                        if (done.get() > 0 && open(pgPort, db) == 0) {
                            finished.countDown(); // every job succeeded, failed or was cancelled
                        }
                        Thread.sleep(500);
                    }
                } catch (Exception e) {
                    error(errors, "sampler: " + e);
                }
            });
            sampler.setDaemon(true);
            sampler.start();
            long coordinatorCpu0 = cpuMillis(procs);
            long postgresCpu0 = postgresCpuMillis();
            threads.forEach(Thread::start);
            if (!finished.await(15, java.util.concurrent.TimeUnit.MINUTES)) {
                throw new IllegalStateException("not done in 15 minutes: " + done.get() + " of " + jobs);
            }
            sampler.join(5000);
            double coordinatorCpuPerJob = (cpuMillis(procs) - coordinatorCpu0) / (double) Math.max(1, done.get());
            double postgresCpuPerJob = (postgresCpuMillis() - postgresCpu0) / (double) Math.max(1, done.get());
            List<Long> afterGc = new ArrayList<>();
            List<Long> peaks = new ArrayList<>();
            for (int i = 0; i < procs.size(); i++) {
                new ProcessBuilder("jcmd", String.valueOf(procs.get(i).pid()), "GC.run")
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .start()
                        .waitFor();
                afterGc.add(heapUsedKb(procs.get(i).pid()) / 1024);
                peaks.add(peakHeap[i] / 1024);
            }
            int lost = countJobs(pgPort, db, "state IN ('FAILED', 'CANCELLED')");
            // Each job is claimed once: a second claim (two coordinators taking one job, or a lease that ran out and
            // was claimed again) shows as an attempt above 1.
            int twice = countJobs(pgPort, db, "attempt > 1");
            System.out.printf(
                    "[%d coordinator(s)] jobs claimed more than once: %d; busy database sessions sampled every 500 ms "
                            + "by wait (CPU: none): %s%n",
                    coordinators, twice, waits);
            int expiries = 0;
            for (int i = 0; i < procs.size(); i++) {
                for (String line : Files.readAllLines(work.resolve("c" + i).resolve("log"))) {
                    if (line.contains("lease expired")) {
                        expiries++;
                    }
                }
            }
            System.out.printf(
                    "[%d coordinator(s)] leases that ran out (an assignment the runner never got): %d; jobs failed "
                            + "or cancelled after three: %d%n",
                    coordinators, expiries, lost);
            List<Long> sorted = new ArrayList<>(latencies);
            Collections.sort(sorted);
            List<Long> warm = new ArrayList<>(late);
            Collections.sort(warm);
            if (!warm.isEmpty() && atHalf[0] > 0) {
                long warmJobs = Math.max(1, done.get() - atHalf[0]);
                System.out.printf(
                        Locale.ROOT,
                        "[%d coordinator(s)] second half (%d polls, JIT warm): claim p50 %.1f ms p99 %.1f ms max %.1f ms; "
                                + "CPU per job: coordinators %.2f ms, PostgreSQL %.2f ms%n",
                        coordinators,
                        warm.size(),
                        warm.get(warm.size() / 2) / 1000.0,
                        warm.get((int) Math.min(warm.size() - 1, Math.ceil(warm.size() * 0.99) - 1)) / 1000.0,
                        warm.get(warm.size() - 1) / 1000.0,
                        (cpuMillis(procs) - atHalf[1]) / (double) warmJobs,
                        (postgresCpuMillis() - atHalf[2]) / (double) warmJobs);
            }
            if (ERRORS.get() > 0) {
                System.out.println("runner errors: " + ERRORS.get() + ", first ones: " + List.copyOf(errors));
            }
            double seconds = (last.get() - first.get()) / 1e9;
            Result r = new Result(
                    coordinators,
                    done.get(),
                    seconds,
                    sorted.get(sorted.size() / 2),
                    sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(sorted.size() * 0.99) - 1)),
                    sorted.get(sorted.size() - 1),
                    peaks,
                    afterGc,
                    peakConn[0],
                    coordinatorCpuPerJob,
                    postgresCpuPerJob);
            System.out.printf(
                    Locale.ROOT,
                    "[%d coordinator(s)] %d jobs in %.1f s: %.0f/s, claim p50 %.1f ms p99 %.1f ms; heap peak %s MB, "
                            + "after GC %s MB; DB connections %d%n",
                    coordinators,
                    r.jobs,
                    seconds,
                    r.perSecond(),
                    r.p50Micros / 1000.0,
                    r.p99Micros / 1000.0,
                    peaks,
                    afterGc,
                    peakConn[0]);
            return r;
        } finally {
            for (Process p : procs) {
                p.destroy();
            }
            for (Process p : procs) {
                if (!p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor();
                }
            }
        }
    }

    /**
     * CPU time the coordinators used so far (user + system): per job it is a figure that holds on a machine shared
     * with other work, where rates and latencies do not.
     */
    static long cpuMillis(List<Process> procs) {
        long ms = 0;
        for (Process p : procs) {
            ms += p.toHandle().info().totalCpuDuration().map(Duration::toMillis).orElse(0L);
        }
        return ms;
    }

    /** CPU time of the PostgreSQL processes alive now (its backends live as long as the pools' connections). */
    static long postgresCpuMillis() {
        long ticks = 0;
        java.io.File[] procDirs =
                new java.io.File("/proc").listFiles((d, n) -> n.chars().allMatch(Character::isDigit));
        for (java.io.File d : procDirs == null ? new java.io.File[0] : procDirs) {
            try {
                String stat = Files.readString(d.toPath().resolve("stat"));
                int close = stat.lastIndexOf(')');
                if (!stat.substring(stat.indexOf('(') + 1, close).equals("postgres")) {
                    continue;
                }
                String[] f = stat.substring(close + 2).split(" ");
                ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14 and 15)
            } catch (IOException | RuntimeException e) {
                // gone meanwhile
            }
        }
        return ticks * 10; // USER_HZ = 100
    }

    private static void runner(
            HttpClient http,
            String base,
            String token,
            int jobs,
            AtomicInteger done,
            AtomicLong first,
            AtomicLong last,
            ConcurrentLinkedQueue<Long> latencies,
            ConcurrentLinkedQueue<Long> late,
            ConcurrentLinkedQueue<String> errors,
            CountDownLatch finished) {
        java.util.Random random = new java.util.Random();
        int taken = 0;
        while (finished.getCount() > 0) {
            try {
                long t0 = System.nanoTime();
                HttpResponse<String> r = http.send(
                        HttpRequest.newBuilder(URI.create(base + "/api/runners/poll"))
                                .header("Authorization", "Bearer " + token)
                                .header("Content-Type", "application/json")
                                .timeout(Duration.ofSeconds(60))
                                .POST(HttpRequest.BodyPublishers.ofString("{\"commits\":[]}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 204) {
                    continue;
                }
                long t1 = System.nanoTime();
                if (r.statusCode() != 200) {
                    error(errors, "poll " + r.statusCode() + " " + r.body());
                    continue;
                }
                first.compareAndSet(0, t0);
                if (HOLD_MS == 0 || taken++ > 0) {
                    // With builds held (-Dhold), every runner's first poll is the start's thundering herd (all of
                    // them at once); from then on they come back spread out as builds end, which is what is measured.
                    latencies.add((t1 - t0) / 1000);
                    if (done.get() >= jobs / 2) {
                        late.add((t1 - t0) / 1000);
                    }
                }
                JsonNode a = JSON.readTree(r.body());
                if (HOLD_MS > 0) {
                    // The build: exponentially distributed around HOLD_MS, well inside the lease.
                    Thread.sleep(Math.min(10 * HOLD_MS, (long) (-Math.log(1 - random.nextDouble()) * HOLD_MS)));
                }
                String complete = JSON.writeValueAsString(Map.of(
                        "attempt",
                        a.path("attempt").asInt(),
                        "digest",
                        "sha256:" + String.format("%064x", a.path("jobId").asLong()),
                        "mediaType",
                        "application/vnd.oci.image.manifest.v1+json",
                        "size",
                        1000,
                        "addedLayers",
                        1,
                        "timings",
                        Map.of()));
                HttpResponse<String> c = http.send(
                        HttpRequest.newBuilder(URI.create(
                                        base + "/api/jobs/" + a.path("jobId").asLong() + "/complete"))
                                .header("Authorization", "Bearer " + token)
                                .header("Content-Type", "application/json")
                                .timeout(Duration.ofSeconds(60))
                                .POST(HttpRequest.BodyPublishers.ofString(complete))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                if (c.statusCode() / 100 != 2) {
                    error(errors, "complete " + c.statusCode() + " " + c.body());
                    continue;
                }
                last.set(System.nanoTime());
                if (done.incrementAndGet() >= jobs) {
                    finished.countDown();
                }
            } catch (IOException e) {
                error(errors, e.toString());
                try {
                    Thread.sleep(100); // do not spin on a failing connection
                } catch (InterruptedException ie) {
                    return;
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    static final AtomicInteger ERRORS = new AtomicInteger();

    /** Counts an error; keeps the first few to show. */
    static void error(ConcurrentLinkedQueue<String> errors, String e) {
        if (ERRORS.incrementAndGet() <= 5) {
            errors.add(e);
        }
    }

    /** Jobs still queued or running. */
    static int open(int pgPort, String db) throws java.sql.SQLException {
        return countJobs(pgPort, db, "state IN ('QUEUED', 'RUNNING')");
    }

    static int countJobs(int pgPort, String db, String where) throws java.sql.SQLException {
        try (Connection c = DriverManager.getConnection(
                        "jdbc:postgresql://127.0.0.1:" + pgPort + "/" + db, "postgres", "");
                Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT COUNT(*) FROM jobs WHERE " + where)) {
            r.next();
            return r.getInt(1);
        }
    }

    /**
     * The coordinators' JVM options: {@code -Xmx512m} (the heap goal), then MULTIARCH_BENCH_COORDINATOR_OPTS (a
     * profiler, a collector to compare: {@code -XX:+UseSerialGC} gives what the bench measured before 2026-11-28, when
     * it started {@code java -XX:+UseSerialGC -Xmx512m} itself); {i} is the coordinator's number. The launcher adds
     * its default collector unless these name one.
     */
    static String coordinatorOpts() {
        String extra = System.getenv("MULTIARCH_BENCH_COORDINATOR_OPTS");
        return ("-Xmx512m " + (extra == null ? "" : extra.trim())).trim();
    }

    /** bin/multiarch of the checkout whose target/ holds {@code jar}. */
    static Path launcher(Path jar) {
        return jar.toAbsolutePath().getParent().getParent().resolve("bin/multiarch");
    }

    /** The used heap (survivors, eden, old) of a JVM, from {@code jstat -gc}, in KB. */
    static long heapUsedKb(long pid) {
        try {
            Process p = new ProcessBuilder("jstat", "-gc", String.valueOf(pid))
                    .redirectErrorStream(true)
                    .start();
            String[] lines =
                    new String(p.getInputStream().readAllBytes()).trim().split("\n");
            p.waitFor();
            if (lines.length < 2) {
                return 0;
            }
            String[] head = lines[0].trim().split("\\s+");
            String[] vals = lines[1].trim().split("\\s+");
            double kb = 0;
            for (int i = 0; i < head.length && i < vals.length; i++) {
                if (List.of("S0U", "S1U", "EU", "OU").contains(head[i])) {
                    if (vals[i].equals("-")) {
                        return zHeapUsedKb(pid); // ZGC: one heap, which jstat -gc does not show
                    }
                    kb += Double.parseDouble(vals[i]);
                }
            }
            return (long) kb;
        } catch (IOException | InterruptedException | NumberFormatException e) {
            return 0;
        }
    }

    /** ZGC's used heap, from {@code jcmd PID GC.heap_info} ("ZHeap used 46M, capacity …"), in KB. */
    static long zHeapUsedKb(long pid) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("jcmd", String.valueOf(pid), "GC.heap_info")
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        java.util.regex.Matcher m =
                java.util.regex.Pattern.compile("ZHeap\\s+used (\\d+)([KMG])").matcher(out);
        if (!m.find()) {
            return 0;
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "G" -> n * 1024 * 1024;
            case "M" -> n * 1024;
            default -> n;
        };
    }

    static void await(HttpClient http, String url, Duration deadline) throws Exception {
        long end = System.nanoTime() + deadline.toNanos();
        while (System.nanoTime() < end) {
            try {
                if (http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding())
                                .statusCode()
                        == 200) {
                    return;
                }
            } catch (IOException e) {
                // not up yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException(url + " did not answer within " + deadline);
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
