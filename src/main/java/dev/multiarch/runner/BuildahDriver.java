package dev.multiarch.runner;

import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.base.Json;
import dev.multiarch.dispatch.Protocol;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * buildah, daemonless: {@code bud --isolation chroot --platform P} (foreign RUN steps go through binfmt_misc and
 * qemu-user-static), then {@code push} into a {@code dir:} layout in the format asked for. Storage is the runner's
 * own ({@code --root} under its work directory), so several runners on one host do not share locks.
 *
 * <p>An untrusted job (a fork's pull request) gets a fresh storage root under its job directory instead, removed with
 * it: it cannot read, poison or be served layers other builds left in the shared storage. buildah reads registry
 * credentials only from the job's auth file ({@code REGISTRY_AUTH_FILE}, always set: without it containers/image
 * falls back to the host's {@code auth.json} and {@code ~/.docker/config.json}).
 */
final class BuildahDriver implements BuildDriver {
    private final Path sharedStorage;
    private final String storageDriver;
    private final List<String> insecure;

    BuildahDriver(Path storage, String storageDriver, List<String> insecureRegistries) {
        this.sharedStorage = storage;
        this.storageDriver = storageDriver;
        this.insecure = insecureRegistries;
    }

    /** Where a job's images live: the shared storage, or its own under {@code out} when untrusted. */
    static Path storageFor(Protocol.Assignment job, Path shared, Path out) {
        return job.untrusted() ? out.resolve("storage") : shared;
    }

    private List<String> buildah(Path storage, String... args) {
        List<String> c = new ArrayList<>(List.of(
                "buildah",
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
        Path storage = storageFor(job, sharedStorage, out);
        if (job.untrusted()) {
            log.accept("untrusted job: a fresh image storage (" + storage.getFileName()
                    + " in the job directory), no shared layers, removed after the job");
        }
        Map<String, String> env = Map.of("REGISTRY_AUTH_FILE", in.authFile().toString());
        String name = "multiarch-job-" + job.jobId() + "-" + job.attempt();
        List<String> plain = new ArrayList<>(insecure);
        if (job.push() != null && job.push().insecure()) {
            plain.add(job.push().registry());
        }
        List<String> bud = buildah(storage);
        if (!plain.isEmpty()) {
            // A global flag: must come before the subcommand.
            bud.add("--registries-conf");
            bud.add(registriesConf(out, plain).toString());
        }
        bud.addAll(List.of(
                "bud",
                "--isolation",
                "chroot",
                "--platform",
                job.platform(),
                "-f",
                in.dockerfile().toString(),
                "-t",
                name));
        for (Map.Entry<String, String> a : job.buildArgs().entrySet()) {
            bud.add("--build-arg");
            bud.add(a.getKey() + "=" + a.getValue());
        }
        for (Map.Entry<String, String> a : in.annotations().entrySet()) {
            bud.add("--label");
            bud.add(a.getKey() + "=" + a.getValue());
            if (!job.format().equals("docker")) {
                bud.add("--annotation");
                bud.add(a.getKey() + "=" + a.getValue());
            }
        }
        bud.add(in.context().toString());
        try {
            steps.time("build", () -> {
                Exec.run("build", bud, env, in.checkout(), log, deadline, stop);
                return null;
            });
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
                    Exec.capture(buildah(storage, "rmi", "-f", name), env);
                }
            } catch (Exec.StepFailed ignored) {
                // leftover image: harmless, the next build's name differs
            }
            steps.add("cleanup", java.time.Duration.ofNanos(System.nanoTime() - t0));
        }
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
