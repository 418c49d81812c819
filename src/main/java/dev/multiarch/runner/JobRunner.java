package dev.multiarch.runner;

import dev.multiarch.config.Annotations;
import dev.multiarch.config.Redaction;
import dev.multiarch.dispatch.Protocol;
import dev.multiarch.platform.Platform;
import dev.multiarch.registry.CredentialSource;
import dev.multiarch.registry.Credentials;
import dev.multiarch.registry.Digest;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.registry.RegistryClient;
import dev.multiarch.registry.RegistryException;
import dev.multiarch.source.CloneUrl;
import dev.multiarch.source.Git;
import dev.multiarch.source.SourceCache;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Runs one assignment: checkout, build, audit, push, report; heartbeats all along. If the coordinator says the job
 * is no longer ours (lease lost, build cancelled), the running step is stopped and nothing is reported.
 *
 * <p>What a job may use is decided by the assignment alone, and checked again here (the coordinator could be wrong,
 * or not the coordinator): a runner with {@code untrusted-jobs: true} runs untrusted jobs only and other runners
 * never run them; an untrusted job carrying push or source credentials is refused; registry credentials are exactly
 * the assignment's, for its image's registry only (never the runner user's Docker login). Log lines pass through the
 * job's {@link Redaction} before they are shown or sent.
 */
final class JobRunner {
    private static final Logger LOG = Logger.getLogger(JobRunner.class.getName());

    /**
     * @param untrustedJobs     this runner runs untrusted jobs (forks' pull requests) and nothing else
     * @param allowLocalSources clone URLs may name local repositories ({@code multiarch build DIR}, tests)
     */
    record Policy(boolean untrustedJobs, boolean allowLocalSources) {}

    private final CoordinatorClient client;
    private final BuildDriver driver;
    private final Path work;
    private final Policy policy;
    private final SourceCache sources;

    /** @param sources the runner's source cache, for trusted jobs only */
    JobRunner(CoordinatorClient client, BuildDriver driver, Path work, Policy policy, SourceCache sources) {
        this.client = client;
        this.driver = driver;
        this.work = work;
        this.policy = policy;
        this.sources = sources;
    }

    /**
     * @param built called when the job's build command has ended (by the driver, or at the latest when the job ends):
     *              the runner may then start another build while this job exports, audits and pushes its image
     */
    void run(Protocol.Assignment job, Runnable built) {
        try {
            runJob(job, built);
        } finally {
            built.run();
        }
    }

    private void runJob(Protocol.Assignment job, Runnable built) {
        Instant deadline = client.clock().instant().plusSeconds(job.timeoutSeconds());
        Exec.Stop stop = new Exec.Stop(client.clock());
        String tag = "[job " + job.jobId() + " " + job.platform() + "] ";
        Consumer<String> echo = l -> LOG.fine(() -> tag + l);
        ScheduledExecutorService beats = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "heartbeat-" + job.jobId());
            t.setDaemon(true);
            return t;
        });
        Path dir = work.resolve("jobs").resolve(job.jobId() + "-" + job.attempt());
        Redaction redact = Redaction.forBuildArgs(job.buildArgs());
        Steps steps = new Steps();
        Protocol.Complete result;
        try (LogStream stream = new LogStream(client, job.jobId(), job.attempt(), echo)) {
            Consumer<String> log = line -> stream.line(redact.apply(line));
            beats.scheduleWithFixedDelay(
                    () -> beat(job, stop, stream), job.heartbeatSeconds(), job.heartbeatSeconds(), TimeUnit.SECONDS);
            log.accept("multiarch runner: job " + job.jobId() + " attempt " + job.attempt() + ", " + job.platform()
                    + ", commit " + job.commit() + (job.untrusted() ? " (untrusted source)" : ""));
            if (redact.hidden() > 0) {
                log.accept(redact.hidden() + " build arg(s) look like secrets and are shown as NAME=***");
            }
            try {
                result = execute(job, dir, log, deadline, stop, steps, built);
            } catch (Exec.StepFailed e) {
                String why = redact.apply(e.getMessage());
                log.accept("failed: " + why);
                result = failed(job, why);
            } catch (RuntimeException | LinkageError e) {
                // A bug of ours must fail this job with a reason, not kill the runner with the job leased.
                LOG.log(java.util.logging.Level.SEVERE, tag + "internal error", e);
                String why = redact.apply(e.toString());
                log.accept("internal error: " + why);
                result = failed(job, "runner internal error: " + why);
            }
            if (stop.reason() != null
                    && result.error() != null
                    && result.error().contains(stop.reason())
                    && !stop.reason().equals("timed out")) {
                log.accept("stopped: " + stop.reason());
                LOG.info(() -> tag + "stopped: " + stop.reason());
                return;
            }
            log.accept("time: " + describe(steps.millis()));
        } finally {
            beats.shutdownNow();
            long t0 = System.nanoTime();
            deleteQuietly(dir);
            steps.add("cleanup", java.time.Duration.ofNanos(System.nanoTime() - t0));
        }
        result = new Protocol.Complete(
                result.attempt(),
                result.digest(),
                result.mediaType(),
                result.size(),
                result.addedLayers(),
                result.error(),
                steps.millis());
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

    private static Protocol.Complete failed(Protocol.Assignment job, String why) {
        return new Protocol.Complete(job.attempt(), null, null, 0, 0, why, null);
    }

    private static Protocol.Complete succeeded(Protocol.Assignment job, DirLayout layout, Digest d, int addedLayers) {
        return new Protocol.Complete(
                job.attempt(),
                d.toString(),
                layout.manifest().mediaType(),
                layout.manifest().size(),
                addedLayers,
                null,
                null);
    }

    /** "fetch 0.00 s, checkout 0.07 s, build 1.02 s, …" for the job's log. */
    static String describe(java.util.Map<String, Long> millis) {
        List<String> parts = new java.util.ArrayList<>();
        millis.forEach((k, v) -> parts.add(k + " " + String.format(java.util.Locale.ROOT, "%.2f s", v / 1000.0)));
        return String.join(", ", parts);
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

    /**
     * Refuses an assignment this runner must not run: a trusted job on an untrusted runner (its credentials would
     * meet a stranger's leftovers) or the reverse, an untrusted job that carries credentials, push credentials for a
     * registry other than the image's.
     */
    static void admit(Protocol.Assignment job, Policy policy) throws Exec.StepFailed {
        if (job.untrusted() && !policy.untrustedJobs()) {
            throw new Exec.StepFailed("refused: this runner does not take untrusted jobs (pull requests from forks); "
                    + "they belong on runners with untrusted-jobs: true");
        }
        if (!job.untrusted() && policy.untrustedJobs()) {
            throw new Exec.StepFailed("refused: this runner (untrusted-jobs: true) takes only untrusted jobs, and "
                    + "this one is trusted");
        }
        if (job.untrusted() && job.push() != null) {
            throw new Exec.StepFailed("refused: an untrusted job came with push credentials");
        }
        if (job.untrusted() && job.cache() != null && job.cache().write()) {
            throw new Exec.StepFailed("refused: an untrusted job was told to write the layer cache");
        }
        if (job.cache() != null) {
            ImageReference cache;
            try {
                cache = ImageReference.parse(job.cache().repository());
            } catch (IllegalArgumentException e) {
                throw new Exec.StepFailed("refused: the layer cache is not a repository: " + e.getMessage());
            }
            if (cache.tag() != null || cache.digest() != null) {
                throw new Exec.StepFailed("refused: the layer cache " + cache + " names a tag or digest");
            }
        }
        if (job.untrusted() && job.sourceAuth() != null) {
            throw new Exec.StepFailed("refused: an untrusted job came with source credentials");
        }
        if (job.push() != null) {
            String registry = ImageReference.parse(job.image()).registry();
            if (!registry.equalsIgnoreCase(job.push().registry())) {
                throw new Exec.StepFailed("refused: push credentials for "
                        + job.push().registry() + " came with an image in " + registry);
            }
        }
    }

    private Protocol.Complete execute(
            Protocol.Assignment job,
            Path dir,
            Consumer<String> log,
            Instant deadline,
            Exec.Stop stop,
            Steps steps,
            Runnable buildEnded)
            throws Exec.StepFailed {
        admit(job, policy);
        deleteQuietly(dir);
        try {
            // Owner only: the checkout, the auth file and an untrusted job's image storage live here.
            Files.createDirectories(dir.getParent());
            Files.createDirectory(
                    dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            throw new Exec.StepFailed("cannot create the job directory " + dir + ": " + e.getMessage());
        }
        Path source = dir.resolve("src");
        java.time.Instant created = null;
        try {
            // Parsed before it is shown: a refused URL is shown with its user info masked.
            CloneUrl url = CloneUrl.parse(job.cloneUrl(), policy.allowLocalSources());
            log.accept("source: " + url.url() + " at " + job.commit()
                    + (job.sourceAuth() == null
                            ? " (no source credentials)"
                            : " (with source credentials from the coordinator)"));
            SourceCache cache = sourcesFor(job, dir);
            // Only the build context and the Dockerfile are written (a context of '.': the whole tree), and only
            // their Git LFS objects fetched.
            SourceCache.Scope scope =
                    new SourceCache.Scope(java.util.Objects.requireNonNullElse(job.context(), "."), job.dockerfile());
            SourceCache.Checkout c = cache.checkout(url, job.commit(), source, job.sourceAuth(), log, scope);
            try {
                // The commit's time, not the build's: rebuilding a commit gives the same value (metadata-action's
                // created). Read from the cache's repository: the checked-out tree has no .git.
                created = cache.commitTime(url, job.commit());
            } catch (Git.GitException e) {
                log.accept("no creation time for the image: " + e.getMessage());
            }
            steps.add("fetch", c.fetch());
            steps.add("checkout", c.checkout());
            log.accept((c.fetched() ? "fetched the commit into " : "found the commit in ")
                    + (job.untrusted()
                            ? "this job's own repository (untrusted: never the runner's source cache)"
                            : "the runner's source cache")
                    + " (" + c.fetch().toMillis() + " ms); checked out "
                    + (c.whole()
                            ? "its whole tree"
                            : "only the build context '" + scope.context() + "' and the Dockerfile")
                    + " ("
                    + c.checkout().toMillis() + " ms)");
        } catch (Git.GitException e) {
            throw new Exec.StepFailed("checkout: " + e.getMessage());
        }
        Checkout.Resolved tree = Checkout.resolve(source, job.dockerfile(), job.context());
        Map<String, String> annotations = new TreeMap<>(job.annotations());
        if (created != null) {
            annotations.put(Annotations.CREATED, created.toString());
        }
        BuildDriver.Built built;
        Path auth = null;
        try {
            auth = AuthFile.write(dir, job.push());
            built = driver.build(
                    new BuildDriver.Input(
                            job, tree.root(), tree.dockerfile(), tree.context(), auth, annotations, buildEnded),
                    dir,
                    log,
                    deadline,
                    stop,
                    steps);
        } catch (IOException e) {
            throw new Exec.StepFailed("cannot write the job's registry auth file: " + e.getMessage());
        } finally {
            PrivateFiles.deleteQuietly(auth);
        }
        DirLayout layout;
        try {
            layout = new DirLayout(built.layout());
        } catch (IOException e) {
            throw new Exec.StepFailed("reading the built image: " + e.getMessage());
        }
        Platform platform = Platform.parse(job.platform());
        steps.time("audit", () -> layout.audit(platform, built.addedLayers(), log));
        if (job.push() == null) {
            log.accept("this job does not publish: built " + layout.manifest().digest() + ", pushed nothing");
            return succeeded(job, layout, layout.manifest().digest(), built.addedLayers());
        }
        Protocol.PushCredentials p = job.push();
        ImageReference repo = ImageReference.parse(job.image());
        Digest d = steps.time("push", () -> {
            try (RegistryClient rc = RegistryClient.builder()
                    .withCredentials(credentials(p))
                    .withInsecure(p.insecure() ? List.of(p.registry()) : List.of())
                    .create()) {
                return layout.push(rc, repo, log);
            } catch (RegistryException e) {
                throw new Exec.StepFailed("push: " + e.getMessage());
            }
        });
        return succeeded(job, layout, d, built.addedLayers());
    }

    /**
     * Where a job's commit is fetched: the runner's source cache for a trusted job; for an untrusted one (a fork's
     * pull request) a repository of its own in its job directory, deleted with it. A shared mirror would let one
     * fork's job leave something behind for the next job to read (refs, objects, git configuration written by a build
     * that escaped its chroot); a private one costs a fetch per platform, for forks only.
     */
    private SourceCache sourcesFor(Protocol.Assignment job, Path dir) {
        return job.untrusted() ? new SourceCache(dir.resolve("git")) : sources;
    }

    /** Exactly the assignment's credentials, for its registry only; none when it carries none. */
    static CredentialSource credentials(Protocol.PushCredentials p) {
        if (p == null || p.username() == null) {
            return CredentialSource.NONE;
        }
        return CredentialSource.forRegistry(
                p.registry(), new Credentials(p.username(), p.password(), p.identityToken()));
    }

    /**
     * Removes what jobs of an earlier run of this runner left (it was killed mid-job): checkouts, an untrusted job's
     * image storage, a registry auth file. Called before any job starts.
     */
    static void removeLeftovers(Path work) {
        Path jobs = work.resolve("jobs");
        if (!Files.isDirectory(jobs)) {
            return;
        }
        try (var dirs = Files.list(jobs)) {
            for (Path d : dirs.toList()) {
                LOG.info(() -> "removing " + d + ", left by a job of an earlier run");
                deleteQuietly(d);
            }
        } catch (IOException e) {
            LOG.warning(() -> "cannot list " + jobs + ": " + e.getMessage());
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
