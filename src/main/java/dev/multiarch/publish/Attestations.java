package dev.multiarch.publish;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.multiarch.base.Json;
import dev.multiarch.platform.Platform;
import dev.multiarch.registry.Descriptor;
import dev.multiarch.registry.Digest;
import dev.multiarch.registry.ImageManifest;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.registry.Manifest;
import dev.multiarch.registry.MediaType;
import dev.multiarch.registry.RegistryClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/**
 * Stores in-toto statements the way buildkit does (moby/buildkit docs/attestations/attestation-storage.md), so that
 * {@code docker buildx imagetools inspect --format '{{json .Provenance}}'} and other readers find them: an image
 * manifest whose layer is the statement ({@code application/vnd.in-toto+json}, annotated with
 * {@code in-toto.io/predicate-type}), listed in the index after the images with platform {@code unknown/unknown} and
 * the annotations {@code vnd.docker.reference.type: attestation-manifest} and {@code vnd.docker.reference.digest}
 * (the image it describes).
 *
 * <p>The manifest is the "legacy" form with a real image config ({@code unknown/unknown}, the layer as its diff id),
 * which every buildx and registry reads, rather than buildkit v0.32's OCI-artifact form ({@code artifactType},
 * empty config, {@code subject}), which needs registries that accept OCI 1.1 artifacts.
 */
public final class Attestations {
    public static final String PREDICATE_TYPE_ANNOTATION = "in-toto.io/predicate-type";
    static final Platform UNKNOWN = new Platform("unknown", "unknown", "", "", List.of(), List.of());

    private final RegistryClient client;
    private final Executor executor;

    public Attestations(RegistryClient client) {
        this(client, Runnable::run);
    }

    /** @param executor pushes the attestations of several images at once */
    public Attestations(RegistryClient client, Executor executor) {
        this.client = client;
        this.executor = executor;
    }

    /**
     * Pushes one attestation manifest per image, all at once on the executor.
     *
     * @param statements image digest → its in-toto statement's exact bytes
     * @return the index entries, in the map's order
     */
    public List<Descriptor> push(ImageReference repo, Map<Digest, byte[]> statements, String predicateType) {
        List<CompletableFuture<Descriptor>> futures = statements.entrySet().stream()
                .map(e -> CompletableFuture.supplyAsync(
                        () -> push(repo, e.getKey(), e.getValue(), predicateType), executor))
                .toList();
        List<Descriptor> out = new ArrayList<>();
        for (CompletableFuture<Descriptor> f : futures) {
            try {
                out.add(f.join());
            } catch (CompletionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : e;
            }
        }
        return out;
    }

    /**
     * Pushes the attestation manifest for {@code image} by digest and returns its index entry.
     *
     * @param statement an in-toto statement's exact bytes
     */
    public Descriptor push(ImageReference repo, Digest image, byte[] statement, String predicateType) {
        Descriptor blob = client.pushBlob(repo, MediaType.IN_TOTO, statement);
        Descriptor layer = new Descriptor(
                MediaType.IN_TOTO, blob.digest(), blob.size(), null, Map.of(PREDICATE_TYPE_ANNOTATION, predicateType));
        ObjectNode c = Json.MAPPER.createObjectNode();
        c.put("architecture", "unknown");
        c.put("os", "unknown");
        c.putObject("config");
        ObjectNode rootfs = c.putObject("rootfs");
        rootfs.put("type", "layers");
        rootfs.putArray("diff_ids").add(blob.digest().toString());
        Descriptor config = client.pushBlob(repo, MediaType.OCI_CONFIG, Json.write(c));
        Manifest m = ImageManifest.assemble(config, List.of(layer), Map.of());
        client.putManifest(repo.withDigest(m.digest()), m, "the attestation of " + image);
        return new Descriptor(
                MediaType.OCI_MANIFEST,
                m.digest(),
                m.size(),
                UNKNOWN,
                Map.of(
                        Descriptor.REFERENCE_TYPE,
                        "attestation-manifest",
                        Descriptor.REFERENCE_DIGEST,
                        image.toString()));
    }
}
