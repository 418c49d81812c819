package dev.multiarch.runner;

import dev.multiarch.base.Backoff;
import dev.multiarch.base.Json;
import dev.multiarch.config.RunnerConfig;
import dev.multiarch.dispatch.Protocol;
import dev.multiarch.platform.Binfmt;
import dev.multiarch.platform.HostPlatform;
import dev.multiarch.platform.Platform;
import dev.multiarch.source.SourceCache;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Logger;

/**
 * The runner's main loop: register (or reuse the identity saved in the work directory), long-poll, run each job,
 * repeat. Survives the coordinator going away: it waits and tries again.
 */
public final class RunnerAgent implements Runnable, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(RunnerAgent.class.getName());

    private final RunnerConfig config;
    private final CoordinatorClient client;
    private final BuildDriver driver;
    private final SourceCache sources;
    /** The layer cache (buildah); null with buildx, which keeps its own. */
    private final CacheScopes scopes;

    private volatile boolean running = true;
    private volatile Thread thread;

    public RunnerAgent(RunnerConfig config) {
        this(config, Clock.systemUTC());
    }

    public RunnerAgent(RunnerConfig config, Clock clock) {
        this.config = config;
        this.client = new CoordinatorClient(config.coordinator(), Duration.ofSeconds(60), clock);
        this.scopes = config.driver().equals("buildx") ? null : scopes(config, clock);
        this.driver = scopes == null
                ? new BuildxDriver()
                : new BuildahDriver(scopes, config.storageDriver(), config.insecureRegistries());
        this.sources = SourceCache.forProcess(config.workDir().resolve("sources"));
    }

    /**
     * The layer cache under {@code cache/} of the work directory; what an interrupted removal left, and the one shared
     * storage of runners before it ({@code storage/}), are deleted.
     */
    private static CacheScopes scopes(RunnerConfig config, Clock clock) {
        CacheScopes s = new CacheScopes(config.workDir().resolve("cache"), config.cacheSize(), clock);
        s.removeLeftovers();
        Path old = config.workDir().resolve("storage");
        if (Files.isDirectory(old)) {
            LOG.info(() -> "removing " + old + ", the image storage of an earlier version (now cache/)");
            CacheScopes.deleteTree(old);
        }
        return s;
    }

    /** What this host builds without emulation: declared, or detected. */
    public static List<Platform> nativePlatforms(RunnerConfig c) {
        return c.nativePlatforms() == null
                ? HostPlatform.runsNatively(HostPlatform.detect(), c.aarch32())
                : c.nativePlatforms();
    }

    /** What this host builds through QEMU: declared, or detected from binfmt_misc; never what it builds natively. */
    public static List<Platform> qemuPlatforms(RunnerConfig c, List<Platform> nat) {
        List<Platform> q = c.qemuPlatforms() != null ? c.qemuPlatforms() : Binfmt.detect();
        List<Platform> out = new ArrayList<>();
        for (Platform p : q) {
            if (nat.stream().noneMatch(n -> n.matches(p))) {
                out.add(p);
            }
        }
        return out;
    }

    @Override
    public void run() {
        thread = Thread.currentThread();
        try {
            Files.createDirectories(config.workDir());
        } catch (IOException e) {
            throw new IllegalStateException(
                    "cannot create the work directory " + config.workDir() + ": " + e.getMessage());
        }
        List<Platform> nat = nativePlatforms(config);
        List<Platform> qemu = qemuPlatforms(config, nat);
        LOG.info(() -> "runner " + config.name() + " → " + config.coordinator() + "; native "
                + nat.stream().map(Platform::shortForm).toList() + "; qemu "
                + qemu.stream().map(Platform::shortForm).toList()
                + (config.untrustedJobs() ? "; untrusted jobs only (pull requests from forks)" : "; trusted jobs"));
        JobRunner.removeLeftovers(config.workDir());
        JobRunner jobs = new JobRunner(
                client,
                driver,
                config.workDir(),
                new JobRunner.Policy(config.untrustedJobs(), config.allowLocalSources()),
                sources);
        registered = identity().isPresent();
        // `jobs` builds at once (BuildPermits): a job hands its permit on when its build command ends.
        BuildPermits builds = new BuildPermits(config.jobs());
        List<Thread> extra = new ArrayList<>();
        for (int i = 1; i < 2 * config.jobs(); i++) {
            Thread t = new Thread(() -> loop(jobs, nat, qemu, builds), "runner-slot-" + i);
            t.setDaemon(true);
            extra.add(t);
        }
        extra.forEach(Thread::start);
        loop(jobs, nat, qemu, builds);
        client.close();
    }

    private volatile boolean registered;

    /** Coordinator unreachable or answering 5xx: wait, doubling from half a second up to ten. */
    private static final Backoff UNAVAILABLE = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(10));

    /**
     * One job slot: take a build permit, poll, run, repeat; registers (again) when the coordinator does not know us. A
     * slot polls only with a permit, so the coordinator never hands out more jobs than the runner has builds for.
     */
    private void loop(JobRunner jobs, List<Platform> nat, List<Platform> qemu, BuildPermits builds) {
        int failures = 0;
        while (running) {
            BuildPermits.Permit permit;
            try {
                permit = builds.take(Duration.ofSeconds(1));
            } catch (InterruptedException e) {
                continue; // close(): running is false now
            }
            if (permit == null) {
                continue;
            }
            try {
                ensureRegistered(nat, qemu);
                Optional<Protocol.Assignment> job = client.poll(poll());
                failures = 0;
                if (job.isPresent()) {
                    jobs.run(job.get(), permit);
                }
            } catch (CoordinatorClient.Refused e) {
                if (e.status == 401) {
                    LOG.warning("the coordinator does not know this runner's token; registering again");
                    registered = false;
                } else if (e.status == 403) {
                    LOG.severe(() -> "registration refused: " + e.getMessage());
                    running = false;
                } else {
                    pause(failures++, e);
                }
            } catch (IOException e) {
                if (!running) {
                    break;
                }
                pause(failures++, e);
            } finally {
                permit.run();
            }
        }
    }

    /** What this runner holds, for the dispatcher to prefer it for jobs that find their commit and layers here. */
    Protocol.Poll poll() {
        return new Protocol.Poll(
                sources.commits(Protocol.Poll.MAX_COMMITS),
                scopes == null ? List.of() : scopes.recent(Protocol.Poll.MAX_CACHE_SCOPES));
    }

    private synchronized void ensureRegistered(List<Platform> nat, List<Platform> qemu) throws IOException {
        if (!registered) {
            register(nat, qemu);
            registered = true;
        }
    }

    private void pause(int failures, Exception e) {
        Duration pause = UNAVAILABLE.delay(failures);
        LOG.warning(() -> "coordinator unavailable (" + e.getMessage() + "); retrying in " + pause.toMillis() + " ms");
        LockSupport.parkNanos(pause.toNanos());
    }

    private Path identityFile() {
        return config.workDir().resolve("runner-identity.json");
    }

    /**
     * The identity saved by an earlier registration with this coordinator, in this trust class. A runner whose
     * {@code untrusted-jobs} changed registers again: its row in the coordinator says what jobs it gets.
     */
    private Optional<Protocol.Registered> identity() {
        try {
            Path f = identityFile();
            if (!Files.exists(f)) {
                return Optional.empty();
            }
            var n = Json.MAPPER.readTree(f.toFile());
            if (!config.coordinator().equals(n.path("coordinator").asText())
                    || n.path("untrustedJobs").asBoolean(false) != config.untrustedJobs()) {
                return Optional.empty();
            }
            Protocol.Registered r = new Protocol.Registered(
                    n.path("runnerId").asText(), n.path("token").asText());
            client.token(r.token());
            return Optional.of(r);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private void register(List<Platform> nat, List<Platform> qemu) throws IOException {
        Protocol.Registered r = client.register(new Protocol.Register(
                config.name(),
                config.registrationSecret(),
                nat.stream().map(Platform::shortForm).toList(),
                qemu.stream().map(Platform::shortForm).toList(),
                config.untrustedJobs()));
        client.token(r.token());
        saveIdentity(identityFile(), config.coordinator(), config.untrustedJobs(), r);
        LOG.info(() -> "registered as " + r.runnerId());
    }

    /** The token, readable by the runner's user only from the first byte, replacing any older identity at once. */
    static void saveIdentity(Path file, String coordinator, boolean untrustedJobs, Protocol.Registered r)
            throws IOException {
        var n = Json.MAPPER.createObjectNode();
        n.put("coordinator", coordinator);
        n.put("untrustedJobs", untrustedJobs);
        n.put("runnerId", r.runnerId());
        n.put("token", r.token());
        PrivateFiles.replace(file, Json.MAPPER.writeValueAsBytes(n));
    }

    @Override
    public void close() {
        running = false;
        Thread t = thread;
        if (t != null) {
            t.interrupt();
        }
        sources.close();
    }
}
