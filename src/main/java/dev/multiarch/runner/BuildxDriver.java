package dev.multiarch.runner;

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
 * docker buildx, for hosts that have a Docker engine: {@code buildx build --platform P --output type=oci,dest=…
 * ,tar=false} writes an OCI layout, which is converted to the runner's {@code dir:} layout (same blobs, renamed).
 * Every layer is audited (buildx records no base image here). Not exercised by the tests on this project's machines,
 * which have no Docker engine.
 *
 * <p>Weaker than buildah for untrusted jobs: the Docker engine's build cache is shared, and docker pulls with the
 * credentials of the engine and of the runner user's {@code ~/.docker/config.json}, not the job's auth file. Use
 * buildah on runners with {@code untrusted-jobs: true}; this driver refuses untrusted jobs.
 */
final class BuildxDriver implements BuildDriver {
    @Override
    public Built build(Input in, Path out, Consumer<String> log, Instant deadline, Exec.Stop stop, Steps steps)
            throws Exec.StepFailed {
        Protocol.Assignment job = in.job();
        if (job.untrusted()) {
            throw new Exec.StepFailed("the buildx driver shares the Docker engine's cache and credentials: it does not "
                    + "run untrusted jobs; use driver: buildah on runners with untrusted-jobs: true");
        }
        Path oci = out.resolve("oci");
        List<String> cmd = new ArrayList<>(List.of(
                "docker",
                "buildx",
                "build",
                "--platform",
                job.platform(),
                "-f",
                in.dockerfile().toString(),
                "--provenance=false",
                "--output",
                "type=oci,oci-mediatypes=" + !job.format().equals("docker") + ",dest=" + oci + ",tar=false"));
        for (Map.Entry<String, String> a : job.buildArgs().entrySet()) {
            cmd.add("--build-arg");
            cmd.add(a.getKey() + "=" + a.getValue());
        }
        for (Map.Entry<String, String> a : in.annotations().entrySet()) {
            cmd.add("--label");
            cmd.add(a.getKey() + "=" + a.getValue());
            if (!job.format().equals("docker")) {
                cmd.add("--annotation");
                cmd.add("manifest:" + a.getKey() + "=" + a.getValue());
            }
        }
        cmd.add(in.context().toString());
        steps.time("build", () -> {
            try {
                Exec.run("build", cmd, Map.of(), in.checkout(), log, deadline, stop);
            } finally {
                in.built().run();
            }
            return null;
        });
        return steps.time("export", () -> layout(oci, out));
    }

    /** buildx's OCI layout as the runner's {@code dir:} layout: the same blobs, named by their hex digest. */
    private static Built layout(Path oci, Path out) throws Exec.StepFailed {
        try {
            Path layout = out.resolve("image");
            Files.createDirectories(layout);
            var index = Json.MAPPER.readTree(oci.resolve("index.json").toFile());
            String manifestDigest = index.at("/manifests/0/digest").asText();
            Path blobs = oci.resolve("blobs").resolve("sha256");
            Files.copy(blobs.resolve(manifestDigest.substring(7)), layout.resolve("manifest.json"));
            var manifest = Json.MAPPER.readTree(layout.resolve("manifest.json").toFile());
            List<String> digests = new ArrayList<>();
            digests.add(manifest.at("/config/digest").asText());
            manifest.path("layers").forEach(l -> digests.add(l.path("digest").asText()));
            for (String d : digests) {
                Files.copy(blobs.resolve(d.substring(7)), layout.resolve(d.substring(7)));
            }
            return new Built(layout, manifest.path("layers").size());
        } catch (IOException e) {
            throw new Exec.StepFailed("cannot read buildx's OCI output: " + e.getMessage());
        }
    }
}
