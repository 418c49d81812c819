package dev.multiarch.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.multiarch.base.Json;
import dev.multiarch.platform.Platform;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A content descriptor (OCI image-spec "Descriptors"): what an index entry or a manifest's config/layer is.
 *
 * @param platform    null when the entry carries none (layers, configs, some index entries)
 * @param annotations never null
 */
public record Descriptor(
        String mediaType, Digest digest, long size, Platform platform, Map<String, String> annotations) {
    /** buildx marks an attestation manifest with this annotation and points it at its image with the next one. */
    public static final String REFERENCE_TYPE = "vnd.docker.reference.type";

    public static final String REFERENCE_DIGEST = "vnd.docker.reference.digest";

    public Descriptor {
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    }

    public Descriptor withPlatform(Platform p) {
        return new Descriptor(mediaType, digest, size, p, annotations);
    }

    /** An attestation manifest (buildx's provenance/SBOM), carried next to the image it describes. */
    public boolean isAttestation() {
        return "attestation-manifest".equals(annotations.get(REFERENCE_TYPE));
    }

    /** For an attestation: the digest of the image it describes. */
    public String attests() {
        return annotations.get(REFERENCE_DIGEST);
    }

    static Descriptor fromJson(JsonNode n) {
        Map<String, String> ann = new LinkedHashMap<>();
        JsonNode a = n.path("annotations");
        for (Iterator<Map.Entry<String, JsonNode>> it = a.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            ann.put(e.getKey(), e.getValue().asText());
        }
        JsonNode p = n.get("platform");
        return new Descriptor(
                n.path("mediaType").asText(""),
                Digest.parse(n.path("digest").asText(null)),
                n.path("size").asLong(-1),
                p == null || p.isNull() ? null : platformFromJson(p),
                ann);
    }

    /** Reads the platform fields of an index entry or an image config (same names in both). */
    public static Platform platformFromJson(JsonNode p) {
        return new Platform(
                p.path("os").asText(""),
                p.path("architecture").asText(""),
                p.path("variant").asText(""),
                p.path("os.version").asText(""),
                strings(p.path("os.features")),
                strings(p.path("features")));
    }

    ObjectNode toJson() {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("mediaType", mediaType);
        n.put("digest", digest.toString());
        n.put("size", size);
        if (platform != null) {
            n.set("platform", platformToJson(platform));
        }
        if (!annotations.isEmpty()) {
            // Sorted: the map's own order changes from one JVM to the next, and a resumed publish must PUT the same
            // bytes as the first attempt.
            ObjectNode a = n.putObject("annotations");
            new java.util.TreeMap<>(annotations).forEach(a::put);
        }
        return n;
    }

    static ObjectNode platformToJson(Platform p) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("architecture", p.architecture());
        n.put("os", p.os());
        if (!p.osVersion().isEmpty()) {
            n.put("os.version", p.osVersion());
        }
        if (!p.osFeatures().isEmpty()) {
            ArrayNode f = n.putArray("os.features");
            p.osFeatures().forEach(f::add);
        }
        if (!p.variant().isEmpty()) {
            n.put("variant", p.variant());
        }
        if (!p.features().isEmpty()) {
            ArrayNode f = n.putArray("features");
            p.features().forEach(f::add);
        }
        return n;
    }

    private static List<String> strings(JsonNode arr) {
        List<String> out = new ArrayList<>();
        arr.forEach(x -> out.add(x.asText()));
        return out;
    }
}
