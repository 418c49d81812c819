package dev.multiarch.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.multiarch.testing.CoordinatorApi;
import dev.multiarch.testing.GitHubEvents;
import dev.multiarch.testing.GitHubStandIn;
import dev.multiarch.testing.GitRepo;
import dev.multiarch.testing.HeldRequest;
import dev.multiarch.testing.Ports;
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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two coordinators ({@code serve}, the real jar) on one throwaway PostgreSQL, real runners, a real registry behind a
 * proxy that counts every manifest PUT, and the GitHub stand-in (requests checked against GitHub's OpenAPI) receiving
 * check runs; GitHub's webhooks, signed, sent to either coordinator. One coordinator is killed with SIGKILL in the
 * middle of a build: the build finishes through the other, each tag is written once, each check run is created once,
 * and every acknowledged delivery is processed once.
 */
class SharedCoordinatorsIT {
    static final String REPO = "octo-org/shared";
    static final String WEBHOOK_SECRET = "shared-webhook-secret-0123456789";
    static final long INSTALLATION = 4711;
    private static final Duration DEADLINE = Duration.ofMinutes(4);
    private static final List<String> TAGS = List.of("1", "1.0", "1.0.0", "latest");

    @TempDir
    static Path dir;

    static PostgresCluster postgres;
    static RegistryServer registry;
    static RegistryProxy proxy;
    static GitHubStandIn github;
    static GitRepo repo;
    static Path pem;

    SharedCoordinators coordinators;
    String database;

    @BeforeAll
    static void start() throws Exception {
        postgres = PostgresCluster.start();
        registry = RegistryServer.start();
        proxy = new RegistryProxy(registry.host());
        pem = dir.resolve("app.pem");
        KeyPair key = GitHubEvents.appKey(pem);
        github = new GitHubStandIn(GitHubStandIn.openApi(), "424242", key.getPublic(), null);
        repo = GitRepo.create(Files.createDirectories(dir.resolve("shared")));
        github.repo(REPO, Path.of(repo.cloneUrl()));
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {github, proxy, registry, postgres}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @AfterEach
    void stopCoordinators() {
        if (coordinators != null) {
            coordinators.close();
        }
    }

    private SharedCoordinators coordinators(String name) throws Exception {
        database = postgres.createDatabase();
        coordinators = new SharedCoordinators(
                Files.createDirectories(dir.resolve(name)),
                "postgresql://127.0.0.1:" + postgres.port() + "/" + database,
                proxy.host(),
                6,
                "repositories:\n  - match: " + REPO + "\n    images: [" + proxy.host() + "/*]\n"
                        + "github:\n  api-url: " + github.url() + "\n"
                        + "  webhook-secrets: [\"${WH}\"]\n  app-id: \"424242\"\n"
                        + "  private-key-file: " + pem + "\n  workflows: "
                        + Path.of("workflows").toAbsolutePath() + "\n",
                Map.of("WH", WEBHOOK_SECRET));
        return coordinators;
    }

    /** A commit whose one amd64 job sleeps {@code seconds} (long enough to kill a coordinator during it). */
    private static String slowCommit(String image, int seconds) {
        Map<String, String> files = new LinkedHashMap<>();
        files.put(
                "Dockerfile",
                "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"sh\", \"-c\", \"/bin/busybox sleep "
                        + seconds + " && /bin/busybox mkdir -p /etc && /bin/busybox echo " + image
                        + " > /etc/built\"]\n");
        files.put("busybox", "@" + TestImages.busybox("amd64"));
        files.put(".multiarch.yaml", "image: " + proxy.host() + "/" + image + "\nplatforms: [linux/amd64]\n");
        return repo.commit(image, files);
    }

    private static ObjectNode tagPush(String tag, String commit) {
        ObjectNode p = GitHubEvents.example(
                "push",
                e -> e.path("ref").asText().startsWith("refs/tags/")
                        && e.path("created").asBoolean()
                        && !e.path("deleted").asBoolean());
        GitHubEvents.repoint(p, REPO, repo.cloneUrl(), INSTALLATION);
        p.put("ref", "refs/tags/" + tag).put("after", commit).put("before", "0".repeat(40));
        return p;
    }

    private void deliver(String coordinator, String tag, String commit) {
        GitHubEvents.Delivered d = GitHubEvents.deliver(
                coordinators.url(coordinator) + "/webhook", "push", tagPush(tag, commit), WEBHOOK_SECRET);
        assertEquals(202, d.status(), d.body());
    }

    private static JsonNode only(CoordinatorApi api, String commit) {
        List<JsonNode> bs = api.builds(commit);
        assertEquals(1, bs.size(), "one build per delivery: " + bs);
        return bs.get(0);
    }

    private static JsonNode awaitState(CoordinatorApi api, String commit, String... states) {
        JsonNode[] found = new JsonNode[1];
        Ports.await("a build of " + commit + " in " + List.of(states), DEADLINE, () -> {
            List<JsonNode> bs = api.builds(commit);
            if (bs.isEmpty()) {
                return false;
            }
            found[0] = bs.get(0);
            String s = bs.get(0).path("state").asText();
            if (List.of("failed", "cancelled").contains(s) && !List.of(states).contains(s)) {
                throw new AssertionError("build ended " + s + ": " + bs.get(0));
            }
            return List.of(states).contains(s);
        });
        return found[0];
    }

    /** Successful manifest PUTs the registry received, per tag of {@code image}. */
    private static Map<String, Integer> tagPuts(String image) {
        Map<String, Integer> puts = new TreeMap<>();
        String prefix = "/v2/" + image + "/manifests/";
        for (RegistryProxy.Exchange e : proxy.exchanges()) {
            if (e.method().equals("PUT") && e.path().startsWith(prefix) && e.status() / 100 == 2) {
                String ref = e.path().substring(prefix.length());
                if (!ref.startsWith("sha256:")) {
                    puts.merge(ref, 1, Integer::sum);
                }
            }
        }
        return puts;
    }

    /** Check runs of {@code commit}: name → created (POSTs), and the last state sent. */
    private static Map<String, List<String>> checkRuns(String commit) {
        Map<Long, String> names = new HashMap<>();
        Map<String, List<String>> out = new TreeMap<>();
        for (GitHubStandIn.Call c : github.calls()) {
            if (c.status() >= 300 || c.body() == null || !c.path().contains("/check-runs")) {
                continue;
            }
            String name;
            if (c.method().equals("POST")) {
                if (!c.body().path("head_sha").asText().equals(commit)) {
                    continue;
                }
                name = c.body().path("name").asText();
                names.put(c.response().path("id").asLong(), name);
                out.computeIfAbsent(name, k -> new ArrayList<>()).add("created");
            } else {
                name = names.get(Long.parseLong(c.path().replaceAll(".*/", "")));
                if (name == null) {
                    continue;
                }
            }
            out.computeIfAbsent(name, k -> new ArrayList<>())
                    .add(c.body().path("status").asText()
                            + (c.body().has("conclusion")
                                    ? "/" + c.body().path("conclusion").asText()
                                    : ""));
        }
        return out;
    }

    private static void assertChecksCreatedOnceAndFinal(String commit) {
        Ports.await("final check runs of " + commit, Duration.ofSeconds(90), () -> {
            Map<String, List<String>> runs = checkRuns(commit);
            return runs.size() == 2
                    && runs.values().stream().allMatch(l -> l.get(l.size() - 1).equals("completed/success"));
        });
        Map<String, List<String>> runs = checkRuns(commit);
        for (Map.Entry<String, List<String>> r : runs.entrySet()) {
            assertEquals(
                    1,
                    r.getValue().stream().filter("created"::equals).count(),
                    r.getKey() + " created once: " + r.getValue());
        }
        assertEquals(List.of("multiarch", "multiarch / linux/amd64"), List.copyOf(runs.keySet()));
    }

    /** Every delivery the coordinators acknowledged, and what became of it. */
    private Map<String, String> deliveries() throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl(database), "postgres", "");
                Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT delivery_id, state FROM deliveries")) {
            while (r.next()) {
                out.put(r.getString(1), r.getString(2));
            }
        }
        return out;
    }

    private int buildsOfDelivery(String delivery) throws Exception {
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl(database), "postgres", "");
                Statement s = c.createStatement();
                ResultSet r = s.executeQuery(
                        "SELECT COUNT(*) FROM builds WHERE origin_delivery = '" + delivery.replace("'", "") + "'")) {
            r.next();
            return r.getInt(1);
        }
    }

    private void assertEveryDeliveryProcessedOnce(int expected) throws Exception {
        Map<String, String> d = deliveries();
        assertEquals(expected, d.size(), d.toString());
        for (Map.Entry<String, String> e : d.entrySet()) {
            assertEquals("processed", e.getValue(), e.toString());
            assertEquals(1, buildsOfDelivery(e.getKey()), "builds of delivery " + e.getKey());
        }
    }

    private int unsentReports() throws Exception {
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl(database), "postgres", "");
                Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT COUNT(*) FROM reports WHERE version > sent_version")) {
            r.next();
            return r.getInt(1);
        }
    }

    @Test
    void coordinatorKilledWhileJobsRun_buildsFinishThroughTheOther_onceEach() throws Exception {
        SharedCoordinators c = coordinators("jobs");
        c.start("a");
        c.start("b");
        c.runner("runner-a", "a", List.of("linux/amd64"), 2);
        String first = slowCommit("shared-first", 12);
        String second = slowCommit("shared-second", 12);
        deliver("a", "v1.0.0", first);
        // Queued through B, claimed by A's runner: B's NOTIFY wakes A's long poll.
        deliver("b", "v1.0.0", second);
        String firstRunner = awaitState(c.api("b"), first, "running")
                .path("jobs")
                .get(0)
                .path("runner")
                .asText();
        String secondRunner = awaitState(c.api("a"), second, "running")
                .path("jobs")
                .get(0)
                .path("runner")
                .asText();
        Ports.await("the checks of both builds sent", Duration.ofSeconds(60), () -> {
            try {
                return checkRuns(first).size() == 2 && checkRuns(second).size() == 2 && unsentReports() == 0;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        c.runner("runner-b", "b", List.of("linux/amd64"), 2);
        Instant killed = Instant.now();
        c.coordinator("a").kill();

        Map<String, String> ranOn = Map.of(first, firstRunner, second, secondRunner);
        for (String commit : List.of(first, second)) {
            JsonNode b = awaitState(c.api("b"), commit, "published");
            JsonNode job = b.path("jobs").get(0);
            assertEquals(2, job.path("attempt").asInt(), "the second attempt ran through B: " + job);
            assertTrue(
                    !job.path("runner").asText().equals(ranOn.get(commit)),
                    "the second attempt ran on B's runner, not " + ranOn.get(commit) + ": " + job);
        }
        System.out.printf(
                "coordinator killed while jobs ran: both builds published through the other %d s later%n",
                Duration.between(killed, Instant.now()).toSeconds());
        for (String image : List.of("shared-first", "shared-second")) {
            Map<String, Integer> once = new TreeMap<>();
            TAGS.forEach(t -> once.put(t, 1));
            assertEquals(once, tagPuts(image), image + ": each tag PUT once");
        }
        assertChecksCreatedOnceAndFinal(first);
        assertChecksCreatedOnceAndFinal(second);
        only(c.api("b"), first);
        only(c.api("b"), second);
        assertEveryDeliveryProcessedOnce(2);
        assertEquals(List.of(), github.violations());
    }

    @Test
    void coordinatorKilledWhilePublishing_theOtherFinishes_eachTagWrittenOnce() throws Exception {
        SharedCoordinators c = coordinators("publishing");
        c.start("a");
        c.start("b");
        // The only runner reports to A, so A fans in and publishes.
        c.runner("runner-a", "a", List.of("linux/amd64"), 1);
        String commit = slowCommit("shared-publish", 1);
        HeldRequest hold = proxy.hold("PUT", "/v2/shared-publish/manifests/1.0");
        deliver("b", "v1.0.0", commit);
        hold.arrived().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        Map<String, Integer> beforeKill = tagPuts("shared-publish");
        assertEquals("publishing", only(c.api("b"), commit).path("state").asText());
        Instant killed = Instant.now();
        c.coordinator("a").kill();
        hold.drop();

        JsonNode b = awaitState(c.api("b"), commit, "published");
        System.out.printf(
                "coordinator killed while publishing (after %s): published through the other %d s later%n",
                beforeKill.keySet(), Duration.between(killed, Instant.now()).toSeconds());
        Map<String, Integer> once = new TreeMap<>();
        TAGS.forEach(t -> once.put(t, 1));
        assertEquals(once, tagPuts("shared-publish"), "each tag PUT once, though two coordinators published");
        assertTrue(
                c.coordinator("b")
                        .log()
                        .contains("resuming build " + b.path("id").asLong()),
                c.coordinator("b").log());
        assertChecksCreatedOnceAndFinal(commit);
        assertEveryDeliveryProcessedOnce(1);
        assertEquals(List.of(), github.violations());
    }

    @Test
    void coordinatorKilledAfterAcknowledgingADelivery_theOtherProcessesItOnce() throws Exception {
        SharedCoordinators c = coordinators("delivery");
        c.start("a");
        c.start("b");
        c.runner("runner-b", "b", List.of("linux/amd64"), 1);
        String commit = slowCommit("shared-delivery", 1);
        // A stores and acknowledges the delivery, then dies while it asks GitHub for .multiarch.yaml.
        HeldRequest held = github.hold("GET", "/contents/.multiarch.yaml");
        deliver("a", "v1.0.0", commit);
        held.arrived().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        Instant killed = Instant.now();
        c.coordinator("a").kill();
        held.drop();
        assertEquals(Map.of(), tagPuts("shared-delivery"));

        awaitState(c.api("b"), commit, "published");
        System.out.printf(
                "coordinator killed after acknowledging a delivery: processed and published by the other %d s later%n",
                Duration.between(killed, Instant.now()).toSeconds());
        assertTrue(
                c.coordinator("b").log().contains("acknowledged before and left unprocessed"),
                c.coordinator("b").log());
        Map<String, Integer> once = new TreeMap<>();
        TAGS.forEach(t -> once.put(t, 1));
        assertEquals(once, tagPuts("shared-delivery"));
        assertChecksCreatedOnceAndFinal(commit);
        assertEveryDeliveryProcessedOnce(1);
        assertEquals(List.of(), github.violations());
    }
}
