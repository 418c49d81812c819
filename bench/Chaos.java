import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.multiarch.github.WebhookSignature;
import dev.multiarch.testing.GitHubEvents;
import dev.multiarch.testing.GitHubStandIn;
import dev.multiarch.testing.GitRepo;
import dev.multiarch.testing.JavaProcess;
import dev.multiarch.testing.PostgresCluster;
import dev.multiarch.testing.RegistryProxy;
import dev.multiarch.testing.RegistryServer;
import dev.multiarch.testing.SharedCoordinators;
import dev.multiarch.testing.TestImages;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A fault campaign: BUILDS tag pushes (signed webhooks, each to a coordinator picked at random) to three coordinators
 * on one PostgreSQL, with three runners (one per coordinator), while a coordinator picked at random is killed with
 * SIGKILL at random moments and restarted a few seconds later, and the registry (behind a proxy) answers a fraction
 * of manifest requests 503. Each build publishes its own image (four tags), so every tag must be PUT exactly once.
 *
 * <p>Reports: deliveries acknowledged, builds published / failed / stuck, acknowledged deliveries lost (no build),
 * deliveries processed twice (two builds), tags PUT more than once, images published partially, check runs created
 * more than once; and per kill the time until every build that was in flight when it came was finished.
 *
 * <p>Uses the tests' helpers (real jar processes, throwaway PostgreSQL, docker-registry, GitHub stand-in). Run by
 * bench/chaos; arguments: BUILDS FAILURE_FRACTION SEED
 */
public class Chaos {
    static final String REPO = "octo-org/chaos";
    static final String SECRET = "chaos-webhook-secret-0123456789";
    static final List<String> TAGS = List.of("1", "1.0", "1.0.0", "latest");
    static final List<String> NAMES = List.of("c1", "c2", "c3");

    record Kill(String coordinator, Instant at, Set<String> inFlight) {}

    /**
     * A runner killed at {@code at} holding {@code jobs} (id → attempt) by the store; its tree had {@code processes}
     * processes, {@code buildah} of them buildah's; {@code left} survived SIGKILL, {@code strays} are processes of the
     * campaign no longer under this one right after.
     */
    record RunnerKill(
            String runner,
            Instant at,
            Map<Long, Integer> jobs,
            int processes,
            int buildah,
            int left,
            List<String> strays) {}

    public static void main(String[] args) throws Exception {
        int builds = Integer.parseInt(args[0]);
        CACHE = args.length < 4 || !args[3].equals("nocache");
        double failures = Double.parseDouble(args[1]);
        Random random = new Random(Long.parseLong(args[2]));
        Path dir = Files.createTempDirectory("multiarch-chaos");
        try (PostgresCluster postgres = PostgresCluster.start();
                RegistryServer registry = RegistryServer.start();
                RegistryProxy proxy = new RegistryProxy(registry.host())) {
            proxy.failManifests(failures);
            Path pem = dir.resolve("app.pem");
            KeyPair key = GitHubEvents.appKey(pem);
            try (GitHubStandIn github = new GitHubStandIn(GitHubStandIn.openApi(), "424242", key.getPublic(), null)) {
                GitRepo repo = GitRepo.create(Files.createDirectories(dir.resolve("repo")));
                github.repo(REPO, Path.of(repo.cloneUrl()));
                String db = postgres.createDatabase();
                try (SharedCoordinators c = new SharedCoordinators(
                        Files.createDirectories(dir.resolve("coordinators")),
                        "postgresql://127.0.0.1:" + postgres.port() + "/" + db,
                        proxy.host(),
                        6,
                        "repositories:\n  - match: " + REPO + "\n    images: [" + proxy.host() + "/*]\n"
                                + "github:\n  api-url: " + github.url() + "\n  webhook-secrets: [\"${WH}\"]\n"
                                + "  app-id: \"424242\"\n  private-key-file: " + pem + "\n  workflows: "
                                + Path.of("workflows").toAbsolutePath() + "\n",
                        Map.of("WH", SECRET))) {
                    NAMES.forEach(c::start);
                    // The runners reach the coordinators through a load balancer, as in a deployment: a runner whose
                    // coordinator is killed goes on with another (a runner tied to one coordinator loses its leases
                    // with it, and the campaign would measure that instead of runner kills).
                    try (Balancer lb = new Balancer(NAMES.stream()
                            .map(n -> Integer.parseInt(c.url(n).replaceAll(".*:", "")))
                            .toList())) {
                        Map<String, JavaProcess> runners = new ConcurrentHashMap<>();
                        for (String n : NAMES) {
                            runners.put("runner-" + n, c.runnerVia("runner-" + n, lb.url(), PLATFORMS, 2));
                        }
                        run(
                                c,
                                runners,
                                lb.url(),
                                github,
                                proxy,
                                repo,
                                new Db(postgres.jdbcUrl(db)),
                                dir,
                                builds,
                                random,
                                failures);
                    }
                }
            }
        } finally {
            new ProcessBuilder("rm", "-rf", dir.toString()).start().waitFor();
        }
    }

