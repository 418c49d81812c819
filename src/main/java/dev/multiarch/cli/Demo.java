package dev.multiarch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.base.ChildEnvironment;
import dev.multiarch.config.RunnerConfig;
import dev.multiarch.registry.Descriptor;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.registry.Manifest;
import dev.multiarch.registry.RegistryClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code multiarch demo}: the whole product on this machine. Starts Debian's docker-registry on a free loopback port,
 * makes a git repository of {@code examples/hello} (with busybox for each architecture), and runs the pipeline on it
 * as if {@code v1.0.0} had been pushed: a coordinator and a runner in this process, linux/amd64 natively, linux/arm64
 * and linux/arm/v7 through QEMU, verified and published under 1.0.0, 1.0, 1 and latest.
 */
final class Demo implements Command {
    /** Debian's architecture names for the busybox each platform needs, as bin/setup-host caches them. */
    private static final Map<String, String> BUSYBOX =
            Map.of("busybox-amd64", "amd64", "busybox-arm64", "arm64", "busybox-armv7", "armhf");

    @Override
    public List<String> words() {
        return List.of("demo");
    }

    @Override
    public String summary() {
        return "Build examples/hello for 3 platforms and publish it to a local registry (run bin/setup-host first).";
    }

    @Override
    public String arguments() {
        return "";
    }

    @Override
    public Options options() {
        return new Options()
                .addOption(Option.builder()
                        .longOpt("example")
                        .hasArg()
                        .argName("DIR")
                        .desc("The project to build (default: examples/hello).")
                        .build())
                .addOption(Option.builder()
                        .longOpt("work")
                        .hasArg()
                        .argName("DIR")
                        .desc("Where the registry, repository and store go (default: target/demo).")
                        .build())
                .addOption(Option.builder()
                        .longOpt("keep")
                        .desc("Leave the registry running at the end.")
                        .build());
    }

    @Override
    public int run(CommandLine cl, PrintWriter out, PrintWriter err) throws Exception {
        Path example = Path.of(cl.getOptionValue("example", "examples/hello")).toAbsolutePath();
        if (!Files.isRegularFile(example.resolve("Dockerfile"))) {
            throw new IllegalArgumentException(
                    example + " has no Dockerfile; run the demo from the multiarch checkout");
        }
        Path work = Path.of(cl.getOptionValue("work", "target/demo")).toAbsolutePath();
        deleteTree(work);
        Files.createDirectories(work);
        Logging.setUp();
        int port = LocalBuild.freePort();
        Process registry = startRegistry(work.resolve("registry"), port);
        try {
            String host = "localhost:" + port;
            out.println("==> registry " + host + " (docker-registry, pid " + registry.pid() + ")");
            Path repo = prepareRepository(example, work.resolve("hello"), host);
            out.println("==> repository " + repo + " (.multiarch.yaml: image " + host + "/hello)");
            out.flush();
            List<JsonNode> builds = LocalBuild.run(
                    repo,
                    "v1.0.0",
                    true,
                    work.resolve("state"),
                    RunnerConfig.defaultJobs(Runtime.getRuntime().availableProcessors()),
                    out);
            boolean ok = builds.stream().allMatch(b -> b.path("state").asText().equals("published"));
            if (ok) {
                out.println();
                out.println("==> what the registry now serves for " + host + "/hello:1.0.0");
                try (RegistryClient c = RegistryClient.builder().create()) {
                    ImageReference ref = ImageReference.parse(host + "/hello:1.0.0");
                    Manifest index = c.getManifest(ref);
                    out.println("  " + index.mediaType() + "  " + index.digest());
                    for (Descriptor d : index.entries()) {
                        out.println("  " + PushFlow.pad(d.platform().shortForm(), 14) + " " + d.digest());
                    }
                }
            }
            if (cl.hasOption("keep")) {
                out.println("==> registry left running at " + host + " (pid " + registry.pid()
                        + "); stop it with: kill " + registry.pid());
                out.flush();
            }
            return ok ? 0 : 1;
        } finally {
            if (!cl.hasOption("keep")) {
                registry.destroy();
                registry.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static Process startRegistry(Path dir, int port) throws IOException {
        Files.createDirectories(dir);
        Path cfg = dir.resolve("config.yml");
        Files.writeString(
                cfg,
                "version: 0.1\nlog: {level: warn, accesslog: {disabled: true}}\n"
                        + "storage: {filesystem: {rootdirectory: " + dir.resolve("data") + "}}\n"
                        + "http: {addr: 127.0.0.1:" + port + "}\n");
        Process p;
        try {
            p = ChildEnvironment.apply(new ProcessBuilder("docker-registry", "serve", cfg.toString()), Map.of())
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("registry.log").toFile())
                    .start();
        } catch (IOException e) {
            throw new IllegalStateException(
                    "cannot start docker-registry (run bin/setup-host first): " + e.getMessage(), e);
        }
        Instant end = Instant.now().plusSeconds(30);
        while (Instant.now().isBefore(end)) {
            if (!p.isAlive()) {
                throw new IllegalStateException(
                        "docker-registry exited: " + Files.readString(dir.resolve("registry.log")));
            }
            try (java.net.Socket s = new java.net.Socket()) {
                s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 200);
                return p;
            } catch (IOException notYet) {
                LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
            }
        }
        p.destroy();
        throw new IllegalStateException("docker-registry did not start listening on port " + port);
    }

    private static Path prepareRepository(Path example, Path repo, String registryHost)
            throws IOException, InterruptedException {
        Files.createDirectories(repo);
        try (var files = Files.list(example)) {
            for (Path f : files.toList()) {
                if (Files.isRegularFile(f) && !f.getFileName().toString().startsWith("busybox-")) {
                    Files.copy(f, repo.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        String cache = System.getenv("MULTIARCH_CACHE");
        Path base = cache != null ? Path.of(cache) : Path.of(System.getProperty("user.home"), ".cache", "multiarch");
        for (Map.Entry<String, String> b : BUSYBOX.entrySet()) {
            Path src = base.resolve("busybox").resolve(b.getValue()).resolve("busybox");
            if (!Files.isRegularFile(src)) {
                throw new IllegalStateException(src + " is missing: run bin/setup-host first");
            }
            Files.copy(src, repo.resolve(b.getKey()), StandardCopyOption.REPLACE_EXISTING);
        }
        Path config = repo.resolve(".multiarch.yaml");
        Files.writeString(config, Files.readString(config).replace("localhost:5000", registryHost));
        Files.deleteIfExists(repo.resolve(".gitignore"));
        for (List<String> cmd : List.of(
                List.of("git", "init", "-q"),
                List.of("git", "add", "-A"),
                List.of(
                        "git",
                        "-c",
                        "user.email=demo@multiarch.dev",
                        "-c",
                        "user.name=multiarch demo",
                        "commit",
                        "-q",
                        "-m",
                        "hello, multi-arch"))) {
            Process p = ChildEnvironment.apply(new ProcessBuilder(cmd), Map.of())
                    .directory(repo.toFile())
                    .redirectErrorStream(true)
                    .start();
            String o = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed: " + o);
            }
        }
        return repo;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
