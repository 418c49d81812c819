package dev.multiarch.runner;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.multiarch.base.Json;
import dev.multiarch.platform.Platform;
import dev.multiarch.publish.LayerAudit;
import dev.multiarch.registry.Descriptor;
import dev.multiarch.registry.Digest;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.registry.Manifest;
import dev.multiarch.registry.RegistryClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** A built image in a {@code dir:} layout: label it, read it, audit its added layers, push it by digest. */
final class DirLayout {
    private final Path dir;
    private final Manifest manifest;

    DirLayout(Path dir) throws IOException {
        this.dir = dir;
        byte[] bytes = Files.readAllBytes(dir.resolve("manifest.json"));
        this.manifest = Manifest.of(bytes, null);
        if (!manifest.isImage()) {
            throw new IOException("the build produced a " + manifest.mediaType() + ", not an image manifest");
        }
    }

    /**
     * Writes {@code labels} into the image's config ({@code config.Labels}, over the Dockerfile's own labels of the same
     * names) and, when {@code annotate}, into an OCI manifest's {@code annotations}: what {@code buildah bud --label}
     * and {@code --annotation} give, without their cost. buildah 1.28 turns each {@code --label} into a LABEL step
     * appended to the Dockerfile: committed (with vfs, the container's file system copied for the next step), pushed
     * to the registry cache, and never found in it again, since the labels name the commit. The manifest and the new
     * config replace the old ones in the layout; the layers are untouched.
     */
    static void label(Path dir, Map<String, String> labels, boolean annotate) throws IOException {
        if (labels.isEmpty()) {
            return;
        }
        Path manifestFile = dir.resolve("manifest.json");
        ObjectNode manifest = object(Files.readAllBytes(manifestFile), "manifest.json");
        Digest old = Digest.parse(manifest.path("config").path("digest").asText());
        ObjectNode config = object(Files.readAllBytes(dir.resolve(old.hex())), "the config " + old);
        JsonNode inner = config.get("config");
        ObjectNode c = inner instanceof ObjectNode o ? o : config.putObject("config");
        JsonNode have = c.get("Labels");
        ObjectNode l = have instanceof ObjectNode o ? o : c.putObject("Labels");
        labels.forEach(l::put);
        byte[] bytes = Json.write(config);
        Digest d = Digest.sha256(bytes);
        Files.write(dir.resolve(d.hex()), bytes);
        ((ObjectNode) manifest.get("config")).put("digest", d.toString()).put("size", bytes.length);
        if (annotate) {
            JsonNode a = manifest.get("annotations");
            ObjectNode an = a instanceof ObjectNode o ? o : manifest.putObject("annotations");
            labels.forEach(an::put);
        }
        Files.write(manifestFile, Json.write(manifest));
        if (!d.equals(old)) {
            Files.deleteIfExists(dir.resolve(old.hex()));
        }
    }

    private static ObjectNode object(byte[] bytes, String what) throws IOException {
        try {
            if (Json.parse(bytes) instanceof ObjectNode o) {
                return o;
            }
        } catch (RuntimeException e) {
            throw new IOException(what + " is not JSON: " + e.getMessage(), e);
        }
        throw new IOException(what + " is not a JSON object");
    }

    Manifest manifest() {
        return manifest;
    }

    private Path blob(Digest d) {
        return dir.resolve(d.hex());
    }

    /** The ELF programs in the top {@code added} layers must be for {@code platform}; returns the count checked. */
    int audit(Platform platform, int added, Consumer<String> log) throws Exec.StepFailed {
        List<Descriptor> layers = manifest.layers();
        int n = Math.min(added, layers.size());
        int elf = 0;
        List<String> bad = new ArrayList<>();
        for (Descriptor l : layers.subList(layers.size() - n, layers.size())) {
            try (InputStream in = Files.newInputStream(blob(l.digest()))) {
                LayerAudit.Result r = LayerAudit.audit(in, platform);
                elf += r.elfFiles();
                r.mismatches().forEach(m -> bad.add(m.describe()));
            } catch (IOException e) {
                throw new Exec.StepFailed("cannot audit layer " + l.digest() + ": " + e.getMessage());
            }
        }
        if (!bad.isEmpty()) {
            throw new Exec.StepFailed("the image is for " + platform.shortForm() + " but the build added programs for "
                    + "another architecture: " + String.join("; ", bad.subList(0, Math.min(5, bad.size()))));
        }
        log.accept("audit: " + elf + " ELF files in " + n + " added layer(s) are for " + platform.shortForm());
        return elf;
    }

    /** Pushes blobs then the manifest by digest: no tag is created. */
    Digest push(RegistryClient client, ImageReference repo, Consumer<String> log) {
        List<Descriptor> blobs = new ArrayList<>();
        blobs.add(manifest.config());
        blobs.addAll(manifest.layers());
        for (Descriptor b : blobs) {
            client.pushBlob(repo, b.digest(), blob(b.digest()));
        }
        Digest d = client.putManifest(repo.withDigest(manifest.digest()), manifest, "the image");
        log.accept("pushed " + repo.registry() + "/" + repo.repository() + "@" + d + " (" + blobs.size() + " blobs)");
        return d;
    }
}
