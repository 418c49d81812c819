import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.multiarch.store.BuildRecord;
import dev.multiarch.store.JdbcStore;
import dev.multiarch.store.JobRecord;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;

/**
 * One 5-platform build of the busybox fixture (a Dockerfile that COPYs the platform's busybox and RUNs it, under QEMU
 * for four of the five), measured three ways in one run against one registry, the rounds interleaved so that the
 * load of the machine falls on all three alike:
 *
 * <ol>
 *   <li>by hand: bench/by-hand.sh, buildah bud + push per platform in turn, then buildah manifest (fresh storage);
 *   <li>{@code bin/multiarch build} cold: a new process with a coordinator and a runner, a fresh data directory
 *       (store, buildah storage, source cache), the local checkout as source;
 *   <li>warm: {@code bin/multiarch serve} and {@code bin/multiarch runner} started once; each round pushes a new
 *       commit to a git server on loopback (git http-backend, as GitHub serves git) and triggers its tag through the
 *       admin API ({@code POST /api/builds}, as {@code multiarch build --coordinator} does; the webhook path adds the
 *       GitHub stand-in, which lives in the tests);
 * </ol>
 * (4): the layer cache: a fixture whose Dockerfile has a RUN of 2 s (under QEMU on four platforms) before a COPY of
 * the file that changes; each round, an image never built (empty cache) and then its next commit through the warm
 * service, and that fixture by hand; and (5): from the last platform's report to the index published on every tag, read from the coordinators' own
 * records. CPU seconds: user + system of the measured processes and every child they waited for (buildah, git,
 * QEMU); the registry's own CPU is shown apart (the same registry serves all three).
 *
 * <p>(3)'s wall is from the trigger to the build's own "published" time (the bench polls every 250 ms, which would
 * otherwise add up to 250 ms), its CPU the coordinator's and the runner's (children included) over that time.
 *
 * <p>Run by bench/pipeline-bench; arguments: REGISTRY REGISTRY_PID WORKTREE WORK ROUNDS
 */
