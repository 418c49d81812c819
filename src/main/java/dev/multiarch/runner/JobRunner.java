package dev.multiarch.runner;

import dev.multiarch.dispatch.Protocol;
import dev.multiarch.platform.Platform;
import dev.multiarch.registry.CredentialSource;
import dev.multiarch.registry.Credentials;
import dev.multiarch.registry.Digest;
import dev.multiarch.registry.DockerConfig;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.registry.RegistryClient;
import dev.multiarch.registry.RegistryException;
import dev.multiarch.source.Git;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Runs one assignment: checkout, build, audit, push, report; heartbeats all along. If the coordinator says the job
 * is no longer ours (lease lost, build cancelled), the running step is stopped and nothing is reported.
 */
final class JobRunner {
    private static final Logger LOG = Logger.getLogger(JobRunner.class.getName());

    private final CoordinatorClient client;
    private final BuildDriver driver;
    private final Path work;

    JobRunner(CoordinatorClient client, BuildDriver driver, Path work) {
        this.client = client;
        this.driver = driver;
        this.work = work;
    }

    void run(Protocol.Assignment job) {
        Instant deadline = client.clock().instant().plusSeconds(job.timeoutSeconds());
        Exec.Stop stop = new Exec.Stop();
        String tag = "[job " + job.jobId() + " " + job.platform() + "] ";
        Consumer<String> echo = l -> LOG.fine(() -> tag + l);
        ScheduledExecutorService beats = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "heartbeat-" + job.jobId());
            t.setDaemon(true);
            return t;
        });
        Path dir = work.resolve("jobs").resolve(job.jobId() + "-" + job.attempt());
        Protocol.Complete result;
        try (LogStream log = new LogStream(client, job.jobId(), job.attempt(), echo)) {
            beats.scheduleWithFixedDelay(
                    () -> beat(job, stop, log), job.heartbeatSeconds(), job.heartbeatSeconds(), TimeUnit.SECONDS);
            log.line("multiarch runner: job " + job.jobId() + " attempt " + job.attempt() + ", " + job.platform()
                    + ", commit " + job.commit());
            try {
                result = execute(job, dir, log::line, deadline, stop);
            } catch (Exec.StepFailed e) {
                log.line("failed: " + e.getMessage());
                result = new Protocol.Complete(job.attempt(), null, null, 0, 0, e.getMessage());
            } catch (RuntimeException | LinkageError e) {
                // A bug of ours must fail this job with a reason, not kill the runner with the job leased.
                LOG.log(java.util.logging.Level.SEVERE, tag + "internal error", e);
                log.line("internal error: " + e);
                result = new Protocol.Complete(job.attempt(), null, null, 0, 0, "runner internal error: " + e);
            }
            if (stop.reason() != null
                    && result.error() != null
                    && result.error().contains(stop.reason())
                    && !stop.reason().equals("timed out")) {
                log.line("stopped: " + stop.reason());
                LOG.info(() -> tag + "stopped: " + stop.reason());
                return;
            }
        } finally {
            beats.shutdownNow();
            deleteQuietly(dir);
        }
        try {
            client.complete(job.jobId(), result, client.clock().instant().plusSeconds(600));
            Protocol.Complete r = result;
            LOG.info(() -> tag + (r.error() == null ? "done: " + r.digest() : "failed: " + r.error()));
        } catch (CoordinatorClient.Refused e) {
            LOG.warning(() -> tag + "the coordinator did not take the result: " + e.getMessage());
        } catch (IOException e) {
            LOG.warning(() -> tag + "could not report the result: " + e.getMessage());
        }
    }

    private void beat(Protocol.Assignment job, Exec.Stop stop, LogStream log) {
        try {
            log.flush();
            Protocol.HeartbeatReply r = client.heartbeat(
                    job.jobId(), job.attempt(), client.clock().instant().plusSeconds(job.heartbeatSeconds() * 2));
            if (!r.keep()) {
                stop.stop(r.reason());
            }
        } catch (CoordinatorClient.Refused e) {
            if (e.status == 401 || e.status == 404 || e.status == 409) {
                stop.stop(e.getMessage());
            }
        } catch (IOException e) {
            // The coordinator is away (restarting?): keep building; the lease decides.
        }
    }

    private Protocol.Complete execute(
            Protocol.Assignment job, Path dir, Consumer<String> log, Instant deadline, Exec.Stop stop)
            throws Exec.StepFailed {
        Path source = dir.resolve("src");
        log.accept("fetching " + job.cloneUrl() + " at " + job.commit()
                + (job.sourceAuth() == null
                        ? " (no source credentials)"
                        : " (with source credentials from the coordinator)"));
        try {
            Git.checkout(job.cloneUrl(), job.commit(), source, job.sourceAuth(), log);
        } catch (Git.GitException e) {
            throw new Exec.StepFailed("checkout: " + e.getMessage());
        }
        BuildDriver.Built built = driver.build(job, source, dir, log, deadline, stop);
        DirLayout layout;
        try {
            layout = new DirLayout(built.layout());
        } catch (IOException e) {
            throw new Exec.StepFailed("reading the built image: " + e.getMessage());
        }
        Platform platform = Platform.parse(job.platform());
        layout.audit(platform, built.addedLayers(), log);
        if (job.push() == null) {
            log.accept("this job does not publish: built " + layout.manifest().digest() + ", pushed nothing");
            return new Protocol.Complete(
                    job.attempt(),
                    layout.manifest().digest().toString(),
                    layout.manifest().mediaType(),
                    layout.manifest().size(),
                    built.addedLayers(),
                    null);
        }
        Protocol.PushCredentials p = job.push();
        ImageReference repo = ImageReference.parse(job.image());
        // The coordinator's credentials for this registry, else what `docker login` left on this runner.
        CredentialSource creds = (p.username() == null
                        ? CredentialSource.NONE
                        : CredentialSource.forRegistry(p.registry(), Credentials.basic(p.username(), p.password())))
                .orElse(DockerConfig.load(DockerConfig.defaultLocation()));
        try (RegistryClient rc = RegistryClient.builder()
                .withCredentials(creds)
                .withInsecure(p.insecure() ? List.of(p.registry()) : List.of())
                .create()) {
            Digest d = layout.push(rc, repo, log);
            return new Protocol.Complete(
                    job.attempt(),
                    d.toString(),
                    layout.manifest().mediaType(),
                    layout.manifest().size(),
                    built.addedLayers(),
                    null);
        } catch (RegistryException e) {
            throw new Exec.StepFailed("push: " + e.getMessage());
        }
    }

    private static void deleteQuietly(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder())
                    .forEach(p -> p.toFile().delete());
        } catch (IOException | RuntimeException ignored) {
            // best effort: the next job uses another directory
        }
    }
}
