import dev.multiarch.platform.Platform;
import dev.multiarch.publish.Entry;
import dev.multiarch.publish.IndexPublisher;
import dev.multiarch.registry.Descriptor;
import dev.multiarch.registry.Digest;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.registry.IndexType;
import dev.multiarch.registry.RegistryClient;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Publishes the same five per-platform digests as one manifest list, three ways, in one run against one registry:
 *   (a) multiarch's IndexPublisher in a warm JVM (what the bot does): one HEAD per child, one PUT per tag;
 *   (b) buildah manifest create / add / push, whole processes, as a user scripts it;
 *   (c) the multiarch CLI as a whole process, JVM start included (push from-args).
 * Prints per-round times, medians and ratios as a Markdown table.
 *
 * Run by bench/publish-bench; arguments: REGISTRY REPO ROUNDS platform=digest...
 */
public class PublishBench {
    public static void main(String[] args) throws Exception {
        String registry = args[0];
        String repo = args[1];
        int rounds = Integer.parseInt(args[2]);
        List<Entry> entries = new ArrayList<>();
        List<String> platforms = new ArrayList<>();
        for (String pd : Arrays.copyOfRange(args, 3, args.length)) {
            String[] kv = pd.split("=");
            Platform p = Platform.parse(kv[0]);
            platforms.add(kv[0]);
            entries.add(new Entry(new Descriptor("", Digest.parse(kv[1]), -1, p, Map.of()), kv[0]));
        }
        ImageReference target = ImageReference.parse(registry + "/" + repo + ":bench-a");

        // (a) warm JVM
        List<Double> a = new ArrayList<>();
        try (RegistryClient client = RegistryClient.builder().create()) {
            IndexPublisher publisher = new IndexPublisher(client);
            for (int i = 0; i < 200; i++) {
                publisher.publish(target, List.of(), entries, IndexType.AUTO, Map.of(), false);
            }
            for (int i = 0; i < rounds * 10; i++) {
                long t0 = System.nanoTime();
                publisher.publish(target, List.of(), entries, IndexType.AUTO, Map.of(), false);
                a.add((System.nanoTime() - t0) / 1e6);
            }
        }

        // (b) buildah manifest, whole processes
        List<Double> b = new ArrayList<>();
        String storage = System.getenv().getOrDefault("BENCH_BUILDAH_ROOT", "target/bench/buildah");
        List<String> buildah = List.of(
                "buildah", "--storage-driver", "vfs", "--root", storage + "/root", "--runroot", storage + "/run");
        for (int i = 0; i < rounds + 1; i++) {
            String list = "bench-list-" + i;
            long t0 = System.nanoTime();
            run(buildah, "manifest", "create", list);
            for (Entry e : entries) {
                run(
                        buildah,
                        "manifest",
                        "add",
                        "--tls-verify=false",
                        list,
                        "docker://" + registry + "/" + repo + "@"
                                + e.descriptor().digest());
            }
            run(
                    buildah,
                    "manifest",
                    "push",
                    "--tls-verify=false",
                    list,
                    "docker://" + registry + "/" + repo + ":bench-b");
            double ms = (System.nanoTime() - t0) / 1e6;
            run(buildah, "manifest", "rm", list);
            if (i > 0) {
                b.add(ms);
            }
        }

        // (c) the CLI, whole process (the first run writes the class-data archive and is not counted)
        List<Double> c = new ArrayList<>();
        for (int i = 0; i < rounds + 1; i++) {
            long t0 = System.nanoTime();
            run(
                    List.of("bin/multiarch"),
                    "push",
                    "from-args",
                    "--platforms",
                    String.join(",", platforms),
                    "--template",
                    registry + "/" + repo + ":ARCH-VARIANT",
                    "--target",
                    registry + "/" + repo + ":bench-c");
            double ms = (System.nanoTime() - t0) / 1e6;
            if (i > 0) {
                c.add(ms);
            }
        }

        double ma = median(a);
        double mb = median(b);
        double mc = median(c);
        System.out.println("| what | rounds | median ms | min ms | max ms |");
        System.out.println("|---|---|---|---|---|");
        row("(a) multiarch IndexPublisher, warm JVM", a);
        row("(b) buildah manifest create/add/push, processes", b);
        row("(c) multiarch CLI push from-args, whole process", c);
        System.out.printf("%nratio (b)/(a): %.1fx faster in a warm JVM%n", mb / ma);
        System.out.printf("ratio (c)/(b): %.2fx (CLI whole process vs buildah script)%n", mc / mb);
    }

    private static void row(String name, List<Double> xs) {
        System.out.printf(
                "| %s | %d | %.2f | %.2f | %.2f |%n",
                name,
                xs.size(),
                median(xs),
                xs.stream().mapToDouble(Double::doubleValue).min().orElse(0),
                xs.stream().mapToDouble(Double::doubleValue).max().orElse(0));
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        s.sort(null);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private static void run(List<String> prefix, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(Arrays.asList(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed:\n" + new String(out));
        }
    }
}
