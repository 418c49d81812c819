import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.multiarch.github.WebhookSignature;
import dev.multiarch.store.BuildRecord;
import dev.multiarch.store.JdbcStore;
import dev.multiarch.store.JobRecord;
import dev.multiarch.testing.GitHubEvents;
import dev.multiarch.testing.GitHubStandIn;
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
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
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
 *   <li>warm: {@code bin/multiarch serve} and {@code bin/multiarch runner} started once, the coordinator a GitHub
 *       App of the tests' GitHub stand-in ({@link GitHub}: GitHub's OpenAPI description enforced, the fixture served
 *       through its contents API and over git's smart HTTP protocol by git http-backend). Each round pushes a new
 *       commit and its tag and POSTs GitHub's own tag-push example payload, re-pointed at that repository, tag and
 *       commit and signed with X-Hub-Signature-256, to {@code /webhook}: the coordinator mints an installation token,
 *       reads .multiarch.yaml through the API, the runner fetches over git HTTP, check runs are created and completed
 *       at the stand-in. (3a): the same service and git server, another new commit triggered through the admin API
 *       ({@code POST /api/builds}, as {@code multiarch build --coordinator} does), for comparison; the two alternate
 *       which goes first;
 * </ol>
 * (4): the layer cache: a fixture whose Dockerfile has a RUN of 2 s (under QEMU on four platforms) before a COPY of
 * the file that changes; each round, an image never built (empty cache) and then its next commit through the warm
 * service, and that fixture by hand; and (5): from the last platform's report to the index published on every tag, read from the coordinators' own
 * records. CPU seconds: user + system of the measured processes and every child they waited for (buildah, git,
 * QEMU); the registry's own CPU is shown apart (the same registry serves all three).
 *
 * <p>(3)'s wall is from the trigger's POST to the build's own "published" time (the bench polls every 250 ms, which
 * would otherwise add up to 250 ms), its CPU the coordinator's and the runner's (children included) until the bench
 * saw the build ended; for the webhook also until the last check run completed, timed when the stand-in received it
 * (to within the 5 ms its arrivals are polled at).
 *
 * <p>(4) and the scaling mode trigger through the admin API, their sources on the bench's own git server, as before.
 * The driver needs the test classes and the test classpath (bench/pipeline-bench passes them).
 *
 * <p>Run by bench/pipeline-bench; arguments: REGISTRY REGISTRY_PID WORKTREE WORK ROUNDS
 */
