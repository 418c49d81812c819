package dev.multiarch.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A coordinator and runners as separate processes of the real jar, wired to a real registry, for end-to-end tests.
 * Runners get their own work directories (and buildah storage); everything is stopped by {@link #close()}. Test
 * repositories are local bare repositories, so the coordinator and the runners allow local sources.
 */
public final class PipelineRig implements AutoCloseable {
    public static final String SECRET = "test-registration-secret-0123456789";
    /** What runners with {@code untrusted-jobs: true} register with (runners.untrusted-registration-secret). */
    public static final String UNTRUSTED_SECRET = "test-untrusted-registration-secret-0123456789";
    /** What POST /api/builds and cancel need (server.admin-token); the runner secret no longer opens them. */
    public static final String ADMIN_TOKEN = "test-admin-token-0123456789abcdef";

    private final Path dir;
    private final RegistryServer registry;
    private final int port;
    private final int leaseSeconds;
    private JavaProcess coordinator;
    private final List<JavaProcess> runners = new ArrayList<>();
    private final CoordinatorApi api;
    private String extraConfig = "";
    private String registryLogin = "";
    private String serverConfig = "";
    private Map<String, String> env =
            Map.of("TEST_SECRET", SECRET, "TEST_UNTRUSTED_SECRET", UNTRUSTED_SECRET, "TEST_ADMIN", ADMIN_TOKEN);

    public PipelineRig(Path dir, RegistryServer registry, int leaseSeconds) {
        this.dir = dir;
        this.registry = registry;
        this.port = Ports.free();
        this.leaseSeconds = leaseSeconds;
        this.api = new CoordinatorApi("http://127.0.0.1:" + port, ADMIN_TOKEN);
    }

    /** More config.yaml (a github: section), and environment for the coordinator. */
    public PipelineRig withConfig(String yaml, Map<String, String> environment) {
        this.extraConfig = yaml;
        Map<String, String> e = new java.util.HashMap<>(env);
        e.putAll(environment);
        this.env = Map.copyOf(e);
        return this;
    }

    /** More keys under {@code server:} ({@code metrics-token: ${…}}), two spaces in, one per line. */
    public PipelineRig withServerConfig(String yaml) {
        this.serverConfig = yaml;
        return this;
    }

    /** The coordinator logs in to the registry (and hands runners that publish this login): password from its env. */
    public PipelineRig withRegistryLogin(String user, String password) {
        this.registryLogin = "    username: " + user + "\n    password: ${TEST_REGISTRY_PASSWORD}\n";
        Map<String, String> e = new java.util.HashMap<>(env);
        e.put("TEST_REGISTRY_PASSWORD", password);
        this.env = Map.copyOf(e);
        return this;
    }

    public String url() {
        return "http://127.0.0.1:" + port;
    }

    public CoordinatorApi api() {
        return api;
    }

    public JavaProcess coordinator() {
        return coordinator;
    }

    public JavaProcess startCoordinator() {
        try {
            Path cfg = dir.resolve("config.yaml");
            Files.writeString(
                    cfg,
                    "server:\n  host: 127.0.0.1\n  port: " + port + "\n  admin-token: ${TEST_ADMIN}\n"
                            + serverConfig
                            + "store:\n  path: data\n  allow-local-sources: true\n"
                            + "runners:\n  registration-secret: ${TEST_SECRET}\n"
                            + "  untrusted-registration-secret: ${TEST_UNTRUSTED_SECRET}\n  lease: " + leaseSeconds
                            + "s\n"
                            + "  max-attempts: 3\n  long-poll: 5s\n"
                            + "registries:\n  - host: " + registry.host() + "\n    insecure: true\n" + registryLogin
                            + extraConfig);
            coordinator = JavaProcess.start("coordinator", env, "serve", "--config", cfg.toString());
            try {
                Ports.await("the coordinator on port " + port, Duration.ofSeconds(60), () -> {
                    if (!coordinator.alive()) {
                        throw new IllegalStateException("the coordinator exited:\n" + coordinator.log());
                    }
                    return api.up();
                });
            } catch (IllegalStateException e) {
                if (coordinator.alive()) {
                    // Alive but not answering: what it said so far is the only clue.
                    throw new IllegalStateException(e.getMessage() + "; its log:\n" + coordinator.log(), e);
                }
                throw e;
            }
            return coordinator;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A runner process; {@code nativePlatforms} and {@code qemuPlatforms} as written in runner.yaml. */
    public JavaProcess startRunner(String name, List<String> nativePlatforms, List<String> qemuPlatforms, int jobs) {
        return startRunner(name, nativePlatforms, qemuPlatforms, jobs, false, Map.of());
    }

    /** The runner's work directory (identity, storage, job directories). */
    public Path runnerWork(String name) {
        return dir.resolve(name).resolve("work");
    }

    /**
     * A runner process.
     *
     * @param untrustedJobs {@code untrusted-jobs} in its runner.yaml: pull requests from forks and nothing else
     * @param environment   more environment for the runner process (secrets it must not hand on, in tests)
     */
    public JavaProcess startRunner(
            String name,
            List<String> nativePlatforms,
            List<String> qemuPlatforms,
            int jobs,
            boolean untrustedJobs,
            Map<String, String> environment) {
        return startRunner(name, nativePlatforms, qemuPlatforms, jobs, untrustedJobs, environment, "");
    }

    /** A runner process with more lines in its runner.yaml ({@code cache-size: 8MiB\n}). */
    public JavaProcess startRunner(
            String name,
            List<String> nativePlatforms,
            List<String> qemuPlatforms,
            int jobs,
            boolean untrustedJobs,
            Map<String, String> environment,
            String extraYaml) {
        try {
            Path work = dir.resolve(name);
            Files.createDirectories(work);
            Path cfg = work.resolve("runner.yaml");
            Files.writeString(
                    cfg,
                    "coordinator: http://127.0.0.1:" + port + "\nname: " + name + "\n"
                            + "registration-secret: ${" + (untrustedJobs ? "TEST_UNTRUSTED_SECRET" : "TEST_SECRET")
                            + "}\nwork-dir: " + work.resolve("work") + "\n"
                            + "native: [" + String.join(", ", nativePlatforms) + "]\n"
                            + "qemu: [" + String.join(", ", qemuPlatforms) + "]\n"
                            + "jobs: " + jobs + "\n"
                            + "insecure-registries: [\"" + registry.host() + "\"]\n"
                            + "allow-local-sources: true\n"
                            + "untrusted-jobs: " + untrustedJobs + "\n"
                            + extraYaml);
            Map<String, String> runnerEnv = new java.util.HashMap<>(environment);
            // Each runner holds only the secret of its own trust class, as the README asks of operators.
            runnerEnv.put(
                    untrustedJobs ? "TEST_UNTRUSTED_SECRET" : "TEST_SECRET", untrustedJobs ? UNTRUSTED_SECRET : SECRET);
            JavaProcess p = JavaProcess.start(name, runnerEnv, "runner", "--config", cfg.toString());
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
        for (JavaProcess r : runners) {
            r.kill();
        }
        if (coordinator != null) {
            coordinator.close();
        }
        api.close();
    }
}
