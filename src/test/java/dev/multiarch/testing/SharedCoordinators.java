package dev.multiarch.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Several coordinators ({@code serve}, processes of the real jar) on one PostgreSQL database, each on its own port
 * with its own data directory (source cache), and runners each talking to one of them: what a deployment behind a
 * load balancer looks like, without the load balancer. Everything is stopped by {@link #close()}.
 */
public final class SharedCoordinators implements AutoCloseable {
    private final Path dir;
    private final String storeUrl;
    private final String registryHost;
    private final String extraConfig;
    private final Map<String, String> env;
    private final int leaseSeconds;
    private final Map<String, Integer> ports = new LinkedHashMap<>();
    private final Map<String, JavaProcess> coordinators = new LinkedHashMap<>();
    private final List<JavaProcess> runners = new ArrayList<>();
    private final Map<String, CoordinatorApi> apis = new LinkedHashMap<>();

    /**
     * @param storeUrl    {@code postgresql://127.0.0.1:PORT/DB} (user {@code postgres}, no password: the test cluster
     *                    trusts loopback)
     * @param extraConfig more config.yaml for every coordinator (a github: section)
     * @param env         environment for every coordinator (the secrets extraConfig names)
     */
    public SharedCoordinators(
            Path dir,
            String storeUrl,
            String registryHost,
            int leaseSeconds,
            String extraConfig,
            Map<String, String> env) {
        this.dir = dir;
        this.storeUrl = storeUrl;
        this.registryHost = registryHost;
        this.leaseSeconds = leaseSeconds;
        this.extraConfig = extraConfig;
        Map<String, String> e = new LinkedHashMap<>(env);
        e.put("TEST_SECRET", PipelineRig.SECRET);
        e.put("TEST_ADMIN", PipelineRig.ADMIN_TOKEN);
        this.env = Map.copyOf(e);
    }

    public String url(String name) {
        return "http://127.0.0.1:" + ports.get(name);
    }

    public CoordinatorApi api(String name) {
        return apis.get(name);
    }

    public JavaProcess coordinator(String name) {
        return coordinators.get(name);
    }

    /** Starts coordinator {@code name} and waits until it answers. */
    public JavaProcess start(String name) {
        try {
            int port = ports.computeIfAbsent(name, n -> Ports.free());
            Path home = Files.createDirectories(dir.resolve(name));
            Path cfg = home.resolve("config.yaml");
            Files.writeString(
                    cfg,
                    "server:\n  host: 127.0.0.1\n  port: " + port + "\n  admin-token: ${TEST_ADMIN}\n"
                            + "store:\n  path: " + home.resolve("data") + "\n  url: " + storeUrl
                            + "\n  username: postgres\n  allow-local-sources: true\n"
                            + "runners:\n  registration-secret: ${TEST_SECRET}\n  lease: " + leaseSeconds + "s\n"
                            + "  max-attempts: 3\n  long-poll: 5s\n"
                            + "registries:\n  - host: " + registryHost + "\n    insecure: true\n"
                            + extraConfig);
            JavaProcess p = JavaProcess.start(name, env, "serve", "--config", cfg.toString());
            coordinators.put(name, p);
            CoordinatorApi api = apis.computeIfAbsent(name, n -> new CoordinatorApi(url(n), PipelineRig.ADMIN_TOKEN));
            Ports.await(name + " on port " + port, Duration.ofSeconds(90), () -> {
                if (!p.alive()) {
                    throw new IllegalStateException(name + " exited:\n" + p.log());
                }
                return api.up();
            });
            return p;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A runner process talking to coordinator {@code coordinator}. */
    public JavaProcess runner(String name, String coordinator, List<String> nativePlatforms, int jobs) {
        return runnerVia(name, url(coordinator), nativePlatforms, jobs);
    }

    /**
     * A runner process talking to the coordinators at {@code coordinatorUrl}: a load balancer in front of them (bench/chaos),
     * as in a deployment. Started again with the same name, it has the same config and work directory: its saved
     * identity.
     */
    public JavaProcess runnerVia(String name, String coordinatorUrl, List<String> nativePlatforms, int jobs) {
        try {
            Path work = Files.createDirectories(dir.resolve(name));
            Path cfg = work.resolve("runner.yaml");
            Files.writeString(
                    cfg,
                    "coordinator: " + coordinatorUrl + "\nname: " + name + "\n"
                            + "registration-secret: ${TEST_SECRET}\nwork-dir: " + work.resolve("work") + "\n"
                            + "native: [" + String.join(", ", nativePlatforms) + "]\nqemu: []\n"
                            + "jobs: " + jobs + "\n"
                            + "insecure-registries: [\"" + registryHost + "\"]\n"
                            + "allow-local-sources: true\n");
            JavaProcess p = JavaProcess.start(
                    name, Map.of("TEST_SECRET", PipelineRig.SECRET), "runner", "--config", cfg.toString());
            runners.add(p);
            Ports.await(name + " registering", Duration.ofSeconds(60), () -> {
                if (!p.alive()) {
                    throw new IllegalStateException(name + " exited:\n" + p.log());
                }
                return p.log().contains("registered as") || p.log().contains("→ http");
            });
            return p;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        runners.forEach(JavaProcess::kill);
        coordinators.values().forEach(JavaProcess::close);
        apis.values().forEach(CoordinatorApi::close);
    }
}
