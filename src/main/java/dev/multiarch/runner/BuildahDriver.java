package dev.multiarch.runner;

import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.base.Json;
import dev.multiarch.dispatch.Protocol;
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
 */
final class BuildahDriver implements BuildDriver {
    private final List<String> buildah;
    private final List<String> insecure;

    BuildahDriver(Path storage, String storageDriver, List<String> insecureRegistries) {
        this.buildah = List.of(
                "buildah",
                "--storage-driver",
                storageDriver,
                "--root",
                storage.resolve("root").toString(),
                "--runroot",
                storage.resolve("run").toString());
        this.insecure = insecureRegistries;
    }

    private List<String> cmd(String... args) {
        List<String> c = new ArrayList<>(buildah);
        c.addAll(List.of(args));
        return c;
    }

    @Override
    public Built build(
            Protocol.Assignment job, Path source, Path out, Consumer<String> log, Instant deadline, Exec.Stop stop)
            throws Exec.StepFailed {
        String name = "multiarch-job-" + job.jobId() + "-" + job.attempt();
        List<String> plain = new java.util.ArrayList<>(insecure);
        if (job.push() != null && job.push().insecure()) {
            plain.add(job.push().registry());
        }
        List<String> bud = new java.util.ArrayList<>(buildah);
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
                source.resolve(job.dockerfile()).toString(),
                "-t",
                name));
        for (Map.Entry<String, String> a : job.buildArgs().entrySet()) {
            bud.add("--build-arg");
            bud.add(a.getKey() + "=" + a.getValue());
        }
        bud.add(source.resolve(job.context()).toString());
        Exec.run("build", bud, source, log, deadline, stop);
        try {
            Path layout = out.resolve("image");
            Exec.run(
                    "export",
                    cmd("push", "--format", job.format().equals("docker") ? "v2s2" : "oci", name, "dir:" + layout),
                    source,
                    log,
                    deadline,
                    stop);
            return new Built(layout, addedLayers(name, log));
        } finally {
            try {
                Exec.capture(cmd("rmi", "-f", name));
            } catch (Exec.StepFailed ignored) {
                // leftover image: harmless, the next build's name differs
            }
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
            java.nio.file.Files.createDirectories(dir);
            java.nio.file.Files.writeString(f, b);
        } catch (java.io.IOException e) {
            throw new Exec.StepFailed("cannot write " + f + ": " + e.getMessage());
        }
        return f;
    }

    /** Layers of the image minus layers of its base (buildah records the base in an annotation; none for scratch). */
    private int addedLayers(String image, Consumer<String> log) throws Exec.StepFailed {
        JsonNode img = parse(Exec.capture(cmd("inspect", "--type", "image", image)));
        int total = img.at("/OCIv1/rootfs/diff_ids").size();
        String base = img.path("ImageAnnotations")
                .path("org.opencontainers.image.base.name")
                .asText("");
        if (base.isEmpty()) {
            return total;
        }
        try {
            int baseLayers = parse(Exec.capture(cmd("inspect", "--type", "image", base)))
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
        } catch (java.io.IOException e) {
            throw new Exec.StepFailed("buildah inspect gave no JSON: " + e.getMessage());
        }
    }
}
