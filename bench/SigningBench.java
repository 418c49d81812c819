import dev.multiarch.platform.Platform;
import dev.multiarch.publish.Attestations;
import dev.multiarch.publish.Entry;
import dev.multiarch.publish.IndexPublisher;
import dev.multiarch.publish.Provenance;
import dev.multiarch.publish.Signer;
import dev.multiarch.publish.SigningKey;
import dev.multiarch.registry.Descriptor;
import dev.multiarch.registry.Digest;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.registry.IndexType;
import dev.multiarch.registry.Manifest;
import dev.multiarch.registry.RegistryClient;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * What signing and provenance add to publishing one 5-platform index, in one run against one registry, the way
 * BuildPublisher does it: index annotations, four tags (1.2.3, 1.2, 1, latest), and
 *   (u) unsigned, no attestations: the baseline;
 *   (s) signed: the index pushed by digest, then index and 5 images signed (one signature per tag), then the tags;
 *   (p) provenance: one in-toto statement and attestation manifest per platform, then the index;
 * with the same classes and the same 8 threads for registry requests as BuildPublisher (Signer, Attestations);
 *   (sp) both.
 * Every round of every variant publishes into a repository of its own (children mounted in beforehand, not timed),
 * so no variant finds the work of another already done. Rounds are interleaved; medians and ratios to (u) printed.
 *
 * Run by bench/signing-bench; arguments: REGISTRY ROUNDS platform=digest... (the digests are in REGISTRY/bench)
 */
public class SigningBench {
    /** As BuildPublisher: up to 8 registry requests of one publish at once. */
    private static final ExecutorService IO = Executors.newFixedThreadPool(8, r -> {
        Thread t = new Thread(r, "publish-io");
        t.setDaemon(true);
        return t;
    });

    public static void main(String[] args) throws Exception {
        String registry = args[0];
        int rounds = Integer.parseInt(args[1]);
        ImageReference source = ImageReference.parse(registry + "/bench");
        List<Descriptor> children = new ArrayList<>();
        for (String pd : Arrays.copyOfRange(args, 2, args.length)) {
            String[] kv = pd.split("=");
            children.add(new Descriptor("", Digest.parse(kv[1]), -1, Platform.parse(kv[0]), Map.of()));
        }
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        String pem = "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder()
                        .encodeToString(g.generateKeyPair().getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
        SigningKey key = SigningKey.parse(pem, new char[0], "the bench key");
        String[] names = {"(u) unsigned", "(s) signed", "(p) provenance", "(sp) signed + provenance"};
        List<List<Double>> times = new ArrayList<>();
        for (int v = 0; v < names.length; v++) {
            times.add(new ArrayList<>());
        }
        try (RegistryClient client = RegistryClient.builder().create()) {
            int warmup = 5;
            for (int round = 0; round < warmup + rounds; round++) {
                for (int v = 0; v < names.length; v++) {
                    ImageReference repo = ImageReference.parse(registry + "/bench-" + v + "-" + round);
                    List<Descriptor> kids = new ArrayList<>();
                    for (Descriptor c : children) {
                        Manifest m = client.getManifest(source.withDigest(c.digest()));
                        client.copyManifest(source, repo, m);
                        kids.add(m.descriptor().withPlatform(c.platform()));
                    }
                    long t0 = System.nanoTime();
                    publish(client, repo, kids, v == 1 || v == 3 ? key : null, v >= 2, round);
                    double ms = (System.nanoTime() - t0) / 1e6;
                    if (round >= warmup) {
                        times.get(v).add(ms);
                    }
                }
            }
        }
        System.out.println("| what | rounds | median ms | min ms | max ms | median / (u) |");
        System.out.println("|---|---|---|---|---|---|");
        double base = median(times.get(0));
        for (int v = 0; v < names.length; v++) {
            List<Double> xs = times.get(v);
            System.out.printf(
                    "| %s | %d | %.2f | %.2f | %.2f | %.2f |%n",
                    names[v],
                    xs.size(),
                    median(xs),
                    xs.stream().mapToDouble(Double::doubleValue).min().orElse(0),
                    xs.stream().mapToDouble(Double::doubleValue).max().orElse(0),
                    median(xs) / base);
        }
    }

    private static void publish(
            RegistryClient client,
            ImageReference repo,
            List<Descriptor> kids,
            SigningKey key,
            boolean provenance,
            int round) {
        List<String> tags = List.of("1.2.3", "1.2", "1", "latest");
        List<Entry> entries = new ArrayList<>();
        kids.forEach(k -> entries.add(new Entry(k, k.platform().shortForm(), true)));
        if (provenance) {
            Map<Digest, byte[]> statements = new LinkedHashMap<>();
            for (Descriptor k : kids) {
                statements.put(
                        k.digest(),
                        Provenance.builder(
                                        "http://127.0.0.1:8080",
                                        k.digest(),
                                        "pkg:docker/" + repo.registry() + "/" + repo.repository() + "@1.2.3",
                                        k.platform())
                                .withSource("https://github.com/acme/app", "refs/tags/v1.2.3", "f".repeat(40))
                                .withDockerfile("Dockerfile", ".")
                                .withBuildArgs(Map.of("VERSION", "1.2.3"))
                                .withFormat("oci")
                                .withRunner("runner-1", "bench", "native")
                                .withInvocation("http://127.0.0.1:8080/builds/" + round, Instant.now(), Instant.now())
                                .create()
                                .statement());
            }
            for (Descriptor d : new Attestations(client, IO).push(repo, statements, Provenance.PREDICATE_TYPE)) {
                entries.add(new Entry(d, "provenance", true));
            }
        }
        Map<String, String> annotations = Map.of(
                "org.opencontainers.image.revision", "f".repeat(40),
                "org.opencontainers.image.version", "1.2.3",
                "org.opencontainers.image.created", "2024-01-01T00:00:00Z");
        IndexPublisher.BeforeTags sign = key == null
                ? null
                : (target, index, children, t) -> {
                    List<String> ids =
                            t.stream().map(x -> repo.withTag(x).toString()).toList();
                    Map<Digest, List<String>> identities = new LinkedHashMap<>();
                    identities.put(index.digest(), ids);
                    kids.forEach(k -> identities.put(k.digest(), ids));
                    new Signer(client, key, IO).sign(repo, identities);
                };
        new IndexPublisher(client)
                .publish(
                        repo.withTag(tags.get(0)),
                        tags.subList(1, 4),
                        entries,
                        IndexType.OCI,
                        annotations,
                        false,
                        sign);
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        s.sort(null);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }
}