    static void run(
            SharedCoordinators c,
            Map<String, JavaProcess> runners,
            String balancer,
            GitHubStandIn github,
            RegistryProxy proxy,
            GitRepo repo,
            Db db,
            Path dir,
            int builds,
            Random random,
            double failures)
            throws Exception {
        Set<String> alive = ConcurrentHashMap.newKeySet();
        alive.addAll(NAMES);
        Map<String, String> images = new LinkedHashMap<>(); // commit → image
        for (int i = 0; i < builds; i++) {
            String image = "chaos-" + i;
            Map<String, String> files = new LinkedHashMap<>();
            // Cheap on purpose: a 1 MB busybox copied in and a RUN of 1-3 s, so that 100 builds fit in minutes on two
            // cores and a runner is killed mid-build (in buildah) rather than mid-checkout.
            int sleep = 1 + random.nextInt(3);
            files.put(
                    "Dockerfile",
                    "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"sh\", \"-c\", \"/bin/busybox sleep "
                            + sleep + " && /bin/busybox echo " + i + " > /built\"]\n");
            files.put("busybox", "@" + TestImages.busybox("amd64"));
            files.put(
                    ".multiarch.yaml",
                    "image: " + proxy.host() + "/" + image + "\nplatforms: [linux/amd64]\n"
                            + (CACHE ? "" : "cache: false\n"));
            images.put(repo.commit(image, files), image);
        }
        List<Kill> kills = new CopyOnWriteArrayList<>();
        List<RunnerKill> runnerKills = new CopyOnWriteArrayList<>();
        List<String> restartFailures = new CopyOnWriteArrayList<>();
        Instant started = Instant.now();
        Thread killer = new Thread(() -> {
            Random r = new Random(random.nextLong());
            try {
                while (!OVER.await(4000 + r.nextInt(8000), TimeUnit.MILLISECONDS)) {
                    List<String> live = new ArrayList<>(alive);
                    if (live.size() < 2) {
                        continue;
                    }
                    String victim = live.get(r.nextInt(live.size()));
                    Set<String> inFlight = db.unfinishedCommits();
                    alive.remove(victim);
                    Instant at = Instant.now();
                    c.coordinator(victim).kill();
                    kills.add(new Kill(victim, at, inFlight));
                    System.out.printf(
                            Locale.ROOT,
                            "+%5.1f s killed coordinator %s (%d builds in flight)%n",
                            since(started, at),
                            victim,
                            inFlight.size());
                    Thread.sleep(2000 + r.nextInt(4000));
                    try {
                        c.start(victim);
                        alive.add(victim);
                    } catch (RuntimeException e) {
                        restartFailures.add(victim + ": " + e.getMessage());
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Set<String> runnersAlive = ConcurrentHashMap.newKeySet();
        runnersAlive.addAll(runners.keySet());
        Thread runnerKiller = new Thread(() -> {
            Random r = new Random(random.nextLong());
            try {
                while (!OVER.await(15_000 + r.nextInt(15_000), TimeUnit.MILLISECONDS)) {
                    List<String> live = new ArrayList<>(runnersAlive);
                    Collections.sort(live);
                    // Mid-build when possible: one of the runners holding a job now.
                    Set<String> busy = db.heldJobs().keySet();
                    List<String> pool = live.stream().filter(busy::contains).toList();
                    if (pool.isEmpty()) {
                        pool = live;
                    }
                    if (pool.isEmpty()) {
                        continue;
                    }
                    String victim = pool.get(r.nextInt(pool.size()));
                    runnersAlive.remove(victim);
                    Instant at = Instant.now();
                    TreeKill k = killTree(runners.get(victim).handle());
                    // Read after the kill: what the store says the dead runner holds (a claim whose answer never
                    // reached it included); its leases are still running for a few seconds.
                    Map<Long, Integer> held = db.heldJobs().getOrDefault(victim, Map.of());
                    List<String> strays = strays(dir);
                    runnerKills.add(new RunnerKill(victim, at, held, k.processes(), k.buildah(), k.left(), strays));
                    System.out.printf(
                            Locale.ROOT,
                            "+%5.1f s killed runner %s: %d processes (%d buildah), holding jobs %s; %d left alive,"
                                    + " %d stray%n",
                            since(started, at),
                            victim,
                            k.processes(),
                            k.buildah(),
                            held,
                            k.left(),
                            strays.size());
                    Thread.sleep(2000 + r.nextInt(4000));
                    try {
                        // The same config and work directory: the saved identity (runner-identity.json) is re-used.
                        runners.put(victim, c.runnerVia(victim, balancer, PLATFORMS, 2));
                        runnersAlive.add(victim);
                    } catch (RuntimeException e) {
                        restartFailures.add(victim + ": " + e.getMessage());
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        killer.start();
        runnerKiller.start();
        Map<String, String> acknowledged = new ConcurrentHashMap<>(); // commit → delivery id
        ObjectMapper json = new ObjectMapper();
        int unanswered = 0;
        for (Map.Entry<String, String> e : images.entrySet()) {
            ObjectNode push = GitHubEvents.example(
                    "push",
                    x -> x.path("ref").asText().startsWith("refs/tags/")
                            && x.path("created").asBoolean()
                            && !x.path("deleted").asBoolean());
            GitHubEvents.repoint(push, REPO, repo.cloneUrl(), 4711);
            push.put("ref", "refs/tags/v1.0.0").put("after", e.getKey()).put("before", "0".repeat(40));
            // A delivery that does not get a 202 is not acknowledged: GitHub shows it failed and it is redelivered
            // under the same delivery id. Try the live coordinators in a random order until one takes it, for 60 s.
            String id = UUID.randomUUID().toString();
            byte[] body = json.writeValueAsBytes(push);
            String signature = WebhookSignature.sign(SECRET, body);
            Instant giveUp = Instant.now().plusSeconds(60);
            while (!acknowledged.containsKey(e.getKey()) && Instant.now().isBefore(giveUp)) {
                List<String> order = new ArrayList<>(NAMES);
                Collections.shuffle(order, random);
                for (String n : order) {
                    if (!alive.contains(n)) {
                        continue;
                    }
                    try {
                        if (GitHubEvents.deliver(c.url(n) + "/webhook", "push", id, body, signature)
                                        .status()
                                == 202) {
                            acknowledged.put(e.getKey(), id);
                            break;
                        }
                    } catch (RuntimeException ex) {
                        // killed under us: the next one
                    }
                    unanswered++;
                }
                if (!acknowledged.containsKey(e.getKey())) {
                    Thread.sleep(500);
                }
            }
            // Paced: a build every 3-5 s, so that the runners build while the kills come, not only queue.
            Thread.sleep(3000 + random.nextInt(2000));
        }
        Instant lastPush = Instant.now();
        // Poll the store until every acknowledged delivery's build is finished, or the deadline.
        Instant deadline = lastPush.plus(STUCK_AFTER);
        Map<String, Db.Build> finals = db.builds();
        while (Instant.now().isBefore(deadline) && !allFinished(acknowledged.keySet(), finals)) {
            OVER.await(1, TimeUnit.SECONDS);
            finals = db.builds();
        }
        Instant end = Instant.now();
        OVER.countDown();
        killer.join(120_000);
        runnerKiller.join(120_000);
        Duration took = Duration.between(started, end);
        Duration tail = Duration.between(lastPush, end);

        // Duplicates and losses, from what the registry, GitHub and the store saw.
        Map<String, Integer> puts = new TreeMap<>();
        int manifestRequests = 0;
        int injected = 0;
        for (RegistryProxy.Exchange x : proxy.exchanges()) {
            if (x.path().contains("/manifests/")) {
                if (x.status() == 503) {
                    injected++;
                } else {
                    manifestRequests++;
                }
            }
            if (x.method().equals("PUT") && x.path().contains("/manifests/") && x.status() / 100 == 2) {
                String ref = x.path().replaceAll(".*/manifests/", "");
                if (!ref.startsWith("sha256:")) {
                    puts.merge(x.path().replaceAll("^/v2/", ""), 1, Integer::sum);
                }
            }
        }
        // The image's own tags; the layer cache's tags (IMAGE/cache/PLATFORM:KEY) are written again by every attempt of
        // a retried job, on purpose, and counted apart.
        int doubleTags = (int) puts.entrySet().stream()
                .filter(e -> e.getValue() > 1 && !e.getKey().contains("/cache/"))
                .count();
        int cacheRePuts = (int) puts.entrySet().stream()
                .filter(e -> e.getValue() > 1 && e.getKey().contains("/cache/"))
                .count();
        // Cache manifests whose last word was an injected 503: how many PUTs in a row were refused at the end (1: the
        // writer did not retry).
        Map<String, List<Integer>> byPath = new LinkedHashMap<>();
        for (RegistryProxy.Exchange x : proxy.exchanges()) {
            if (x.path().contains("/cache/")
                    && x.path().contains("/manifests/")
                    && x.method().equals("PUT")) {
                byPath.computeIfAbsent(x.path(), k -> new ArrayList<>()).add(x.status());
            }
        }
        Map<Integer, Integer> cacheRefusedRuns = new TreeMap<>();
        for (List<Integer> st : byPath.values()) {
            int n = 0;
            for (int i = st.size() - 1; i >= 0 && st.get(i) == 503; i--) {
                n++;
            }
            if (n > 0) {
                cacheRefusedRuns.merge(n, 1, Integer::sum);
            }
        }
        // What the registry saw of each tag PUT twice, in order: a HEAD 200 between the PUTs means the second wrote
        // other bytes; a HEAD 404 before each means two publishers at once; no HEAD, a client retrying a PUT.
        List<String> doubles = new ArrayList<>();
        for (Map.Entry<String, Integer> e : puts.entrySet()) {
            if (e.getValue() > 1 && !e.getKey().contains("/cache/")) {
                StringBuilder seq = new StringBuilder(e.getKey() + ":");
                for (RegistryProxy.Exchange x : proxy.exchanges()) {
                    if (x.path().equals("/v2/" + e.getKey())) {
                        seq.append(' ')
                                .append(x.method())
                                .append(' ')
                                .append(x.status())
                                .append(',');
                    }
                }
                doubles.add(seq.toString());
            }
        }
        Map<String, Db.Build> last = db.builds();
        int published = 0;
        int stuck = 0;
        Map<String, List<String>> failedBy = new TreeMap<>();
        int partial = 0;
        for (String commit : acknowledged.keySet()) {
            Db.Build b = last.get(commit);
            String state = b == null ? "none" : b.state();
            if (state.equals("PUBLISHED")) {
                published++;
            } else if (state.equals("FAILED") || state.equals("CANCELLED")) {
                failedBy.computeIfAbsent(reason(b.error(), db.lastLog(commit, 15)), k -> new ArrayList<>())
                        .add(images.get(commit) + " (" + b.error() + ")");
            } else {
                stuck++;
                failedBy.computeIfAbsent("STUCK in " + state, k -> new ArrayList<>())
                        .add(images.get(commit));
            }
            String image = images.get(commit);
            long tags = TAGS.stream()
                    .filter(t -> puts.containsKey(image + "/manifests/" + t))
                    .count();
            if (state.equals("PUBLISHED") ? tags != TAGS.size() : tags != 0) {
                partial++;
            }
        }
        Map<String, Integer> perDelivery = db.buildsPerDelivery();
        int lost = (int) acknowledged.values().stream()
                .filter(id -> perDelivery.getOrDefault(id, 0) == 0)
                .count();
        int twice = (int) perDelivery.values().stream().filter(n -> n > 1).count();
        Map<String, Integer> checkPosts = new HashMap<>();
        for (GitHubStandIn.Call call : github.calls()) {
            if (call.method().equals("POST") && call.path().endsWith("/check-runs") && call.status() < 300) {
                checkPosts.merge(
                        call.body().path("head_sha").asText() + " "
                                + call.body().path("name").asText(),
                        1,
                        Integer::sum);
            }
        }
        int doubleChecks = (int) checkPosts.values().stream().filter(n -> n > 1).count();
        List<Long> recover = new ArrayList<>();
        for (Kill k : kills) {
            Instant until = k.at();
            boolean all = true;
            for (String commit : k.inFlight()) {
                Db.Build b = last.get(commit);
                if (b == null || !b.finished()) {
                    all = false;
                } else if (b.updatedAt().isAfter(until)) {
                    until = b.updatedAt();
                }
            }
            if (all && !k.inFlight().isEmpty()) {
                recover.add(Duration.between(k.at(), until).toMillis());
            }
        }
        Collections.sort(recover);

        // Runner kills: each job the dead runner held, and who finished it when.
        Map<Long, Db.Job> jobs = db.jobs();
        Map<String, String> runnerNames = db.runnerNames();
        List<Long> jobRecover = new ArrayList<>();
        int heldJobs = 0;
        int retried = 0;
        int notFinished = 0;
        int midBuild = 0;
        int buildahKilled = 0;
        int leftAlive = 0;
        List<String> straysAfterKills = new ArrayList<>();
        List<String> perKill = new ArrayList<>();
        for (RunnerKill k : runnerKills) {
            midBuild += k.buildah() > 0 ? 1 : 0;
            buildahKilled += k.buildah();
            leftAlive += k.left();
            straysAfterKills.addAll(k.strays());
            StringBuilder line = new StringBuilder(String.format(
                    Locale.ROOT, "+%5.1f s %s (%d buildah):", since(started, k.at()), k.runner(), k.buildah()));
            if (k.jobs().isEmpty()) {
                line.append(" no job held");
            }
            for (Map.Entry<Long, Integer> held : k.jobs().entrySet()) {
                heldJobs++;
                Db.Job j = jobs.get(held.getKey());
                if (j.attempt() > held.getValue()) {
                    retried++;
                }
                line.append(" job ").append(j.id()).append(" attempt ").append(held.getValue());
                if (j.finishedAt() == null) {
                    notFinished++;
                    line.append(" → not finished (").append(j.state()).append(")");
                } else {
                    long ms = Duration.between(k.at(), j.finishedAt()).toMillis();
                    jobRecover.add(ms);
                    line.append(String.format(
                            Locale.ROOT,
                            " → %s by %s on attempt %d after %.1f s",
                            j.state().toLowerCase(Locale.ROOT),
                            runnerNames.getOrDefault(j.runnerId(), "?"),
                            j.attempt(),
                            ms / 1000.0));
                }
                line.append(';');
            }
            perKill.add(line.toString());
        }
        Collections.sort(jobRecover);
        List<String> straysAtEnd = strays(dir);
        String pgrep = new String(
                        new ProcessBuilder("pgrep", "-a", "buildah")
                                .redirectErrorStream(true)
                                .start()
                                .getInputStream()
                                .readAllBytes(),
                        StandardCharsets.UTF_8)
                .trim();
        int retriedJobs =
                (int) jobs.values().stream().filter(j -> j.attempt() > 1).count();

        System.out.printf(
                Locale.ROOT,
                "%n%d builds (one every 3-5 s), 3 coordinators (killed %d times with SIGKILL, restarted 2-6 s later),"
                        + " 3 runners of 2 slots (killed %d times with SIGKILL with their processes, restarted 2-6 s"
                        + " later), %.0f%% of manifest requests answered 503, registry layer cache %s; %d s, %d s of it after the last"
                        + " push%n",
                builds,
                kills.size(),
                runnerKills.size(),
                failures * 100,
                CACHE ? "on" : "off",
                took.toSeconds(),
                tail.toSeconds());
        System.out.println("| figure | value | goal |");
        System.out.println("|---|---|---|");
        System.out.printf(
                "| deliveries acknowledged (202) | %d of %d (%d attempts unanswered, redelivered) | all |%n",
                acknowledged.size(), builds, unanswered);
        System.out.printf("| builds published | %d | all |%n", published);
        System.out.printf("| builds failed | %d | 0 |%n", acknowledged.size() - published - stuck);
        for (Map.Entry<String, List<String>> e : failedBy.entrySet()) {
            if (!e.getKey().startsWith("STUCK")) {
                System.out.printf("| … %s | %d | |%n", e.getKey(), e.getValue().size());
            }
        }
        System.out.printf(
                "| builds stuck (not finished %d min after the last push) | %d | 0 |%n",
                STUCK_AFTER.toMinutes(), stuck);
        System.out.printf("| acknowledged deliveries lost (no build) | %d | 0 |%n", lost);
        System.out.printf("| deliveries processed twice (two builds) | %d | 0 |%n", twice);
        System.out.printf("| tags PUT more than once | %d | 0 |%n", doubleTags);
        System.out.printf(
                "| (layer cache tags PUT again by a retried job: %d; cache manifest PUTs that ended on a 503, by how many"
                        + " 503s in a row: %s) | | |%n",
                cacheRePuts, cacheRefusedRuns);
        System.out.printf("| partial publishes (some tags of a build) | %d | 0 |%n", partial);
        System.out.printf("| check runs created more than once | %d | 0 |%n", doubleChecks);
        if (!recover.isEmpty()) {
            System.out.printf(
                    Locale.ROOT,
                    "| coordinator kill → every build in flight at the kill finished: median, max (%d kills) | %.1f s,"
                            + " %.1f s | |%n",
                    recover.size(),
                    recover.get(recover.size() / 2) / 1000.0,
                    recover.get(recover.size() - 1) / 1000.0);
        }
        System.out.printf(
                "| runner kills: mid-build (buildah running) / holding a job | %d / %d of %d | |%n",
                midBuild, runnerKills.stream().filter(k -> !k.jobs().isEmpty()).count(), runnerKills.size());
        System.out.printf(
                "| jobs held by a killed runner: retried on another attempt / not finished | %d of %d / %d | all / 0 |%n",
                retried, heldJobs, notFinished);
        if (!jobRecover.isEmpty()) {
            System.out.printf(
                    Locale.ROOT,
                    "| runner kill → its job finished by someone: median, max (%d jobs) | %.1f s, %.1f s | |%n",
                    jobRecover.size(),
                    jobRecover.get(jobRecover.size() / 2) / 1000.0,
                    jobRecover.get(jobRecover.size() - 1) / 1000.0);
        }
        System.out.printf(
                "| jobs run more than once (any lease lost: runner or its coordinator killed) | %d of %d | |%n",
                retriedJobs, jobs.size());
        System.out.printf(
                "| processes of a killed runner left alive / strays (orphans in its directories) after kills, at"
                        + " the end | %d / %d, %d | 0 / 0, 0 |%n",
                leftAlive, straysAfterKills.size(), straysAtEnd.size());
        System.out.printf(
                "| runner registrations in the store (restarts re-use theirs) | %d | 3 |%n", runnerNames.size());
        System.out.printf("| restarts that failed | %d | 0 |%n", restartFailures.size());
        System.out.printf(
                Locale.ROOT,
                "| manifest requests / injected 503s / expected give-ups (requests × %.2f^%d) | %d / %d / %.2f | |%n",
                failures,
                ATTEMPTS,
                manifestRequests,
                injected,
                manifestRequests * Math.pow(failures, ATTEMPTS));
        System.out.println();
        System.out.println("runner kills (buildah processes killed: " + buildahKilled + "):");
        perKill.forEach(System.out::println);
        for (Map.Entry<String, List<String>> e : failedBy.entrySet()) {
            System.out.println(e.getKey() + ":");
            e.getValue().forEach(x -> System.out.println("  " + x));
        }
        restartFailures.forEach(x -> System.out.println("restart failed: " + x));
        doubles.forEach(x -> System.out.println("tag PUT more than once: " + x));
        for (Map.Entry<String, List<String>> e : failedBy.entrySet()) {
            if (e.getKey().startsWith("ANYTHING")
                    || e.getKey().startsWith("STUCK")
                    || e.getKey().startsWith("FINDING")) {
                int shown = 0;
                for (String commit : acknowledged.keySet()) {
                    if (e.getKey().startsWith("FINDING") && shown > 0) {
                        break; // one example
                    }
                    if (e.getValue().stream()
                            .anyMatch(x -> x.startsWith(images.get(commit) + " ") || x.equals(images.get(commit)))) {
                        System.out.println("log of " + images.get(commit) + "'s last attempt (tail):");
                        System.out.println(db.lastLog(commit, 25));
                        shown++;
                    }
                }
            }
        }
        straysAfterKills.forEach(x -> System.out.println("stray after a kill: " + x));
        straysAtEnd.forEach(x -> System.out.println("stray at the end: " + x));
        System.out.println("pgrep -a buildah at the end (every user's): " + (pgrep.isEmpty() ? "none" : "\n" + pgrep));
    }

    /** A registry request is tried this many times (RetryPolicy.DEFAULT) before the push or publish gives up. */
    static final int ATTEMPTS = 5;

    /** The registry layer cache (the default; bench/chaos … nocache: cache: false). */
    static boolean CACHE = true;

    static final Duration STUCK_AFTER = Duration.ofMinutes(12);

    static final List<String> PLATFORMS = List.of("linux/amd64");

    /** Groups a failed build's error: the two the campaign causes on purpose, and anything else (a finding). */
    static String reason(String error, String log) {
        String e = error == null ? "" : error;
        if (e.contains("build failed (exit") && log.contains("failed pushing cache to") && log.contains("503")) {
            return "FINDING: buildah's --cache-to push met one injected 503 and the build step failed (not retried)";
        }
        if (e.contains("503") && e.contains("retried " + ATTEMPTS + " times")) {
            return "registry answered the injected 503 " + ATTEMPTS + " times in a row (expected)";
        }
        if (e.contains("lease expired") && e.contains("gave up after")) {
            return "lease lost on all attempts: its runner (or, rarely, a coordinator) killed each time (expected, rare)";
        }
        return "ANYTHING ELSE (a finding)";
    }

    static boolean allFinished(Set<String> commits, Map<String, Db.Build> builds) {
        return commits.stream()
                .allMatch(x -> builds.containsKey(x) && builds.get(x).finished());
    }

    static double since(Instant start, Instant at) {
        return Duration.between(start, at).toMillis() / 1000.0;
    }

    /** Set when the campaign is over: the killers stop. */
    static final CountDownLatch OVER = new CountDownLatch(1);

    /** What killing a runner's tree did: processes killed (buildah among them), and how many were still alive after. */
    record TreeKill(int processes, int buildah, int left) {}

    /**
     * SIGKILL to a process and every descendant, as a crash of the machine's runner service would: first SIGSTOP,
     * again and again until no new descendant appears (a stopped process forks no more; killing a tree top-down
     * races buildah starting a child), then SIGKILL to all of them.
     */
    static TreeKill killTree(ProcessHandle root) throws InterruptedException {
        Map<Long, ProcessHandle> frozen = new LinkedHashMap<>();
        for (int round = 0; round < 50; round++) {
            List<ProcessHandle> fresh = java.util.stream.Stream.concat(
                            java.util.stream.Stream.of(root), root.descendants())
                    .filter(h -> !frozen.containsKey(h.pid()))
                    .toList();
            if (fresh.isEmpty()) {
                break;
            }
            signal("STOP", fresh);
            fresh.forEach(h -> frozen.put(h.pid(), h));
        }
        int buildah = (int) frozen.values().stream()
                .filter(h -> cmdline(h.pid()).contains("buildah"))
                .count();
        signal("KILL", frozen.values());
        int left = 0;
        for (ProcessHandle h : frozen.values()) {
            try {
                h.onExit().get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                if (!zombie(h.pid())) {
                    left++;
                }
            }
        }
        return new TreeKill(frozen.size(), buildah, left);
    }

    static void signal(String signal, java.util.Collection<ProcessHandle> processes) throws InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("kill", "-" + signal));
        processes.forEach(h -> cmd.add(Long.toString(h.pid())));
        try {
            // Exits 1 when one of them is gone already: the others are signalled all the same.
            new ProcessBuilder(cmd).redirectErrorStream(true).start().waitFor();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static boolean zombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 1).trim().startsWith("Z");
        } catch (java.io.IOException e) {
            return true; // gone
        }
    }

    static String cmdline(long pid) {
        try {
            return new String(
                            Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8)
                    .replace('\0', ' ')
                    .trim();
        } catch (java.io.IOException e) {
            return "";
        }
    }

    static String link(long pid, String name) {
        try {
            return Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), name))
                    .toString();
        } catch (java.io.IOException | UnsupportedOperationException e) {
            return "";
        }
    }

    /**
     * Processes that belong to the campaign (their command line, root or working directory is in its directory: a
     * runner's buildah, a build step chrooted into its storage) but are no longer descendants of this process: what a
     * killed runner left behind.
     */
    static List<String> strays(Path dir) {
        String d = dir.toString();
        long self = ProcessHandle.current().pid();
        List<String> out = new ArrayList<>();
        ProcessHandle.allProcesses().forEach(h -> {
            if (h.pid() == self || zombie(h.pid())) {
                return;
            }
            String cmd = cmdline(h.pid());
            if (!cmd.contains(d)
                    && !link(h.pid(), "root").startsWith(d)
                    && !link(h.pid(), "cwd").startsWith(d)) {
                return;
            }
            for (Optional<ProcessHandle> p = h.parent();
                    p.isPresent();
                    p = p.get().parent()) {
                if (p.get().pid() == self) {
                    return;
                }
            }
            out.add(h.pid() + " " + cmd);
        });
        return out;
    }

    /**
     * A TCP load balancer in front of the coordinators: each connection goes to one of them picked at random, the next
     * one when it refuses (killed); a killed coordinator's connections are closed, and the client's next one goes
     * elsewhere. What nginx's stream proxy would do in a deployment.
     */
    static final class Balancer implements AutoCloseable {
        private final java.net.ServerSocket server;
        private final List<Integer> ports;
        private final Random random = new Random();

        Balancer(List<Integer> ports) throws java.io.IOException {
            this.ports = ports;
            this.server = new java.net.ServerSocket(0, 200, java.net.InetAddress.getLoopbackAddress());
            Thread t = new Thread(this::accept, "balancer");
            t.setDaemon(true);
            t.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getLocalPort();
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    java.net.Socket client = server.accept();
                    Thread t = new Thread(() -> connect(client), "balancer-connection");
                    t.setDaemon(true);
                    t.start();
                } catch (java.io.IOException e) {
                    return;
                }
            }
        }

        private void connect(java.net.Socket client) {
            List<Integer> order = new ArrayList<>(ports);
            synchronized (random) {
                Collections.shuffle(order, random);
            }
            for (int port : order) {
                java.net.Socket up;
                try {
                    up = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port);
                } catch (java.io.IOException e) {
                    continue; // killed: the next one
                }
                Thread back = new Thread(() -> pipe(up, client), "balancer-pipe");
                back.setDaemon(true);
                back.start();
                pipe(client, up);
                return;
            }
            close(client);
        }

        /** Copies until either side ends, then closes both: a killed coordinator's clients see their connection end. */
        private static void pipe(java.net.Socket from, java.net.Socket to) {
            try {
                from.getInputStream().transferTo(to.getOutputStream());
            } catch (java.io.IOException e) {
                // one side is gone
            } finally {
                close(from);
                close(to);
            }
        }

        private static void close(java.net.Socket s) {
            try {
                s.close();
            } catch (java.io.IOException e) {
                // closed
            }
        }

        @Override
        public void close() throws java.io.IOException {
            server.close();
        }
    }

    /** The store, read directly: what the campaign checks must not depend on a coordinator being up. */
    record Db(String url) {
        record Build(String state, String error, Instant updatedAt) {
            boolean finished() {
                return List.of("PUBLISHED", "FAILED", "CANCELLED").contains(state);
            }
        }

        record Job(long id, String state, String runnerId, int attempt, Instant finishedAt) {}

        Connection open() throws SQLException {
            return DriverManager.getConnection(url, "postgres", "");
        }

        /** The latest build of each commit. */
        Map<String, Build> builds() {
            Map<String, Build> out = new HashMap<>();
            try (Connection c = open();
                    Statement s = c.createStatement();
                    ResultSet r =
                            s.executeQuery("SELECT commit_sha, state, error, updated_at FROM builds ORDER BY id")) {
                while (r.next()) {
                    out.put(
                            r.getString(1),
                            new Build(
                                    r.getString(2),
                                    r.getString(3),
                                    r.getTimestamp(4).toInstant()));
                }
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
            return out;
        }

        Set<String> unfinishedCommits() {
            Set<String> out = ConcurrentHashMap.newKeySet();
            builds().forEach((commit, b) -> {
                if (!b.finished()) {
                    out.add(commit);
                }
            });
            return out;
        }

        /** Runner name → the jobs it holds (id → attempt) according to the store. */
        Map<String, Map<Long, Integer>> heldJobs() {
            Map<String, Map<Long, Integer>> out = new HashMap<>();
            try (Connection c = open();
                    Statement s = c.createStatement();
                    ResultSet r = s.executeQuery("SELECT r.name, j.id, j.attempt FROM jobs j JOIN runners r"
                            + " ON r.id = j.runner_id WHERE j.state = 'RUNNING'")) {
                while (r.next()) {
                    out.computeIfAbsent(r.getString(1), k -> new TreeMap<>()).put(r.getLong(2), r.getInt(3));
                }
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
            return out;
        }

        Map<Long, Job> jobs() {
            Map<Long, Job> out = new HashMap<>();
            try (Connection c = open();
                    Statement s = c.createStatement();
                    ResultSet r =
                            s.executeQuery("SELECT id, state, runner_id, attempt, finished_at FROM jobs ORDER BY id")) {
                while (r.next()) {
                    java.sql.Timestamp f = r.getTimestamp(5);
                    out.put(
                            r.getLong(1),
                            new Job(
                                    r.getLong(1),
                                    r.getString(2),
                                    r.getString(3),
                                    r.getInt(4),
                                    f == null ? null : f.toInstant()));
                }
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
            return out;
        }

        Map<String, String> runnerNames() {
            Map<String, String> out = new HashMap<>();
            try (Connection c = open();
                    Statement s = c.createStatement();
                    ResultSet r = s.executeQuery("SELECT id, name FROM runners")) {
                while (r.next()) {
                    out.put(r.getString(1), r.getString(2));
                }
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
            return out;
        }

        /** The last {@code lines} lines of the log of the last attempt of the jobs of {@code commit}'s builds. */
        String lastLog(String commit, int lines) {
            StringBuilder out = new StringBuilder();
            try (Connection c = open();
                    java.sql.PreparedStatement s = c.prepareStatement("SELECT l.job_id, l.attempt, l.chunk, l.chunk_z"
                            + " FROM job_logs l JOIN jobs j ON j.id = l.job_id JOIN builds b ON b.id = j.build_id"
                            + " WHERE b.commit_sha = ? AND l.attempt = j.attempt ORDER BY l.seq")) {
                s.setString(1, commit);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        byte[] z = r.getBytes(4);
                        out.append(
                                z == null
                                        ? r.getString(3)
                                        : new String(
                                                new java.util.zip.InflaterInputStream(
                                                                new java.io.ByteArrayInputStream(z))
                                                        .readAllBytes(),
                                                StandardCharsets.UTF_8));
                    }
                }
            } catch (SQLException | java.io.IOException e) {
                return "(no log: " + e.getMessage() + ")";
            }
            List<String> all = List.of(out.toString().split("\n"));
            return "    " + String.join("\n    ", all.subList(Math.max(0, all.size() - lines), all.size()));
        }

        /** Delivery id → how many builds it made. */
        Map<String, Integer> buildsPerDelivery() {
            Map<String, Integer> out = new HashMap<>();
            try (Connection c = open();
                    Statement s = c.createStatement();
                    ResultSet r = s.executeQuery("SELECT origin_delivery, COUNT(*) FROM builds"
                            + " WHERE origin_delivery IS NOT NULL GROUP BY origin_delivery")) {
                while (r.next()) {
                    out.put(r.getString(1), r.getInt(2));
                }
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
            return out;
        }
    }
}
