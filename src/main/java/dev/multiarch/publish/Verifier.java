package dev.multiarch.publish;

import dev.multiarch.platform.Platform;
import dev.multiarch.registry.Descriptor;
import dev.multiarch.registry.ImageManifest;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.registry.Manifest;
import dev.multiarch.registry.MediaType;
import dev.multiarch.registry.RegistryClient;
import dev.multiarch.registry.RegistryException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Checks that an image a runner reported really is the platform it was built for, from the registry alone:
 * <ol>
 *   <li>the manifest exists in the image's repository and is an image manifest;</li>
 *   <li>its config's os/architecture/variant match the platform asked for (normalised, so arm64/v8 = arm64);</li>
 *   <li>the ELF programs in the layers the build added (the top {@code addedLayers}; the base image's layers are not
 *       downloaded) are for that architecture.</li>
 * </ol>
 */
public final class Verifier {
    private final RegistryClient client;

    public Verifier(RegistryClient client) {
        this.client = client;
    }

    /**
     * A verified image: its descriptor with the platform as its config states it, how many ELF files were read, and
     * the manifest's own annotations (what the runner's build wrote: {@code org.opencontainers.image.created}…).
     */
    public record Verified(Descriptor descriptor, int elfFiles, Map<String, String> annotations) {
        public Verified {
            annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
        }
    }

    /**
     * The entries of an index that are platform images: attestation manifests ({@code unknown/unknown}, buildx's
     * {@code attestation-manifest}) describe an image and have no platform of their own, so they are neither verified
     * as a platform nor signed.
     */
    public static List<Descriptor> imageEntries(List<Descriptor> entries) {
        return entries.stream()
                .filter(d -> !d.isAttestation()
                        && (d.platform() == null || !d.platform().isUnknown()))
                .toList();
    }

    /** Why a platform failed, in one line. */
    public static final class Failed extends Exception {
        private static final long serialVersionUID = 1L;

        public Failed(String message) {
            super(message);
        }
    }

    public Verified verify(ImageReference repo, dev.multiarch.registry.Digest digest, Platform asked, int addedLayers)
            throws Failed {
        ImageReference at = repo.withDigest(digest);
        Manifest m;
        try {
            m = client.getManifest(at);
        } catch (RegistryException e) {
            throw new Failed(
                    asked.shortForm() + ": the reported image " + digest + " cannot be read: " + e.getMessage());
        }
        if (!m.isImage()) {
            throw new Failed(asked.shortForm() + ": the reported image " + digest + " is a " + m.mediaType()
                    + ", not an image manifest");
        }
        if (m.layers().stream().anyMatch(l -> MediaType.same(l.mediaType(), MediaType.IN_TOTO))) {
            throw new Failed(asked.shortForm() + ": the reported image " + digest
                    + " is an attestation manifest (in-toto layers), not a platform image");
        }
        Platform config = client.configPlatform(at, m);
        Platform c = config.normalize();
        Platform a = asked.normalize();
        boolean variantOk = config.variant().isEmpty() || c.variant().equals(a.variant());
        if (!c.os().equals(a.os()) || !c.architecture().equals(a.architecture()) || !variantOk) {
            throw new Failed(asked.shortForm() + ": the image reported for it (" + digest + ") is " + config.shortForm()
                    + " by its config; refusing to publish it as " + asked.shortForm());
        }
        List<Descriptor> layers = m.layers();
        int n = Math.max(0, Math.min(addedLayers, layers.size()));
        int elf = 0;
        List<String> bad = new ArrayList<>();
        for (Descriptor layer : layers.subList(layers.size() - n, layers.size())) {
            LayerAudit.Result r;
            try {
                r = client.readBlob(repo, layer.digest(), in -> LayerAudit.audit(in, asked));
            } catch (RegistryException e) {
                throw new Failed(asked.shortForm() + ": cannot read layer " + layer.digest() + ": " + e.getMessage());
            }
            elf += r.elfFiles();
            r.mismatches().forEach(x -> bad.add(x.describe()));
        }
        if (!bad.isEmpty()) {
            throw new Failed(asked.shortForm() + ": the image's config says " + config.shortForm()
                    + " but the build added programs for another architecture: "
                    + String.join("; ", bad.subList(0, Math.min(5, bad.size())))
                    + (bad.size() > 5 ? " (and " + (bad.size() - 5) + " more)" : ""));
        }
        Platform written = config.variant().isEmpty() && !asked.variant().isEmpty()
                ? new Platform(
                        config.os(),
                        config.architecture(),
                        asked.variant(),
                        config.osVersion(),
                        config.osFeatures(),
                        config.features())
                : config;
        return new Verified(m.descriptor().withPlatform(written), elf, ImageManifest.annotations(m));
    }
}
