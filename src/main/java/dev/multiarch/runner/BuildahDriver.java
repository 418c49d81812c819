package dev.multiarch.runner;

import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.base.Json;
import dev.multiarch.dispatch.Protocol;
import dev.multiarch.registry.CredentialSource;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.registry.RegistryClient;
import dev.multiarch.registry.RegistryException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * buildah, daemonless: {@code bud --isolation chroot --platform P --layers} (foreign RUN steps go through binfmt_misc
 * and qemu-user-static), then {@code push} into a {@code dir:} layout in the format asked for.
 *
 * <p><b>Layer cache.</b> A trusted job builds in its repository's, image's and platform's storage from {@link CacheScopes} (under the
 * runner's work directory, so several runners on one host do not share locks), kept between jobs: with
 * {@code --layers} every step's result stays there, and the next build of that image on that platform reuses the steps
 * whose inputs did not change ("Using cache" in its log). With a registry cache in the assignment, the build also reads
 * it ({@code --cache-from}: a runner that never built the image gets the steps another one pushed) and, for a job that
 * publishes, writes it ({@code --cache-to}, with the job's push credentials).
 *
 * <p>An untrusted job (a fork's pull request) gets a fresh storage root under its job directory instead, removed with
 * it: it cannot read, poison or be served layers other builds left. It may read the registry cache (without
 * credentials: a public cache only) but never writes it. buildah reads registry credentials only from the job's auth
 * file ({@code REGISTRY_AUTH_FILE}, always set: without it containers/image falls back to the host's
 * {@code auth.json} and {@code ~/.docker/config.json}).
 */
final class BuildahDriver implements BuildDriver {
    /** Whether a job may write its registry cache: throws the registry's refusal when it may not. */
    @FunctionalInterface
    interface WriteCheck {
        void check(Protocol.Assignment job, Protocol.LayerCache cache);
    }

    private final CacheScopes scopes;
    private final String storageDriver;
    private final List<String> insecure;
    private final String executable;
    private final WriteCheck writeCheck;

    BuildahDriver(CacheScopes scopes, String storageDriver, List<String> insecureRegistries) {
        this(scopes, storageDriver, insecureRegistries, "buildah", BuildahDriver::checkWritable);
    }

    /** @param executable buildah; tests give a stand-in */
    BuildahDriver(
            CacheScopes scopes,
            String storageDriver,
            List<String> insecureRegistries,
            String executable,
            WriteCheck writeCheck) {
        this.scopes = scopes;
        this.storageDriver = storageDriver;
        this.insecure = insecureRegistries;
        this.executable = executable;
        this.writeCheck = writeCheck;
    }

    private List<String> buildah(Path storage, String... args) {
        List<String> c = new ArrayList<>(List.of(
                executable,
                "--storage-driver",
                storageDriver,
                "--root",
                storage.resolve("root").toString(),
                "--runroot",
                storage.resolve("run").toString()));
        c.addAll(List.of(args));
        return c;
    }

    @Override
    public Built build(Input in, Path out, Consumer<String> log, Instant deadline, Exec.Stop stop, Steps steps)
            throws Exec.StepFailed {
        Protocol.Assignment job = in.job();
        CacheScopes.Lease lease = null;
        Path storage;
        if (job.untrusted()) {
            storage = out.resolve("storage");
            log.accept("untrusted job: a fresh image storage (" + storage.getFileName()
                    + " in the job directory), no shared layers, removed after the job");
        } else {
            try {
                lease = scopes.acquire(tenant(job), job.image(), job.platform());
            } catch (IOException e) {
                throw new Exec.StepFailed("cannot prepare the layer cache: " + e.getMessage());
            }
            storage = lease.storage();
        }
        try {
            return build(in, out, storage, lease != null, lease == null || lease.fresh(), log, deadline, stop, steps);
        } finally {
            if (lease != null) {
                lease.close();
                long t0 = System.nanoTime();
                long size = scopes.measure(lease.name());
                log.accept("layer cache: this image's " + job.platform() + " storage holds " + CacheScopes.mib(size));
                scopes.prune(log);
                steps.add("cleanup", java.time.Duration.ofNanos(System.nanoTime() - t0));
            }
        }
    }

    /**
     * Whose builds a storage holds: the assignment's repository; from a coordinator that predates the field, its clone
     * URL (the base repository's, for pull requests too), which names the repository as well.
     */
    static String tenant(Protocol.Assignment job) {
        return job.repo() != null ? job.repo() : "clone-url " + job.cloneUrl();
    }

    /** buildah's words for a step it did not run again, and for one it pushed to the registry cache. */
    static final String LOCAL_HIT = "--> Using cache ";

    static final String REMOTE_HIT = "--> Cache pulled from remote ";
    static final String PUSHED = "--> Pushing cache ";

    /** The name a scope's most recent build keeps; the one before becomes a nameless, still cached, image. */
    static final String LAST_BUILD = "localhost/multiarch-last-build";

    /**
     * @param persistent the storage is kept between jobs (a trusted job's cache scope)
     * @param fresh      the storage holds no earlier build of this image for this platform
     */
    private Built build(
            Input in,
            Path out,
            Path storage,
            boolean persistent,
            boolean fresh,
            Consumer<String> log,
            Instant deadline,
            Exec.Stop stop,
            Steps steps)
            throws Exec.StepFailed {
        Protocol.Assignment job = in.job();
        Map<String, String> env = Map.of("REGISTRY_AUTH_FILE", in.authFile().toString());
        String name = "multiarch-job-" + job.jobId() + "-" + job.attempt();
        List<String> plain = new ArrayList<>(insecure);
        if (job.push() != null && job.push().insecure()) {
            plain.add(job.push().registry());
        }
        Protocol.LayerCache cache = job.cache();
        if (cache != null && cache.insecure()) {
            plain.add(ImageReference.parse(cache.repository()).registry());
        }
        // Our registry client talks plain HTTP to a loopback registry, as docker does; buildah does not. Without this,
        // a build for a registry on this machine (multiarch build against a local registry) pushed its image but
        // failed at its first cache push ("server gave HTTP response to HTTPS client") and ran a second time without
        // writing the cache.
        for (String r : new String[] {
            job.push() == null ? null : job.push().registry(),
            cache == null ? null : ImageReference.parse(cache.repository()).registry()
        }) {
            if (r != null && isLoopback(r) && !plain.contains(r)) {
                plain.add(r);
            }
        }
        List<String> global = buildah(storage);
        if (!plain.isEmpty()) {
            // A global flag: must come before the subcommand.
            global.add("--registries-conf");
            global.add(registriesConf(out, plain).toString());
        }
        if (cache != null && fresh) {
            steps.time("cache-pull", () -> {
                pullSteps(job, cache, global, env, log, deadline, stop);
                return null;
            });
        }
        List<String> bud = new ArrayList<>(global);
        bud.addAll(List.of("bud", "--isolation", "chroot", "--platform", job.platform(), "--layers"));
        if (persistent) {
            // A kept storage still holds the base images of earlier builds: pull one again when the registry has a
            // newer one, so that a FROM alpine:3 gets its security fixes. buildah 1.28's "true" means that (its
            // default too, but a containers.conf or another buildah may make the default "missing"); not "newer",
            // which 1.28 reads as "missing" like any value other than true, always and never.
            bud.add("--pull=true");
        }
        bud.addAll(List.of("-f", in.dockerfile().toString(), "-t", name));
        for (Map.Entry<String, String> a : job.buildArgs().entrySet()) {
            bud.add("--build-arg");
            bud.add(a.getKey() + "=" + a.getValue());
        }
        // The annotations (the commit, its time, the version…) are written into the exported image (DirLayout.label),
        // not passed as --label: buildah 1.28 would append a LABEL step per label, each committed and pushed to the
        // registry cache, and never found there again, as the values change with every commit.
        List<String> withoutWrite = new ArrayList<>(bud);
        withoutWrite.add(in.context().toString());
        // A fork's build never writes it: whatever it pushed, later releases would be built from.
        boolean write = cache != null && cache.write() && !job.untrusted();
        if (write) {
            // Decided before the build, with the job's credentials, from the registry's own answer: never from the
            // build's output, which the Dockerfile writes too (a RUN echo of buildah's "failed pushing cache to" must
            // not make a failing build run twice, nor turn the cache off).
            try {
                writeCheck.check(job, cache);
            } catch (RegistryException | IllegalArgumentException e) {
                log.accept("layer cache: " + cache.repository() + " cannot be written (" + e.getMessage()
                        + "); this build reads it only");
                write = false;
            }
        }
        if (cache != null) {
            withoutWrite.addAll(withoutWrite.size() - 1, List.of("--cache-from", cache.repository()));
            if (write) {
                bud.addAll(List.of("--cache-from", cache.repository(), "--cache-to", cache.repository()));
            }
        }
        bud.add(in.context().toString());
        try {
            int[] hits = new int[3];
            java.util.Set<String> keys = new java.util.LinkedHashSet<>();
            Consumer<String> counting = line -> {
                if (line.startsWith(LOCAL_HIT)) {
                    hits[0]++;
                } else if (line.startsWith(REMOTE_HIT) && cache != null) {
                    hits[1]++;
                    CacheSteps.collect(line, cache.repository(), keys);
                } else if (line.startsWith(PUSHED) && cache != null) {
                    hits[2]++;
                    CacheSteps.collect(line, cache.repository(), keys);
                }
                log.accept(line);
            };
            boolean[] wrote = {write};
            List<String> command = write ? bud : withoutWrite;
            steps.time("build", () -> {
                try {
                    Exec.run("build", command, env, in.checkout(), counting, deadline, stop);
                } catch (Exec.StepFailed e) {
                    if (!wrote[0] || stop.reason() != null || !e.exited()) {
                        throw e;
                    }
                    // buildah 1.28 pushes each step to the registry cache as it builds and does not retry: one 503
                    // on one of those pushes ended the build (bench/chaos: 36 of 52 builds at 20 % 503s). A cache is
                    // worth less than a release, so a build that failed while writing it runs once more, reading the
                    // cache and its own storage but writing nothing. Decided from what was asked (a write) and how
                    // buildah ended, never from the build's output (a Dockerfile can print anything); a build that
                    // fails for its own reasons fails again, mostly from the steps it just stored.
                    log.accept("layer cache: the build failed while writing " + cache.repository() + " ("
                            + e.getMessage() + "); building once more without writing the cache");
                    wrote[0] = false;
                    java.util.Arrays.fill(hits, 0);
                    keys.clear();
                    Exec.run("build", withoutWrite, env, in.checkout(), counting, deadline, stop);
                } finally {
                    in.built().run();
                }
                return null;
            });
            if (wrote[0] && !keys.isEmpty()) {
                steps.time("cache-push", () -> {
                    writeSteps(job, cache, keys, log);
                    return null;
                });
            }
            log.accept("layer cache: " + hits[0] + " step(s) reused"
                    + (cache == null
                            ? ""
                            : " (" + hits[1] + " of them pulled from " + cache.repository() + "), "
                                    + (wrote[0]
                                            ? hits[2] + " pushed to it"
                                            : "the registry cache is read only for this job")));
            Path layout = out.resolve("image");
            steps.time("export", () -> {
                Exec.run(
                        "export",
                        buildah(
                                storage,
                                "push",
                                "--format",
                                job.format().equals("docker") ? "v2s2" : "oci",
                                name,
                                "dir:" + layout),
                        env,
                        in.checkout(),
                        log,
                        deadline,
                        stop);
                try {
                    DirLayout.label(layout, in.annotations(), !job.format().equals("docker"));
                } catch (IOException e) {
                    throw new Exec.StepFailed("labelling the built image: " + e.getMessage());
                }
                return null;
            });
            int added = steps.time("inspect", () -> addedLayers(storage, env, name, log));
            return new Built(layout, added);
        } finally {
            long t0 = System.nanoTime();
            try {
                if (job.untrusted()) {
                    // Everything, base images included; the directory goes with the job's.
                    Exec.capture(buildah(storage, "rmi", "--all", "--force"), env);
                } else {
                    // The steps it was built from must stay, for the next build: buildah rmi also removes the parents
                    // an image leaves dangling, so the image keeps a name (the scope's last build) and only the job's
                    // name goes (rmi of one of several names just untags).
                    Exec.capture(buildah(storage, "tag", name, LAST_BUILD), env);
                    Exec.capture(buildah(storage, "rmi", name), env);
                }
            } catch (Exec.StepFailed ignored) {
                // leftover image: harmless, the next build's name differs
            }
            steps.add("cleanup", java.time.Duration.ofNanos(System.nanoTime() - t0));
        }
    }

    /**
     * Pulls the images of the steps the platform's last cache-writing build made (its {@link CacheSteps} list) into a
     * storage that has none of them, so that buildah finds them locally: buildah 1.28 does not look {@code ARG} steps,
     * or anything after a step it did not find, up in the registry. A trusted job reads with its push credentials, an
     * untrusted one with none. Best effort: a step that cannot be pulled is built.
     */
    private void pullSteps(
            Protocol.Assignment job,
            Protocol.LayerCache cache,
            List<String> global,
            Map<String, String> env,
            Consumer<String> log,
            Instant deadline,
            Exec.Stop stop) {
        ImageReference repo = ImageReference.parse(cache.repository());
        List<String> keys;
        try (RegistryClient rc = client(job, cache)) {
            keys = CacheSteps.read(rc, repo);
        } catch (RegistryException | IllegalArgumentException e) {
            log.accept("layer cache: no list of steps in " + cache.repository() + " (" + e.getMessage() + ")");
            return;
        }
        int pulled = 0;
        for (String key : keys) {
            List<String> pull = new ArrayList<>(global);
            pull.addAll(List.of("pull", "--quiet", cache.repository() + ":" + key));
            try {
                Exec.run("cache pull", pull, env, null, l -> {}, deadline, stop);
                pulled++;
            } catch (Exec.StepFailed e) {
                log.accept("layer cache: step " + key.substring(0, 12) + " not pulled: " + e.getMessage());
            }
        }
        log.accept("layer cache: this runner's storage for the image has no earlier build; pulled " + pulled + " of "
                + keys.size() + " step(s) of the last build from " + cache.repository());
    }

    /** Records the steps a build wrote to the registry cache, for runners that never built the image. */
    private void writeSteps(
            Protocol.Assignment job, Protocol.LayerCache cache, java.util.Set<String> keys, Consumer<String> log) {
        try (RegistryClient rc = client(job, cache)) {
            CacheSteps.write(rc, ImageReference.parse(cache.repository()), keys);
        } catch (RegistryException | IllegalArgumentException e) {
            log.accept("layer cache: the list of steps was not written: " + e.getMessage());
        }
    }

    /**
     * The registry's word on whether the job may write its cache: a blob upload opened and cancelled with the job's
     * credentials ({@link RegistryClient#checkWritable}).
     */
    static void checkWritable(Protocol.Assignment job, Protocol.LayerCache cache) {
        try (RegistryClient rc = client(job, cache)) {
            rc.checkWritable(ImageReference.parse(cache.repository()));
        }
    }

    private static RegistryClient client(Protocol.Assignment job, Protocol.LayerCache cache) {
        String registry = ImageReference.parse(cache.repository()).registry();
        return RegistryClient.builder()
                .withCredentials(job.untrusted() ? CredentialSource.NONE : JobRunner.credentials(job.push()))
                .withInsecure(cache.insecure() ? List.of(registry) : List.of())
                .create();
    }

    /**
     * localhost, 127.0.0.0/8 or ::1, with or without a port: the registries docker, and our registry client, reach
     * over plain HTTP without being told.
     */
    static boolean isLoopback(String registry) {
        String host = registry;
        if (host.startsWith("[") && host.indexOf(']') > 0) {
            host = host.substring(1, host.indexOf(']'));
        } else if (host.indexOf(':') == host.lastIndexOf(':') && host.contains(":")) {
            host = host.substring(0, host.indexOf(':'));
        }
        host = host.toLowerCase(java.util.Locale.ROOT);
        if (host.equals("localhost")) {
            return true;
        }
        if (host.matches("[0-9.]+") || host.contains(":")) {
            try {
                // A literal address: no name lookup.
                return java.net.InetAddress.getByName(host).isLoopbackAddress();
            } catch (java.net.UnknownHostException e) {
                return false;
            }
        }
        return false;
    }

    /**
     * A containers-registries.conf(5) that lets FROM pull from the given registries over plain HTTP or unverified
     * TLS, and otherwise resolves short names on Docker Hub as docker does.
     */
    private static Path registriesConf(Path dir, List<String> insecure) throws Exec.StepFailed {
        StringBuilder b = new StringBuilder("unqualified-search-registries = [\"docker.io\"]\n");
        for (String r : insecure) {
            b.append("\n[[registry]]\nlocation = \"").append(r).append("\"\ninsecure = true\n");
        }
        Path f = dir.resolve("registries.conf");
        try {
            Files.createDirectories(dir);
            Files.writeString(f, b);
        } catch (IOException e) {
            throw new Exec.StepFailed("cannot write " + f + ": " + e.getMessage());
        }
        return f;
    }

    /** Layers of the image minus layers of its base (buildah records the base in an annotation; none for scratch). */
    private int addedLayers(Path storage, Map<String, String> env, String image, Consumer<String> log)
            throws Exec.StepFailed {
        JsonNode img = parse(Exec.capture(buildah(storage, "inspect", "--type", "image", "--", image), env));
        int total = img.at("/OCIv1/rootfs/diff_ids").size();
        // Written by buildah from the Dockerfile's FROM: a stranger's text, hence the "--" above.
        String base = img.path("ImageAnnotations")
                .path("org.opencontainers.image.base.name")
                .asText("");
        if (base.isEmpty()) {
            return total;
        }
        try {
            int baseLayers = parse(Exec.capture(buildah(storage, "inspect", "--type", "image", "--", base), env))
                    .at("/OCIv1/rootfs/diff_ids")
                    .size();
            log.accept("base image " + base + ": " + baseLayers + " layers; the build added " + (total - baseLayers));
            return Math.max(0, total - baseLayers);
        } catch (Exec.StepFailed e) {
            log.accept("base image " + base + " cannot be inspected; auditing every layer");
            return total;
        }
    }

    private static JsonNode parse(String json) throws Exec.StepFailed {
        try {
            JsonNode n = Json.MAPPER.readTree(json);
            return n.isArray() ? n.get(0) : n;
        } catch (IOException e) {
            throw new Exec.StepFailed("buildah inspect gave no JSON: " + e.getMessage());
        }
    }
}