public class PipelineBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ADMIN = "bench-admin-token-0123456789abcdef";
    private static final String SECRET = "bench-runner-secret-0123456789abcdef";
    private static final long TICK = 100; // USER_HZ on Linux

    record Cost(double wallSeconds, double cpuSeconds, double registryCpuSeconds) {}

    /**
     * One warm build's times, seconds from the trigger's POST: answered (the webhook's 202, the admin API's 201), the
     * build created and published (its own record), its last check run completed at the stand-in (NaN: none); the
     * CPU of the coordinator and the runner until the build was seen ended, of the bench's own JVM (the stand-in, its
     * git http-backend, polling) and of the coordinator and runner until the last check run completed (NaN: none).
     */
    record Timeline(
            double answered,
            double created,
            double published,
            double checks,
            double coordinatorCpu,
            double runnerCpu,
            double standInCpu,
            double checksCpu) {
        Timeline withChecksCpu(double cpu) {
            return new Timeline(answered, created, published, checks, coordinatorCpu, runnerCpu, standInCpu, cpu);
        }
    }

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
        if (args.length > 5 && args[5].equals("cold")) {
            git.stop(0);
            coldOnly(registry, registryPid, tree, bare, work, rounds, load0);
            return;
        }

        List<Cost> hand = new ArrayList<>();
        List<Cost> cold = new ArrayList<>();
        List<Cost> warm = new ArrayList<>();
        List<Cost> admin = new ArrayList<>();
        List<Double> publishCold = new ArrayList<>();
        List<Double> publishWarm = new ArrayList<>();
        List<Double> publishAdmin = new ArrayList<>();
        List<Timeline> webhookTimes = new ArrayList<>();
        List<Timeline> adminTimes = new ArrayList<>();
        Map<String, Integer> webhookRequests = new java.util.TreeMap<>();
        Map<String, Integer> adminRequests = new java.util.TreeMap<>();
        Map<String, List<Double>> steps = new LinkedHashMap<>();
        Map<String, List<Double>> stepsAdmin = new LinkedHashMap<>();
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
        // (3): the tests' GitHub stand-in serves the fixture (API and git over HTTP); the warm coordinator is its App.
        GitHub github = GitHub.start(work.resolve("github"), bare);
        Warm service = Warm.start(
                work.resolve("warm"),
                registry,
                1,
                "auto",
                github.config(registry),
                Map.of("BENCH_WEBHOOK", GitHub.HOOK));
        try {
            for (int round = 0; round <= rounds; round++) {
                String commit = commit(tree, bare, round);
                run(List.of("git", "push", "-q", bare.toString(), "HEAD:refs/tags/v2." + round + ".0"), tree);
                // Round 0 warms up: buildah's first run, the class-data archive of bin/multiarch build, the JIT.
                HandAndCold hc1 = handAndCold(registry, registryPid, tree, work, round);
                Cost h = hc1.hand();
                Cost c = hc1.cold();
                Map<String, List<Double>> sc = hc1.steps();
                double pc = hc1.publish();
                // (3) through a signed tag-push webhook and (3a) through the admin API, on the same warm service
                // and the same git server (the stand-in's); which goes first alternates by round.
                Cost w = null;
                Cost a = null;
                for (int leg = 0; leg < 2; leg++) {
                    int[] mark = github.mark();
                    if ((leg + round) % 2 == 0) {
                        w = service.webhook(github, commit, "v2." + round + ".0", registryPid);
                        if (round > 0) {
                            github.tally(mark, webhookRequests);
                            webhookTimes.add(service.lastTimeline);
                            publishWarm.add(service.lastPublish);
                            service.lastSteps.forEach((k, v) -> steps.computeIfAbsent(k, x -> new ArrayList<>())
                                    .addAll(v));
                        }
                    } else {
                        String adminCommit = commit(tree, bare, 500 + round);
                        a = service.build(github.cloneUrl(), adminCommit, "v4." + round + ".0", registryPid);
                        if (round > 0) {
                            github.tally(mark, adminRequests);
                            adminTimes.add(service.lastTimeline);
                            publishAdmin.add(service.lastPublish);
                            service.lastSteps.forEach((k, v) -> stepsAdmin
                                    .computeIfAbsent(k, x -> new ArrayList<>())
                                    .addAll(v));
                        }
                    }
                }
                if (round > 0) {
                    hand.add(h);
                    cold.add(c);
                    warm.add(w);
                    admin.add(a);
                    publishCold.add(pc);
                    sc.forEach((k, v) ->
                            stepsCold.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
                }
                System.err.printf(
                        Locale.ROOT,
                        "round %d: by hand %.2f s / %.2f CPU-s; cold %.2f / %.2f; webhook %.2f / %.2f (checks %.2f);"
                                + " admin API %.2f / %.2f%n",
                        round,
                        h.wallSeconds(),
                        h.cpuSeconds(),
                        c.wallSeconds(),
                        c.cpuSeconds(),
                        w.wallSeconds(),
                        w.cpuSeconds(),
                        service.webhookChecks,
                        a.wallSeconds(),
                        a.cpuSeconds());

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
            github.close();
            git.stop(0);
        }
        String load1 = Files.readString(Path.of("/proc/loadavg")).split(" ")[0];

        System.out.printf(
                Locale.ROOT,
                "%d rounds after a warm-up round, interleaved; load average %s at the start, %s at" + " the end%n%n",
                rounds,
                load0,
                load1);
        List<String> violations = github.standIn.violations();
        if (!violations.isEmpty()) {
            System.out.println("**The GitHub stand-in refused " + violations.size() + " request(s) as GitHub would:** "
                    + violations.subList(0, Math.min(5, violations.size())) + "\n");
        }
        System.out.println(
                "| what | wall median s (min–max) | CPU median s | wall vs (1) | CPU vs (1) | registry CPU s |");
        System.out.println("|---|---|---|---|---|---|");
        double hw = median(hand.stream().map(Cost::wallSeconds).toList());
        double hc = median(hand.stream().map(Cost::cpuSeconds).toList());
        row("(1) by hand: buildah bud + push per platform, then buildah manifest", hand, hw, hc);
        row("(2) `multiarch build`, cold (new process, fresh data dir)", cold, hw, hc);
        row(
                "(3) warm `serve` + `runner`, signed tag-push webhook, GitHub stand-in (API, git over HTTP, check runs)",
                warm,
                hw,
                hc);
        row("(3a) the same service, admin API (`POST /api/builds`), the same git server", admin, hw, hc);
        System.out.printf(
                Locale.ROOT,
                "%n(3)'s CPU, median: coordinator %.2f s, runner %.2f s (buildah, git and QEMU included), both until"
                        + " the last check run completed %.2f s; (3a)'s: coordinator %.2f s, runner %.2f s%n",
                median(webhookTimes.stream().map(Timeline::coordinatorCpu).toList()),
                median(webhookTimes.stream().map(Timeline::runnerCpu).toList()),
                median(webhookTimes.stream().map(Timeline::checksCpu).toList()),
                median(adminTimes.stream().map(Timeline::coordinatorCpu).toList()),
                median(adminTimes.stream().map(Timeline::runnerCpu).toList()));
        System.out.printf(
                Locale.ROOT,
                "%n| (3) from the POST, median s (max) | answered | build created | index published | last check run"
                        + " completed | stand-in CPU s |%n");
        System.out.println("|---|---|---|---|---|---|");
        timelineRow("(3) webhook: signed push to `/webhook`", webhookTimes);
        timelineRow("(3a) admin API: `POST /api/builds`", adminTimes);
        System.out.printf(Locale.ROOT, "%nRequests at the GitHub stand-in per build, mean over %d rounds:%n%n", rounds);
        System.out.println("| request | (3) webhook | (3a) admin API |");
        System.out.println("|---|---|---|");
        java.util.Set<String> ops = new java.util.TreeSet<>(webhookRequests.keySet());
        ops.addAll(adminRequests.keySet());
        for (String op : ops) {
            System.out.printf(
                    Locale.ROOT,
                    "| `%s` | %.1f | %.1f |%n",
                    op,
                    webhookRequests.getOrDefault(op, 0) / (double) rounds,
                    adminRequests.getOrDefault(op, 0) / (double) rounds);
        }
        System.out.printf(Locale.ROOT, "%n| (5) last platform reported → index on every tag | median s | max s |%n");
        System.out.println("|---|---|---|");
        System.out.printf(Locale.ROOT, "| (2) cold | %.3f | %.3f |%n", median(publishCold), max(publishCold));
        System.out.printf(Locale.ROOT, "| (3) warm, webhook | %.3f | %.3f |%n", median(publishWarm), max(publishWarm));
        System.out.printf(
                Locale.ROOT, "| (3a) warm, admin API | %.3f | %.3f |%n", median(publishAdmin), max(publishAdmin));
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
        stepTable(Map.of("(2)", stepsCold, "(3)", steps, "(3a)", stepsAdmin));
        System.out.printf(
                Locale.ROOT,
                "%nWhere a job's time goes in (4c) and (4), median over %d jobs each, seconds:%n%n",
                5 * rounds);
        stepTable(Map.of("(4c)", steps4c, "(4)", steps4));
    }

    /** One round's (1) and (2): both costs, (2)'s per-job steps and its (5), read from its store. */
    private record HandAndCold(Cost hand, Cost cold, double publish, Map<String, List<Double>> steps) {}

    /** (1) by hand, then (2) `multiarch build` in a fresh data directory, which is deleted once read. */
    private static HandAndCold handAndCold(String registry, long registryPid, Path tree, Path work, int round)
            throws Exception {
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
        Map<String, List<Double>> steps = new LinkedHashMap<>();
        double publish = fromStore(data.resolve("store"), steps);
        deleteTree(data);
        return new HandAndCold(h, c, publish, steps);
    }

    /**
     * MULTIARCH_BENCH_MODE=cold: (1) and (2) only, interleaved as in the full run (the same round-0 warm-up, the same
     * tags and commits), with (2)'s per-job steps and (5) for (2): for paired before/after runs of `multiarch build`
     * that fit in a few minutes.
     */
    private static void coldOnly(
            String registry, long registryPid, Path tree, Path bare, Path work, int rounds, String load0)
            throws Exception {
        List<Cost> hand = new ArrayList<>();
        List<Cost> cold = new ArrayList<>();
        List<Double> publishCold = new ArrayList<>();
        Map<String, List<Double>> stepsCold = new LinkedHashMap<>();
        for (int round = 0; round <= rounds; round++) {
            commit(tree, bare, round);
            HandAndCold hc1 = handAndCold(registry, registryPid, tree, work, round);
            Cost h = hc1.hand();
            Cost c = hc1.cold();
            Map<String, List<Double>> sc = hc1.steps();
            double pc = hc1.publish();
            if (round > 0) {
                hand.add(h);
                cold.add(c);
                publishCold.add(pc);
                sc.forEach((k, v) ->
                        stepsCold.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
            }
            System.err.printf(
                    Locale.ROOT,
                    "round %d: by hand %.2f s / %.2f CPU-s; cold %.2f / %.2f%n",
                    round,
                    h.wallSeconds(),
                    h.cpuSeconds(),
                    c.wallSeconds(),
                    c.cpuSeconds());
        }
        String load1 = Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        System.out.printf(
                Locale.ROOT,
                "%d rounds after a warm-up round, interleaved, (1) and (2) only; load average %s at the start, %s at"
                        + " the end%n%n",
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
        System.out.printf(
                Locale.ROOT,
                "%n(5) for (2), last platform reported → index on every tag: median %.3f s, max %.3f s%n",
                median(publishCold),
                max(publishCold));
        System.out.printf(
                Locale.ROOT, "%nWhere a job's time goes in (2), median over %d jobs, seconds:%n%n", 5 * rounds);
        stepTable(Map.of("(2)", stepsCold));
    }

    private static void timelineRow(String name, List<Timeline> ts) {
        List<java.util.function.ToDoubleFunction<Timeline>> columns = List.of(
                Timeline::answered, Timeline::created, Timeline::published, Timeline::checks, Timeline::standInCpu);
        List<String> cells = new ArrayList<>();
        for (var f : columns) {
            List<Double> xs = ts.stream().map(f::applyAsDouble).toList();
            cells.add(
                    xs.stream().anyMatch(x -> x.isNaN())
                            ? "–"
                            : String.format(Locale.ROOT, "%.3f (%.3f)", median(xs), max(xs)));
        }
        System.out.println("| " + name + " | " + String.join(" | ", cells) + " |");
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
        Timeline lastTimeline;

        private Warm(Process coordinator, List<Process> runners, String url) {
            this.coordinator = coordinator;
            this.runners = runners;
            this.url = url;
        }

        /** The coordinator and {@code count} runner processes (each its own work directory), {@code jobs:} each. */
        static Warm start(Path dir, String registry, int count, String jobs) throws Exception {
            return start(dir, registry, count, jobs, "", Map.of());
        }

        /** As above, with more of the coordinator's config.yaml (a github: section) and its environment. */
        static Warm start(Path dir, String registry, int count, String jobs, String moreConfig, Map<String, String> env)
                throws Exception {
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
                            + "registries:\n  - host: " + registry + "\n    insecure: true\n" + moreConfig);
            Process c =
                    start(List.of("bin/multiarch", "serve", "--config", cfg.toString()), dir.resolve("serve.log"), env);
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
                        dir.resolve("runner" + suffix + ".log"),
                        Map.of()));
            }
            return new Warm(c, rs, url);
        }

        private static Process start(List<String> cmd, Path log, Map<String, String> env) throws IOException {
            ProcessBuilder pb =
                    new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().put("BENCH_ADMIN", ADMIN);
            pb.environment().put("BENCH_SECRET", SECRET);
            pb.environment().putAll(env);
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

        /**
         * Triggers the tag at {@code commit} through the admin API and waits for the build to end: wall from the
         * trigger to the build's own "published" time, CPU of both processes.
         */
        Cost build(String cloneUrl, String commit, String tag, long registryPid) throws Exception {
            double coordinator0 = cpu(coordinator.pid());
            double runner0 = runnersCpu();
            double reg0 = cpu(registryPid);
            double self0 = cpu(ProcessHandle.current().pid());
            String body = JSON.writeValueAsString(
                    Map.of("repo", "bench/fixture", "cloneUrl", cloneUrl, "commit", commit, "ref", "refs/tags/" + tag));
            HttpRequest trigger = HttpRequest.newBuilder(URI.create(url + "/api/builds"))
                    .header("Authorization", "Bearer " + ADMIN)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build();
            Instant t0 = Instant.now();
            long n0 = System.nanoTime();
            HttpResponse<String> r = http.send(trigger, HttpResponse.BodyHandlers.ofString());
            double answered = (System.nanoTime() - n0) / 1e9;
            if (r.statusCode() != 201) {
                throw new IllegalStateException("trigger: " + r.statusCode() + " " + r.body());
            }
            long id = JSON.readTree(r.body()).get(0).path("id").asLong();
            JsonNode b = awaitEnd(id);
            double coordinatorCpu = cpu(coordinator.pid()) - coordinator0;
            double runnerCpu = runnersCpu() - runner0;
            double standIn = cpu(ProcessHandle.current().pid()) - self0;
            return finish(b, t0, answered, Double.NaN, coordinatorCpu, runnerCpu, standIn, cpu(registryPid) - reg0);
        }

        /** The (3) seconds of the last {@link #webhook} from the POST to the last check run completed. */
        double webhookChecks = Double.NaN;

        /**
         * Delivers a tag push as GitHub does (its example payload re-pointed at {@link GitHub#REPO}, this tag and
         * commit; signed with X-Hub-Signature-256) to {@code /webhook}, and waits for the build to end and then for
         * every one of its check runs to be completed at the stand-in. Wall: from the POST to the build's own
         * "published" time; CPU: both processes until the last check run completed (the reports included).
         */
        Cost webhook(GitHub github, String commit, String tag, long registryPid) throws Exception {
            ObjectNode p = GitHubEvents.example(
                    "push",
                    e -> e.path("ref").asText().startsWith("refs/tags/")
                            && e.path("created").asBoolean()
                            && !e.path("deleted").asBoolean());
            GitHubEvents.repoint(p, GitHub.REPO, github.cloneUrl(), GitHubStandIn.INSTALLATION);
            p.put("ref", "refs/tags/" + tag).put("after", commit).put("before", "0".repeat(40));
            ((ObjectNode) p.path("repository")).put("private", false);
            if (p.path("head_commit").isObject()) {
                ((ObjectNode) p.path("head_commit")).put("id", commit).put("tree_id", commit);
            }
            byte[] body = JSON.writeValueAsBytes(p);
            String signature = WebhookSignature.sign(GitHub.HOOK, body);
            String delivery = UUID.randomUUID().toString();
            double coordinator0 = cpu(coordinator.pid());
            double runner0 = runnersCpu();
            double reg0 = cpu(registryPid);
            double self0 = cpu(ProcessHandle.current().pid());
            Instant t0 = Instant.now();
            GitHubEvents.Delivered d = GitHubEvents.deliver(url + "/webhook", "push", delivery, body, signature);
            if (d.status() != 202) {
                throw new IllegalStateException("webhook: " + d.status() + " " + d.body());
            }
            long id = -1;
            for (int i = 0; id < 0; i++) {
                JsonNode list = get("/api/builds?commit=" + commit);
                for (JsonNode b : list == null ? JSON.createArrayNode() : list) {
                    if (b.path("ref").asText().equals("refs/tags/" + tag)) {
                        id = b.path("id").asLong();
                    }
                }
                if (id < 0) {
                    if (i > 240) {
                        throw new IllegalStateException("no build of the delivery " + delivery + " after 60 s: "
                                + d.body() + "; stand-in violations " + github.standIn.violations());
                    }
                    Thread.sleep(250);
                }
            }
            JsonNode b = awaitEnd(id);
            double coordinatorCpu = cpu(coordinator.pid()) - coordinator0;
            double runnerCpu = runnersCpu() - runner0;
            int expected = 1 + b.path("jobs").size(); // the build's check run and one per platform
            Instant checks;
            for (int i = 0; (checks = github.checksCompleted(commit, expected)) == null; i++) {
                if (i > 6000) {
                    throw new IllegalStateException(
                            "check runs of " + commit + " not completed after 60 s: " + github.standIn.violations());
                }
                Thread.sleep(10);
            }
            double untilChecks = cpu(coordinator.pid()) - coordinator0 + runnersCpu() - runner0;
            double standIn = cpu(ProcessHandle.current().pid()) - self0;
            webhookChecks = Duration.between(t0, checks).toMillis() / 1000.0;
            Cost c = finish(
                    b,
                    t0,
                    d.micros() / 1e6,
                    webhookChecks,
                    coordinatorCpu,
                    runnerCpu,
                    standIn,
                    cpu(registryPid) - reg0);
            lastTimeline = lastTimeline.withChecksCpu(untilChecks);
            return c;
        }

        private JsonNode awaitEnd(long id) throws InterruptedException {
            JsonNode b;
            while (true) {
                b = get("/api/builds/" + id);
                if (b != null && b.path("terminal").asBoolean()) {
                    break;
                }
                Thread.sleep(250); // the wall comes from the build's own record; polling costs the coordinator
            }
            if (!b.path("state").asText().equals("published")) {
                throw new IllegalStateException("warm build " + id + " ended " + b);
            }
            return b;
        }

        /** The build's times (its own record) and the CPU measured: the row's cost, (5) and the step times. */
        private Cost finish(
                JsonNode b,
                Instant t0,
                double answered,
                double checks,
                double coordinatorCpu,
                double runnerCpu,
                double standInCpu,
                double registryCpu) {
            Instant published = Instant.parse(b.path("updatedAt").asText());
            double wall = Duration.between(t0, published).toMillis() / 1000.0;
            double created =
                    Duration.between(t0, Instant.parse(b.path("createdAt").asText()))
                                    .toMillis()
                            / 1000.0;
            this.coordinatorCpu.add(coordinatorCpu);
            this.runnerCpu.add(runnerCpu);
            Instant last = Instant.MIN;
            lastSteps = new LinkedHashMap<>();
            for (JsonNode j : b.path("jobs")) {
                Instant f = Instant.parse(j.path("finishedAt").asText());
                last = f.isAfter(last) ? f : last;
                j.path("timings").fields().forEachRemaining(e -> lastSteps
                        .computeIfAbsent(e.getKey(), k -> new ArrayList<>())
                        .add(e.getValue().asLong() / 1000.0));
            }
            lastPublish = Duration.between(last, published).toMillis() / 1000.0;
            lastTimeline =
                    new Timeline(answered, created, wall, checks, coordinatorCpu, runnerCpu, standInCpu, Double.NaN);
            return new Cost(wall, coordinatorCpu + runnerCpu, registryCpu);
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

    /**
     * The tests' GitHub stand-in ({@code dev.multiarch.testing.GitHubStandIn}, from target/test-classes): every
     * request checked against GitHub's OpenAPI description, the App's JWT and installation tokens checked, the
     * fixture's bare repository served through the contents API and over git's smart HTTP protocol (git
     * http-backend) at {@code /bench/fixture.git}. A thread notes when each request arrived (polled every 5 ms), so
     * that the last check run's completion is timed at GitHub's end.
     */
    static final class GitHub implements AutoCloseable {
        static final String REPO = "bench/fixture";
        static final String APP_ID = "424242";
        /** The webhook secret (github.webhook-secrets, from the coordinator's environment). */
        static final String HOOK = "bench-webhook-secret-0123456789abcdef";

        final GitHubStandIn standIn;
        private final Path pem;
        private final List<Instant> arrived = Collections.synchronizedList(new ArrayList<>());
        private final Thread clock;

        private GitHub(GitHubStandIn standIn, Path pem) {
            this.standIn = standIn;
            this.pem = pem;
            this.clock = new Thread(this::watch, "stand-in-clock");
            clock.setDaemon(true);
            clock.start();
        }

        static GitHub start(Path dir, Path bare) throws IOException {
            Files.createDirectories(dir);
            Path pem = dir.resolve("app.pem");
            KeyPair key = GitHubEvents.appKey(pem);
            GitHubStandIn s = new GitHubStandIn(GitHubStandIn.openApi(), APP_ID, key.getPublic(), null);
            s.repo(REPO, bare);
            return new GitHub(s, pem);
        }

        private void watch() {
            while (!Thread.currentThread().isInterrupted()) {
                int n = standIn.calls().size();
                Instant now = Instant.now();
                synchronized (arrived) {
                    while (arrived.size() < n) {
                        arrived.add(now);
                    }
                }
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        /** Where the stand-in's lists of requests (API, git) end now. */
        int[] mark() {
            return new int[] {standIn.calls().size(), standIn.gitFetches().size()};
        }

        /** The requests since {@code mark} by operation ("PATCH /repos/{owner}/{repo}/check-runs/{id}"), added up. */
        void tally(int[] mark, Map<String, Integer> into) {
            List<GitHubStandIn.Call> calls = standIn.calls();
            for (GitHubStandIn.Call c : calls.subList(mark[0], calls.size())) {
                String op = c.method() + " "
                        + c.path()
                                .replace("/repos/" + REPO, "/repos/{owner}/{repo}")
                                .replaceAll("/[0-9]+($|/)", "/{id}$1")
                        + (c.status() >= 300 ? " → " + c.status() : "");
                into.merge(op, 1, Integer::sum);
            }
            List<GitHubStandIn.GitFetch> git = standIn.gitFetches();
            for (GitHubStandIn.GitFetch g : git.subList(mark[1], git.size())) {
                into.merge(
                        "git " + g.service().replaceFirst("^git-", "") + (g.authorized() ? " (with a token)" : "")
                                + " → " + g.status(),
                        1,
                        Integer::sum);
            }
        }

        /** Where the coordinator (github.web-url, the same as api-url here) has runners fetch the fixture. */
        String cloneUrl() {
            return standIn.url() + "/" + REPO + ".git";
        }

        /** The coordinator as a GitHub App of the stand-in, the fixture allowed to publish to the registry. */
        String config(String registry) {
            return "repositories:\n  - match: bench/*\n    images: [" + registry + "/*]\n"
                    + "github:\n  api-url: " + standIn.url() + "\n  webhook-secrets: [\"${BENCH_WEBHOOK}\"]\n"
                    + "  app-id: \"" + APP_ID + "\"\n  private-key-file: " + pem + "\n  workflows: "
                    + Path.of("workflows").toAbsolutePath() + "\n";
        }

        /**
         * When the stand-in received the last completion of {@code sha}'s check runs, once {@code expected} of them
         * were created and every one is completed; null before.
         */
        Instant checksCompleted(String sha, int expected) {
            List<GitHubStandIn.Call> calls = standIn.calls();
            List<Instant> at;
            synchronized (arrived) {
                at = List.copyOf(arrived);
            }
            Map<Long, String> names = new java.util.HashMap<>();
            Map<String, Instant> completed = new LinkedHashMap<>();
            for (int i = 0; i < Math.min(calls.size(), at.size()); i++) {
                GitHubStandIn.Call c = calls.get(i);
                if (c.status() >= 300 || c.body() == null || !c.path().contains("/check-runs")) {
                    continue;
                }
                String name;
                if (c.method().equals("POST")) {
                    if (!c.body().path("head_sha").asText().equals(sha)) {
                        continue;
                    }
                    name = c.body().path("name").asText();
                    names.put(c.response().path("id").asLong(), name);
                } else {
                    name = names.get(Long.parseLong(c.path().replaceAll(".*/", "")));
                    if (name == null) {
                        continue;
                    }
                }
                String status = c.body().path("status").asText("");
                if (status.equals("completed") || c.body().has("conclusion")) {
                    completed.put(name, at.get(i));
                } else if (!status.isEmpty()) {
                    completed.remove(name);
                }
            }
            if (names.size() < expected || !completed.keySet().containsAll(names.values())) {
                return null;
            }
            return completed.values().stream().max(Comparator.naturalOrder()).orElse(null);
        }

        @Override
        public void close() {
            clock.interrupt();
            standIn.close();
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
        // git gzips a request body over 1 KiB (a fetch with many "have" lines: (4)'s source cache by round 4);
        // http-backend inflates it only when told, and otherwise answers garbage ("expected 'acknowledgments'").
        String encoding = ex.getRequestHeaders().getFirst("Content-Encoding");
        if (encoding != null) {
            env.put("HTTP_CONTENT_ENCODING", encoding);
        }
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
