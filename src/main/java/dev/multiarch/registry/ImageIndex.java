package dev.multiarch.registry;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.multiarch.base.Json;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Assembles a manifest list (Docker v2.2 "Manifest List") or an OCI image index from entries whose platforms are
 * already known and verified. The rules it enforces are the last line of defence, whatever the caller checked:
 * <ul>
 *   <li>every image entry has a platform, and no two entries share one (compared in normalised form; attestation
 *       manifests, {@code unknown/unknown}, are exempt);</li>
 *   <li>a Docker list holds Docker v2 manifests only and has no annotations (both are OCI-only);</li>
 *   <li>{@link IndexType#AUTO} picks the Docker list when every child is a Docker v2 manifest and nothing needs OCI,
 *       as {@code docker buildx imagetools create} does, else the OCI index.</li>
 * </ul>
 */
public final class ImageIndex {
    private ImageIndex() {}

    /** The type {@code requested} resolves to for these entries and annotations. */
    public static IndexType resolveType(
            IndexType requested, List<Descriptor> entries, Map<String, String> annotations) {
        if (requested != IndexType.AUTO) {
            return requested;
        }
        boolean allDocker = entries.stream()
                .allMatch(e -> MediaType.same(e.mediaType(), MediaType.DOCKER_MANIFEST)
                        && e.annotations().isEmpty());
        return allDocker && (annotations == null || annotations.isEmpty()) ? IndexType.DOCKER : IndexType.OCI;
    }

    /**
     * @throws IllegalArgumentException with a message naming the entry at fault
     */
    public static Manifest assemble(IndexType requested, List<Descriptor> entries, Map<String, String> annotations) {
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("an index needs at least one entry");
        }
        IndexType type = resolveType(requested, entries, annotations);
        Map<String, Descriptor> byPlatform = new HashMap<>();
        for (Descriptor e : entries) {
            if (e.isAttestation() || (e.platform() != null && e.platform().isUnknown())) {
                if (type == IndexType.DOCKER) {
                    throw new IllegalArgumentException("a Docker manifest list cannot carry the attestation manifest "
                            + e.digest() + "; use --type oci or auto");
                }
                continue;
            }
            if (e.platform() == null) {
                throw new IllegalArgumentException("entry " + e.digest() + " has no platform");
            }
            Descriptor other = byPlatform.putIfAbsent(e.platform().key(), e);
            if (other != null) {
                throw new IllegalArgumentException("two entries for platform "
                        + e.platform().normalize().shortForm()
                        + ": " + other.digest() + " (" + other.platform().shortForm() + ") and " + e.digest()
                        + " (" + e.platform().shortForm() + "); an index holds one image per platform");
            }
            if (type == IndexType.DOCKER && !MediaType.same(e.mediaType(), MediaType.DOCKER_MANIFEST)) {
                throw new IllegalArgumentException("a Docker manifest list holds Docker v2 manifests only, but "
                        + e.digest() + " (" + e.platform().shortForm() + ") is " + e.mediaType()
                        + "; use --type oci or auto");
            }
        }
        if (type == IndexType.DOCKER && annotations != null && !annotations.isEmpty()) {
            throw new IllegalArgumentException("index annotations are OCI-only; use --type oci or auto");
        }
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("schemaVersion", 2);
        root.put("mediaType", type == IndexType.DOCKER ? MediaType.DOCKER_LIST : MediaType.OCI_INDEX);
        ArrayNode list = root.putArray("manifests");
        for (Descriptor e : entries) {
            list.add(e.toJson());
        }
        if (annotations != null && !annotations.isEmpty()) {
            ObjectNode a = root.putObject("annotations");
            annotations.forEach(a::put);
        }
        byte[] bytes = Json.write(root);
        return Manifest.of(bytes, root.get("mediaType").asText());
    }
}
