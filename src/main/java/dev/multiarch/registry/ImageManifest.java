package dev.multiarch.registry;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.multiarch.base.Json;
import java.util.List;
import java.util.Map;

/**
 * Assembles the small OCI image manifests multiarch writes itself (image-spec "Image Manifest"): a cosign signature
 * manifest, a buildx-style attestation manifest. Blobs are pushed first; the manifest only describes them.
 */
public final class ImageManifest {
    private ImageManifest() {}

    /**
     * An OCI image manifest ({@code application/vnd.oci.image.manifest.v1+json}).
     *
     * @param annotations may be empty (then the key is left out, as the spec allows)
     */
    public static Manifest assemble(Descriptor config, List<Descriptor> layers, Map<String, String> annotations) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("schemaVersion", 2);
        root.put("mediaType", MediaType.OCI_MANIFEST);
        root.set("config", config.toJson());
        ArrayNode l = root.putArray("layers");
        for (Descriptor d : layers) {
            l.add(d.toJson());
        }
        if (annotations != null && !annotations.isEmpty()) {
            ObjectNode a = root.putObject("annotations");
            annotations.forEach(a::put);
        }
        return Manifest.of(Json.write(root), MediaType.OCI_MANIFEST);
    }

    /** An image manifest's own annotations (not its descriptors'); empty when it has none. */
    public static Map<String, String> annotations(Manifest m) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        m.json().path("annotations").fields().forEachRemaining(e -> {
            if (e.getValue().isTextual()) {
                out.put(e.getKey(), e.getValue().asText());
            }
        });
        return out;
    }
}
