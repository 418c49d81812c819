import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.multiarch.testing.GitHubEvents;
import dev.multiarch.testing.GitHubStandIn;
import dev.multiarch.testing.GitRepo;
import dev.multiarch.testing.PostgresCluster;
import dev.multiarch.testing.RegistryProxy;
import dev.multiarch.testing.RegistryServer;
import dev.multiarch.testing.SharedCoordinators;
import dev.multiarch.testing.TestImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
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
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

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

    public static void main(String[] args) throws Exception {
        int builds = Integer.parseInt(args[0]);
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
                    for (String n : NAMES) {
                        c.runner("runner-" + n, n, List.of("linux/amd64"), 2);
                    }
                    run(c, github, proxy, repo, postgres, db, builds, random, failures);
                }
            }
        } finally {
            new ProcessBuilder("rm", "-rf", dir.toString()).start().waitFor();
        }
    }

    static void run(
            SharedCoordinators c,
            GitHubStandIn github,
            RegistryProxy proxy,
            GitRepo repo,
            PostgresCluster postgres,
            String db,
            int builds,
            Random random,
            double failures)
            throws Exception {
        Set<String> alive = ConcurrentHashMap.newKeySet();
        alive.addAll(NAMES);
        Map<String, String> commits = new LinkedHashMap<>(); // image → commit
        for (int i = 0; i < builds; i++) {
            String image = "chaos-" + i;
            Map<String, String> files = new LinkedHashMap<>();
            int sleep = 1 + random.nextInt(4);
            files.put(
                    "Dockerfile",
                    "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"sh\", \"-c\", \"/bin/busybox sleep "
                            + sleep + " && /bin/busybox echo " + i + " > /built\"]\n");
            files.put("busybox", "@" + TestImages.busybox("amd64"));
            files.put(".multiarch.yaml", "image: " + proxy.host() + "/" + image + "\nplatforms: [linux/amd64]\n");
            commits.put(image, repo.commit(image, files));
        }
        List<Kill> kills = new CopyOnWriteArrayList<>();
        Map<String, String> acknowledged = new ConcurrentHashMap<>(); // image → coordinator that answered 202
        Thread killer = new Thread(() -> {
            Random r = new Random(random.nextLong());
            try {
                while (!DONE.get()) {
                    Thread.sleep(4000 + r.nextInt(8000));
                    if (DONE.get()) {
                        return;
                    }
                    List<String> live = new ArrayList<>(alive);
                    if (live.size() < 2) {
                        continue;
                    }
                    String victim = live.get(r.nextInt(live.size()));
                    Set<String> inFlight = inFlight(c, alive, commits, victim);
                    alive.remove(victim);
                    Instant at = Instant.now();
                    c.coordinator(victim).kill();
                    kills.add(new Kill(victim, at, inFlight));
                    System.out.printf("%s killed %s (%d builds in flight)%n", at, victim, inFlight.size());
                    Thread.sleep(2000 + r.nextInt(4000));
                    c.start(victim);
                    alive.add(victim);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        killer.setDaemon(true);
        killer.start();
        Instant started = Instant.now();
        for (Map.Entry<String, String> e : commits.entrySet()) {
            ObjectNode push = GitHubEvents.example(
                    "push",
                    x -> x.path("ref").asText().startsWith("refs/tags/")
                            && x.path("created").asBoolean()
                            && !x.path("deleted").asBoolean());
            GitHubEvents.repoint(push, REPO, repo.cloneUrl(), 4711);
            push.put("ref", "refs/tags/v1.0.0").put("after", e.getValue()).put("before", "0".repeat(40));
            // A delivery that does not get a 202 is not acknowledged: GitHub would show it failed and it could be
            // redelivered. Try the coordinators in a random order until one takes it.
            List<String> order = new ArrayList<>(NAMES);
            Collections.shuffle(order, random);
            for (String n : order) {
                if (!alive.contains(n)) {
                    continue;
                }
                try {
                    GitHubEvents.Delivered d = GitHubEvents.deliver(c.url(n) + "/webhook", "push", push, SECRET);
                    if (d.status() == 202) {
                        acknowledged.put(e.getKey(), n);
                        break;
                    }
                } catch (RuntimeException ex) {
                    // killed under us: the next one
                }
            }
            Thread.sleep(1000 + random.nextInt(2000));
        }
        Instant deadline = Instant.now().plus(Duration.ofMinutes(5));
        Map<String, String> states = new TreeMap<>();
        Map<String, Instant> finishedAt = new HashMap<>();
        while (Instant.now().isBefore(deadline)) {
            for (String image : acknowledged.keySet()) {
                if (finishedAt.containsKey(image)) {
                    continue;
                }
                JsonNode b = anyBuild(c, alive, commits.get(image));
                if (b != null) {
                    String s = b.path("state").asText();
                    states.put(image, s);
                    if (List.of("published", "failed", "cancelled").contains(s)) {
                        finishedAt.put(image, Instant.parse(b.path("updatedAt").asText()));
                    }
                }
            }
            if (finishedAt.size() == acknowledged.size()) {
                break;
            }
            Thread.sleep(500);
        }
        DONE.set(true);
        killer.join(30_000);
        Duration took = Duration.between(started, Instant.now());

        // Duplicates and losses, from what the registry, GitHub and the store saw.
        Map<String, Integer> puts = new TreeMap<>();
        for (RegistryProxy.Exchange x : proxy.exchanges()) {
            if (x.method().equals("PUT") && x.path().contains("/manifests/") && x.status() / 100 == 2) {
                String ref = x.path().replaceAll(".*/manifests/", "");
                if (!ref.startsWith("sha256:")) {
                    puts.merge(x.path().replaceAll("^/v2/", ""), 1, Integer::sum);
                }
            }
        }
        int doubleTags = (int) puts.values().stream().filter(n -> n > 1).count();
        int published =
                (int) states.values().stream().filter("published"::equals).count();
        int failed = (int) states.values().stream().filter("failed"::equals).count();
        int partial = 0;
        for (String image : acknowledged.keySet()) {
            long tags = TAGS.stream()
                    .filter(t -> puts.containsKey(image + "/manifests/" + t))
                    .count();
            if ("published".equals(states.get(image)) ? tags != TAGS.size() : tags != 0) {
                partial++;
            }
        }
        int lost = 0;
        int twice = 0;
        try (Connection conn = DriverManager.getConnection(postgres.jdbcUrl(db), "postgres", "");
                Statement s = conn.createStatement()) {
            Map<String, Integer> perDelivery = new HashMap<>();
            try (ResultSet r = s.executeQuery("SELECT d.delivery_id, COUNT(b.id) FROM deliveries d LEFT JOIN builds b"
                    + " ON b.origin_delivery = d.delivery_id GROUP BY d.delivery_id")) {
                while (r.next()) {
                    perDelivery.put(r.getString(1), r.getInt(2));
                }
            }
            lost = (int) perDelivery.values().stream().filter(n -> n == 0).count();
            twice = (int) perDelivery.values().stream().filter(n -> n > 1).count();
        }
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
            Instant last = k.at();
            boolean all = true;
            for (String image : k.inFlight()) {
                Instant f = finishedAt.get(image);
                if (f == null) {
                    all = false;
                } else if (f.isAfter(last)) {
                    last = f;
                }
            }
            if (all && !k.inFlight().isEmpty()) {
                recover.add(Duration.between(k.at(), last).toMillis());
            }
        }
        Collections.sort(recover);
        int stuck = acknowledged.size() - finishedAt.size();
        System.out.printf(
                Locale.ROOT,
                "%n%d builds, 3 coordinators (one killed %d times with SIGKILL, restarted 2-6 s later), 3 runners, "
                        + "%.0f%% of manifest requests answered 503; %d s%n",
                builds,
                kills.size(),
                failures * 100,
                took.toSeconds());
        System.out.println("| figure | value | goal |");
        System.out.println("|---|---|---|");
        System.out.printf("| deliveries acknowledged (202) | %d of %d | all |%n", acknowledged.size(), builds);
        System.out.printf("| builds published | %d | all |%n", published);
        System.out.printf("| builds failed | %d | 0 |%n", failed);
        System.out.printf("| builds stuck (not finished 5 min after the last push) | %d | 0 |%n", stuck);
        System.out.printf("| acknowledged deliveries lost (no build) | %d | 0 |%n", lost);
        System.out.printf("| deliveries processed twice (two builds) | %d | 0 |%n", twice);
        System.out.printf("| tags PUT more than once | %d | 0 |%n", doubleTags);
        System.out.printf("| partial publishes (some tags of a build) | %d | 0 |%n", partial);
        System.out.printf("| check runs created more than once | %d | 0 |%n", doubleChecks);
        if (!recover.isEmpty()) {
            System.out.printf(
                    Locale.ROOT,
                    "| kill → every build in flight at the kill finished: median, max (%d kills) | %.1f s, %.1f s | |%n",
                    recover.size(),
                    recover.get(recover.size() / 2) / 1000.0,
                    recover.get(recover.size() - 1) / 1000.0);
        }
        for (Map.Entry<String, String> e : states.entrySet()) {
            if (!e.getValue().equals("published")) {
                JsonNode b = anyBuild(c, alive, commits.get(e.getKey()));
                System.out.println(e.getKey() + ": " + e.getValue() + " " + (b == null ? "" : b.path("error")));
            }
        }
    }

    /** Set when the campaign is over: the killer stops. */
    static final java.util.concurrent.atomic.AtomicBoolean DONE = new java.util.concurrent.atomic.AtomicBoolean();

    static JsonNode anyBuild(SharedCoordinators c, Set<String> alive, String commit) {
        for (String n : NAMES) {
            if (!alive.contains(n)) {
                continue;
            }
            try {
                List<JsonNode> bs = c.api(n).builds(commit);
                return bs.isEmpty() ? null : bs.get(0);
            } catch (RuntimeException e) {
                // being killed: ask another
            }
        }
        return null;
    }

    /** The images whose builds are not finished (nor unknown) as seen now. */
    static Set<String> inFlight(SharedCoordinators c, Set<String> alive, Map<String, String> commits, String victim) {
        Set<String> out = ConcurrentHashMap.newKeySet();
        for (Map.Entry<String, String> e : commits.entrySet()) {
            JsonNode b = anyBuild(c, alive, e.getValue());
            if (b != null
                    && !List.of("published", "failed", "cancelled")
                            .contains(b.path("state").asText())) {
                out.add(e.getKey());
            }
        }
        return out;
    }
}