public class PipelineBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ADMIN = "bench-admin-token-0123456789abcdef";
    private static final String SECRET = "bench-runner-secret-0123456789abcdef";
    private static final long TICK = 100; // USER_HZ on Linux

    record Cost(double wallSeconds, double cpuSeconds, double registryCpuSeconds) {}

    public static void main(String[] args) throws Exception {
        String registry = args[0];
        long registryPid = Long.parseLong(args[1]);
        Path tree = Path.of(args[2]).toAbsolutePath();
        Path work = Path.of(args[3]).toAbsolutePath();
        int rounds = Integer.parseInt(args[4]);
        Path bare = work.resolve("git/fixture.git");
        run(List.of("git", "clone", "-q", "--bare", tree.toString(), bare.toString()), null);
        HttpServer git = gitServer(bare);
        String cloneUrl = "http://127.0.0.1:" + git.getAddress().getPort() + "/fixture.git";
        String load0 = Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        if (args.length > 5 && args[5].equals("scaling")) {
            scaling(registry, registryPid, tree, bare, cloneUrl, work, rounds, load0);
            git.stop(0);
            return;
        }

        List<Cost> hand = new ArrayList<>();
        List<Cost> cold = new ArrayList<>();
        List<Cost> warm = new ArrayList<>();
        List<Double> publishCold = new ArrayList<>();
        List<Double> publishWarm = new ArrayList<>();
        Map<String, List<Double>> steps = new LinkedHashMap<>();
        Map<String, List<Double>> stepsCold = new LinkedHashMap<>();
        // (4): the fixture with an expensive step (a RUN of 2 s, under QEMU on four platforms) before a file that
        // changes; each round builds a new image (never built: an empty layer cache), then its next commit.
        Path tree4 = work.resolve("tree4");
        Path bare4 = fixture4(tree, tree4, work.resolve("git/fixture4.git"), registry);
        String cloneUrl4 = "http://127.0.0.1:" + git.getAddress().getPort() + "/fixture4.git";
        List<Cost> hand4 = new ArrayList<>();
        List<Cost> cold4 = new ArrayList<>();
        List<Cost> warm4 = new ArrayList<>();
        List<Double> buildCold4 = new ArrayList<>();
        List<Double> buildWarm4 = new ArrayList<>();
        Map<String, List<Double>> steps4c = new LinkedHashMap<>();
        Map<String, List<Double>> steps4 = new LinkedHashMap<>();
        Warm service = Warm.start(work.resolve("warm"), registry);
        try {
            for (int round = 0; round <= rounds; round++) {
                String commit = commit(tree, bare, round);
                // Round 0 warms up: buildah's first run, the class-data archive of bin/multiarch build, the JIT.
                Cost h = byHand(registry, tree, work.resolve("hand"), "r" + round, registryPid);
                Path data = work.resolve("cold-" + round);
                Cost c = measured(
                        List.of(
                                "bin/multiarch",
                                "build",
                                tree.toString(),
                                "--tag",
                                "v1." + round + ".0",
                                "--data",
                                data.toString()),
                        registryPid);
                Map<String, List<Double>> sc = new LinkedHashMap<>();
                double pc = fromStore(data.resolve("store"), sc);
                Cost w = service.build(cloneUrl, commit, "v2." + round + ".0", registryPid);
                double pw = service.lastPublish;
                if (round > 0) {
                    hand.add(h);
                    cold.add(c);
                    warm.add(w);
                    publishCold.add(pc);
                    publishWarm.add(pw);
                    service.lastSteps.forEach((k, v) ->
                            steps.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
                    sc.forEach((k, v) ->
                            stepsCold.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
                }
                System.err.printf(
                        Locale.ROOT,
                        "round %d: by hand %.2f s / %.2f CPU-s; cold %.2f / %.2f; warm %.2f / %.2f%n",
                        round,
                        h.wallSeconds(),
                        h.cpuSeconds(),
                        c.wallSeconds(),
                        c.cpuSeconds(),
                        w.wallSeconds(),
                        w.cpuSeconds());
                deleteTree(data);

                String image4 = registry + "/pipeline-cache-r" + round;
                String first = commit4(tree4, bare4, image4, "first");
                Cost h4 = byHand(registry, tree4, work.resolve("hand4"), "c" + round, registryPid);
                Cost c4 = service.build(cloneUrl4, first, "v3." + round + ".0", registryPid);
                double bc4 = median(service.lastSteps.getOrDefault("build", List.of()));
                Map<String, List<Double>> s4c = service.lastSteps;
                String second = commit4(tree4, bare4, image4, "second");
                Cost w4 = service.build(cloneUrl4, second, "v3." + round + ".1", registryPid);
                double bw4 = median(service.lastSteps.getOrDefault("build", List.of()));
                Map<String, List<Double>> s4 = service.lastSteps;
                if (round > 0) {
                    hand4.add(h4);
                    cold4.add(c4);
                    warm4.add(w4);
                    buildCold4.add(bc4);
                    buildWarm4.add(bw4);
                    s4c.forEach((k, v) ->
                            steps4c.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
                    s4.forEach((k, v) ->
                            steps4.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
                }
                System.err.printf(
                        Locale.ROOT,
                        "round %d (4): by hand %.2f s; never built %.2f s; next commit %.2f s (%.2f×)%n",
                        round,
                        h4.wallSeconds(),
                        c4.wallSeconds(),
                        w4.wallSeconds(),
                        w4.wallSeconds() / c4.wallSeconds());
            }
        } finally {
            service.close();
            git.stop(0);
        }
        String load1 = Files.readString(Path.of("/proc/loadavg")).split(" ")[0];

        System.out.printf(
                Locale.ROOT,
                "%d rounds after a warm-up round, interleaved; load average %s at the start, %s at" + " the end%n%n",
                rounds,
                load0,
                load1);
        System.out.println(
                "| what | wall median s (min–max) | CPU median s | wall vs (1) | CPU vs (1) | registry CPU s |");
        System.out.println("|---|---|---|---|---|---|");
        double hw = median(hand.stream().map(Cost::wallSeconds).toList());
        double hc = median(hand.stream().map(Cost::cpuSeconds).toList());
        row("(1) by hand: buildah bud + push per platform, then buildah manifest", hand, hw, hc);
        row("(2) `multiarch build`, cold (new process, fresh data dir)", cold, hw, hc);
        row("(3) warm `serve` + `runner`, new commit over git HTTP, admin API", warm, hw, hc);
        int skip = 1; // the warm-up round
        System.out.printf(
                Locale.ROOT,
                "%n(3)'s CPU, median: coordinator %.2f s, runner %.2f s (buildah, git and QEMU " + "included)%n",
                median(service.coordinatorCpu.subList(skip, service.coordinatorCpu.size())),
                median(service.runnerCpu.subList(skip, service.runnerCpu.size())));
        System.out.printf(Locale.ROOT, "%n| (5) last platform reported → index on every tag | median s | max s |%n");
        System.out.println("|---|---|---|");
        System.out.printf(Locale.ROOT, "| (2) cold | %.3f | %.3f |%n", median(publishCold), max(publishCold));
        System.out.printf(Locale.ROOT, "| (3) warm | %.3f | %.3f |%n", median(publishWarm), max(publishWarm));
        double h4w = median(hand4.stream().map(Cost::wallSeconds).toList());
        double h4c = median(hand4.stream().map(Cost::cpuSeconds).toList());
        double c4w = median(cold4.stream().map(Cost::wallSeconds).toList());
        double c4c = median(cold4.stream().map(Cost::cpuSeconds).toList());
        System.out.printf(
                Locale.ROOT,
                "%n(4) a rebuild with the layer cache: the fixture with a 2 s RUN (under QEMU on four platforms) before"
                        + " a COPY of the file that changes%n%n");
        System.out.println("| what | wall median s | CPU median s | wall vs (4h) | wall vs (4c) | CPU vs (4c) |"
                + " median build step s |");
        System.out.println("|---|---|---|---|---|---|---|");
        System.out.printf(
                Locale.ROOT,
                "| (4h) by hand (fresh storage, as (1)) | %.2f | %.2f | 1.00× | %.2f× | %.2f× | |%n",
                h4w,
                h4c,
                h4w / c4w,
                h4c / c4c);
        System.out.printf(
                Locale.ROOT,
                "| (4c) warm `serve` + `runner`, an image never built (empty cache) | %.2f | %.2f | %.2f× | 1.00× |"
                        + " 1.00× | %.2f |%n",
                c4w,
                c4c,
                c4w / h4w,
                median(buildCold4));
        double w4w = median(warm4.stream().map(Cost::wallSeconds).toList());
        double w4c = median(warm4.stream().map(Cost::cpuSeconds).toList());
        System.out.printf(
                Locale.ROOT,
                "| (4) its next commit, one file changed after the RUN (warm cache) | %.2f | %.2f | %.2f× | %.2f× |"
                        + " %.2f× | %.2f |%n",
                w4w,
                w4c,
                w4w / h4w,
                w4w / c4w,
                w4c / c4c,
                median(buildWarm4));
        System.out.printf(
                Locale.ROOT,
                "%nWhere a job's time goes in (2) and (3), median over %d jobs each, seconds:%n%n",
                5 * rounds);
        stepTable(Map.of("(2)", stepsCold, "(3)", steps));
        System.out.printf(
                Locale.ROOT,
                "%nWhere a job's time goes in (4c) and (4), median over %d jobs each, seconds:%n%n",
                5 * rounds);
        stepTable(Map.of("(4c)", steps4c, "(4)", steps4));
    }

    /** One row per variant, one column per step any of them ran: the median over the jobs that ran it. */
    private static void stepTable(Map<String, Map<String, List<Double>>> variants) {
        java.util.Set<String> names = new java.util.LinkedHashSet<>();
        List<String> order = new ArrayList<>(variants.keySet());
        order.sort(null);
        order.forEach(v -> names.addAll(variants.get(v).keySet()));
        System.out.println("| | " + String.join(" | ", names) + " |");
        System.out.println("|---|" + "---|".repeat(names.size()));
        for (String v : order) {
            List<String> cells = new ArrayList<>();
            for (String n : names) {
                List<Double> xs = variants.get(v).getOrDefault(n, List.of());
                cells.add(xs.isEmpty() ? "–" : String.format(Locale.ROOT, "%.3f", median(xs)));
            }
            System.out.println("| " + v + " | " + String.join(" | ", cells) + " |");
        }
    }

    private static void row(String name, List<Cost> cs, double handWall, double handCpu) {
        List<Double> wall = cs.stream().map(Cost::wallSeconds).toList();
        double w = median(wall);
        double c = median(cs.stream().map(Cost::cpuSeconds).toList());
        System.out.printf(
                Locale.ROOT,
                "| %s | %.2f (%.2f–%.2f) | %.2f | %.2f× | %.2f× | %.2f |%n",
                name,
                w,
                wall.stream().mapToDouble(Double::doubleValue).min().orElse(0),
                max(wall),
                c,
                w / handWall,
                c / handCpu,
                median(cs.stream().map(Cost::registryCpuSeconds).toList()));
    }

    /** A new commit (VERSION changes) in the work tree, pushed to the served bare repository. */
    private static String commit(Path tree, Path bare, int round) throws Exception {
        Files.writeString(tree.resolve("VERSION"), round + "\n");
        run(List.of("git", "add", "-A"), tree);
        run(
                List.of(
                        "git",
                        "-c",
                        "user.email=bench@multiarch.dev",
                        "-c",
                        "user.name=bench",
                        "commit",
                        "-qm",
                        "round " + round),
                tree);
        run(List.of("git", "push", "-q", bare.toString(), "HEAD:refs/heads/main"), tree);
        return run(List.of("git", "rev-parse", "HEAD"), tree).trim();
    }

    /** The (4) fixture: (1)'s busybox files, a Dockerfile with a 2 s RUN, then the file that changes. */
    private static Path fixture4(Path tree, Path tree4, Path bare4, String registry) throws Exception {
        Files.createDirectories(tree4);
        try (var files = Files.list(tree)) {
            for (Path f : files.filter(f -> f.getFileName().toString().startsWith("busybox-"))
                    .toList()) {
                Files.copy(f, tree4.resolve(f.getFileName()));
            }
        }
        Files.writeString(
                tree4.resolve("Dockerfile"),
                "FROM scratch\nARG TARGETARCH\nARG TARGETVARIANT=\n"
                        + "COPY busybox-${TARGETARCH}${TARGETVARIANT} /bin/busybox\n"
                        + "RUN [\"/bin/busybox\", \"sh\", \"-c\", "
                        + "\"/bin/busybox sleep 2; /bin/busybox uname -m > /built-on-arch\"]\n"
                        + "COPY VERSION /VERSION\n");
        Files.writeString(tree4.resolve("VERSION"), "0\n");
        run(List.of("git", "init", "-q"), tree4);
        commit4(tree4, null, registry + "/pipeline-cache", "fixture");
        run(List.of("git", "clone", "-q", "--bare", tree4.toString(), bare4.toString()), null);
        return bare4;
    }

    /** A commit of the (4) fixture for {@code image}, with a new VERSION, pushed to the served repository. */
    private static String commit4(Path tree4, Path bare4, String image, String version) throws Exception {
        Files.writeString(tree4.resolve("VERSION"), version + "\n");
        Files.writeString(
                tree4.resolve(".multiarch.yaml"),
                "image: " + image + "\nplatforms: [linux/amd64, linux/arm64, linux/arm/v7, linux/ppc64le,"
                        + " linux/s390x]\n");
        run(List.of("git", "add", "-A"), tree4);
        run(
                List.of(
                        "git",
                        "-c",
                        "user.email=bench@multiarch.dev",
                        "-c",
                        "user.name=bench",
                        "commit",
                        "-qm",
                        image + " " + version),
                tree4);
        if (bare4 != null) {
            run(List.of("git", "push", "-q", bare4.toString(), "HEAD:refs/heads/main"), tree4);
        }
        return run(List.of("git", "rev-parse", "HEAD"), tree4).trim();
    }

    private static Cost byHand(String registry, Path tree, Path storage, String tag, long registryPid)
            throws Exception {
        deleteTree(storage);
        Files.createDirectories(storage);
        Cost c = measured(List.of("bench/by-hand.sh", registry, tree.toString(), storage.toString(), tag), registryPid);
        deleteTree(storage);
        return c;
    }

    /** Runs a command to its end under /usr/bin/time: wall, user + system of it and its children. */
    private static Cost measured(List<String> cmd, long registryPid) throws Exception {
        Path out = Files.createTempFile("time", ".txt");
        List<String> full = new ArrayList<>(List.of("/usr/bin/time", "-f", "%e %U %S", "-o", out.toString()));
        full.addAll(cmd);
        double reg0 = cpu(registryPid);
        Process p = new ProcessBuilder(full).redirectErrorStream(true).start();
        byte[] log = p.getInputStream().readAllBytes();
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed:\n" + new String(log));
        }
        double reg1 = cpu(registryPid);
        String[] t = Files.readString(out).trim().split("\\s+");
        Files.delete(out);
        return new Cost(Double.parseDouble(t[0]), Double.parseDouble(t[1]) + Double.parseDouble(t[2]), reg1 - reg0);
    }

    /** (5) of the newest build in a coordinator's store: its last job's end → its index published. */
    private static double fromStore(Path store, Map<String, List<Double>> steps) {
        try (JdbcStore s = JdbcStore.embedded(store)) {
            BuildRecord b = s.recentBuilds(1).get(0);
            for (var t : s.timings(List.of(b.id()))) {
                steps.computeIfAbsent(t.step(), k -> new ArrayList<>()).add(t.millis() / 1000.0);
            }
            Instant last = s.jobs(b.id()).stream()
                    .map(JobRecord::finishedAt)
                    .max(Comparator.naturalOrder())
                    .orElseThrow();
            return Duration.between(last, b.updatedAt()).toMillis() / 1000.0;
        }
    }

    /** The user + system CPU seconds of a process and of the children it has waited for. */
    static double cpu(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // Fields 14-17 of proc(5), counted from the state (field 3) here.
        long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
        return ticks / (double) TICK;
    }

    /**
     * How (3) scales with {@code jobs:} and with runner processes: for each layout a fresh coordinator and runners
     * (their own work directories), one warm-up build, then {@code rounds} builds of new commits, each layout in turn
     * per round so that the machine's load falls on all alike; and the by-hand script in the same rounds.
     */
    static void scaling(
            String registry,
            long registryPid,
            Path tree,
            Path bare,
            String cloneUrl,
            Path work,
            int rounds,
            String load0)
            throws Exception {
        record Layout(String name, int runners, String jobs) {}
        List<Layout> layouts = List.of(
                new Layout("1 runner, `jobs: 1`", 1, "1"),
                new Layout("1 runner, `jobs: 2`", 1, "2"),
                new Layout("1 runner, `jobs: 3`", 1, "3"),
                new Layout("2 runners, `jobs: 1` each", 2, "1"));
        List<Warm> services = new ArrayList<>();
        Map<String, List<Cost>> costs = new LinkedHashMap<>();
        List<Cost> hand = new ArrayList<>();
        try {
            for (Layout l : layouts) {
                services.add(Warm.start(work.resolve("scaling-" + services.size()), registry, l.runners(), l.jobs()));
                costs.put(l.name(), new ArrayList<>());
            }
            for (int round = 0; round <= rounds; round++) {
                Cost h = byHand(registry, tree, work.resolve("hand"), "s" + round, registryPid);
                if (round > 0) {
                    hand.add(h);
                }
                for (int i = 0; i < layouts.size(); i++) {
                    String commit = commit(tree, bare, 1000 + round * layouts.size() + i);
                    Cost c = services.get(i).build(cloneUrl, commit, "v9." + round + "." + i, registryPid);
                    if (round > 0) {
                        costs.get(layouts.get(i).name()).add(c);
                    }
                    System.err.printf(
                            Locale.ROOT,
                            "round %d, %s: %.2f s / %.2f CPU-s%n",
                            round,
                            layouts.get(i).name(),
                            c.wallSeconds(),
                            c.cpuSeconds());
                }
            }
        } finally {
            services.forEach(Warm::close);
        }
        String load1 = Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        System.out.printf(
                Locale.ROOT,
                "%d rounds after a warm-up round, layouts interleaved; %d cores; load average %s at the start, %s at the"
                        + " end%n%n",
                rounds,
                Runtime.getRuntime().availableProcessors(),
                load0,
                load1);
        System.out.println(
                "| what | wall median s (min–max) | CPU median s | wall vs (1) | CPU vs (1) | registry CPU s |");
        System.out.println("|---|---|---|---|---|---|");
        double hw = median(hand.stream().map(Cost::wallSeconds).toList());
        double hc = median(hand.stream().map(Cost::cpuSeconds).toList());
        row("(1) by hand", hand, hw, hc);
        costs.forEach((name, list) -> row("(3) warm, " + name, list, hw, hc));
    }

    /** A coordinator and a runner, started once; builds triggered through the admin API. */
    static final class Warm implements AutoCloseable {
        private final Process coordinator;
        private final List<Process> runners;
        private final String url;
        private final HttpClient http = HttpClient.newHttpClient();
        double lastPublish;
        final List<Double> coordinatorCpu = new ArrayList<>();
        final List<Double> runnerCpu = new ArrayList<>();
        Map<String, List<Double>> lastSteps = new LinkedHashMap<>();

        private Warm(Process coordinator, List<Process> runners, String url) {
            this.coordinator = coordinator;
            this.runners = runners;
            this.url = url;
        }

        static Warm start(Path dir, String registry) throws Exception {
            return start(dir, registry, 1, "auto");
        }

        /** The coordinator and {@code count} runner processes (each its own work directory), {@code jobs:} each. */
        static Warm start(Path dir, String registry, int count, String jobs) throws Exception {
            Files.createDirectories(dir);
            int port;
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = s.getLocalPort();
            }
            String url = "http://127.0.0.1:" + port;
            Path cfg = dir.resolve("config.yaml");
            Files.writeString(
                    cfg,
                    "server:\n  host: 127.0.0.1\n  port: " + port + "\n  public-url: " + url
                            + "\n  admin-token: ${BENCH_ADMIN}\nstore:\n  path: data\n"
                            + "runners:\n  registration-secret: ${BENCH_SECRET}\n"
                            + "registries:\n  - host: " + registry + "\n    insecure: true\n");
            Process c = start(List.of("bin/multiarch", "serve", "--config", cfg.toString()), dir.resolve("serve.log"));
            Warm w = new Warm(c, List.of(), url);
            for (int i = 0; i < 600 && w.get("/api/builds") == null; i++) {
                Thread.sleep(100);
            }
            List<Process> rs = new ArrayList<>();
            for (int n = 0; n < count; n++) {
                String suffix = n == 0 ? "" : "-" + n;
                Path rcfg = dir.resolve("runner" + suffix + ".yaml");
                Files.writeString(
                        rcfg,
                        "coordinator: " + url + "\nname: bench" + suffix + "\nregistration-secret: ${BENCH_SECRET}\n"
                                + "work-dir: " + dir.resolve("runner-work" + suffix) + "\nnative: [linux/amd64]\n"
                                + "qemu: [linux/arm64, linux/arm/v7, linux/ppc64le, linux/s390x]\n"
                                + "jobs: " + jobs + "\ninsecure-registries: [\"" + registry + "\"]\n");
                rs.add(start(
                        List.of("bin/multiarch", "runner", "--config", rcfg.toString()),
                        dir.resolve("runner" + suffix + ".log")));
            }
            return new Warm(c, rs, url);
        }

        private static Process start(List<String> cmd, Path log) throws IOException {
            ProcessBuilder pb =
                    new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().put("BENCH_ADMIN", ADMIN);
            pb.environment().put("BENCH_SECRET", SECRET);
            return pb.start();
        }

        private JsonNode get(String path) {
            try {
                HttpResponse<String> r = http.send(
                        HttpRequest.newBuilder(URI.create(url + path)).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
            } catch (IOException e) {
                return null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }

        private double runnersCpu() throws IOException {
            double sum = 0;
            for (Process p : runners) {
                sum += cpu(p.pid());
            }
            return sum;
        }

        /** Triggers the tag at {@code commit} and waits for the build to end: wall from the trigger, CPU of both. */
        Cost build(String cloneUrl, String commit, String tag, long registryPid) throws Exception {
            double coordinator0 = cpu(coordinator.pid());
            double runner0 = runnersCpu();
            double reg0 = cpu(registryPid);
            Instant t0 = Instant.now();
            String body = JSON.writeValueAsString(
                    Map.of("repo", "bench/fixture", "cloneUrl", cloneUrl, "commit", commit, "ref", "refs/tags/" + tag));
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create(url + "/api/builds"))
                            .header("Authorization", "Bearer " + ADMIN)
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 201) {
                throw new IllegalStateException("trigger: " + r.statusCode() + " " + r.body());
            }
            long id = JSON.readTree(r.body()).get(0).path("id").asLong();
            JsonNode b;
            while (true) {
                b = get("/api/builds/" + id);
                if (b != null && b.path("terminal").asBoolean()) {
                    break;
                }
                Thread.sleep(250); // the wall comes from the build's own record; polling costs the coordinator
            }
            double wall = Duration.between(t0, Instant.parse(b.path("updatedAt").asText()))
                            .toMillis()
                    / 1000.0;
            if (!b.path("state").asText().equals("published")) {
                throw new IllegalStateException("warm build " + id + " ended " + b);
            }
            double coordinatorCpu = cpu(coordinator.pid()) - coordinator0;
            double runnerCpu = runnersCpu() - runner0;
            this.coordinatorCpu.add(coordinatorCpu);
            this.runnerCpu.add(runnerCpu);
            double cpu = coordinatorCpu + runnerCpu;
            double reg = cpu(registryPid) - reg0;
            Instant last = Instant.MIN;
            lastSteps = new LinkedHashMap<>();
            for (JsonNode j : b.path("jobs")) {
                Instant f = Instant.parse(j.path("finishedAt").asText());
                last = f.isAfter(last) ? f : last;
                j.path("timings").fields().forEachRemaining(e -> lastSteps
                        .computeIfAbsent(e.getKey(), k -> new ArrayList<>())
                        .add(e.getValue().asLong() / 1000.0));
            }
            lastPublish =
                    Duration.between(last, Instant.parse(b.path("updatedAt").asText()))
                                    .toMillis()
                            / 1000.0;
            return new Cost(wall, cpu, reg);
        }

        @Override
        public void close() {
            List<Process> all = new ArrayList<>(runners);
            all.add(coordinator);
            for (Process p : all) {
                if (p != null) {
                    p.destroy();
                    try {
                        if (!p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                            p.destroyForcibly();
                        }
                    } catch (InterruptedException e) {
                        p.destroyForcibly();
                        Thread.currentThread().interrupt();
                    }
                }
            }
        }
    }

    /** git's smart HTTP protocol on loopback, answered by git http-backend (CGI), as GitHub serves git. */
    private static HttpServer gitServer(Path bare) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            try (ex) {
                cgi(ex, bare);
            }
        });
        server.setExecutor(Executors.newFixedThreadPool(8, r -> {
            Thread t = new Thread(r, "git-http");
            t.setDaemon(true);
            return t;
        }));
        server.start();
        return server;
    }

    private static void cgi(HttpExchange ex, Path bare) throws IOException {
        byte[] in;
        try (InputStream body = ex.getRequestBody()) {
            in = body.readAllBytes();
        }
        ProcessBuilder pb = new ProcessBuilder("git", "http-backend");
        Map<String, String> env = pb.environment();
        env.put("GIT_PROJECT_ROOT", bare.getParent().toString());
        env.put("GIT_HTTP_EXPORT_ALL", "1");
        env.put("PATH_INFO", ex.getRequestURI().getPath());
        env.put("REQUEST_METHOD", ex.getRequestMethod());
        String query = ex.getRequestURI().getRawQuery();
        env.put("QUERY_STRING", query == null ? "" : query);
        env.put("CONTENT_LENGTH", String.valueOf(in.length));
        String type = ex.getRequestHeaders().getFirst("Content-Type");
        env.put("CONTENT_TYPE", type == null ? "" : type);
        String protocol = ex.getRequestHeaders().getFirst("Git-Protocol");
        if (protocol != null) {
            env.put("GIT_PROTOCOL", protocol);
        }
        Process p = pb.redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (OutputStream stdin = p.getOutputStream()) {
            stdin.write(in);
        }
        byte[] out;
        try (InputStream stdout = p.getInputStream()) {
            out = stdout.readAllBytes();
        }
        int status = 200;
        int i = 0;
        while (i < out.length) {
            int eol = i;
            while (eol < out.length && out[eol] != '\n') {
                eol++;
            }
            String line = new String(out, i, eol - i, StandardCharsets.ISO_8859_1).replaceAll("\r$", "");
            i = eol + 1;
            if (line.isEmpty()) {
                break;
            }
            int colon = line.indexOf(':');
            if (line.substring(0, colon).equalsIgnoreCase("Status")) {
                status = Integer.parseInt(line.substring(colon + 1).trim().split(" ")[0]);
            } else {
                ex.getResponseHeaders()
                        .add(
                                line.substring(0, colon).trim(),
                                line.substring(colon + 1).trim());
            }
        }
        int n = out.length - Math.min(i, out.length);
        ex.sendResponseHeaders(status, n == 0 ? -1 : n);
        if (n > 0) {
            ex.getResponseBody().write(out, out.length - n, n);
        }
    }

    private static String run(List<String> cmd, Path dir) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (dir != null) {
            pb.directory(dir.toFile());
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed:\n" + out);
        }
        return out;
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var walk = Files.walk(p)) {
            for (Path x : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(x);
            }
        }
    }

    static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        s.sort(null);
        int n = s.size();
        return n == 0 ? Double.NaN : n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    static double max(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }
}
