package dev.multiarch.publish;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.multiarch.base.Json;
import dev.multiarch.registry.Digest;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * cosign's "simple signing" payload (sigstore's {@code payload.Cosign}), the bytes a signature is over:
 * <pre>
 * {"critical":{"identity":{"docker-reference":"REGISTRY/REPO[:TAG]"},
 *              "image":{"docker-manifest-digest":"sha256:…"},
 *              "type":"cosign container image signature"},
 *  "optional":null}
 * </pre>
 * Compact, in this field order, {@code optional} present ({@code null} when empty): containers/image's parser is strict
 * (exactly these keys in {@code critical}, {@code optional} required), so nothing else is written.
 *
 * @param dockerReference the repository, or {@code repository:tag}: podman's default identity rule
 *                        ({@code matchRepoDigestOrExact}) wants the tag that was pulled
 * @param optional        cosign's {@code -a key=value} claims; empty for none
 */
public record SimpleSigning(String dockerReference, Digest digest, Map<String, String> optional) {
    public static final String TYPE = "cosign container image signature";

    public SimpleSigning {
        optional = optional == null ? Map.of() : Map.copyOf(optional);
    }

    /** The exact bytes to sign and to upload as the layer. */
    public byte[] toBytes() {
        ObjectNode root = Json.MAPPER.createObjectNode();
        ObjectNode critical = root.putObject("critical");
        critical.putObject("identity").put("docker-reference", dockerReference);
        critical.putObject("image").put("docker-manifest-digest", digest.toString());
        critical.put("type", TYPE);
        if (optional.isEmpty()) {
            root.putNull("optional");
        } else {
            ObjectNode o = root.putObject("optional");
            new TreeMap<>(optional).forEach(o::put);
        }
        return Json.write(root);
    }

    /**
     * Reads a payload as strictly as containers/image does.
     *
     * @throws IllegalArgumentException saying what is wrong with it
     */
    public static SimpleSigning parse(byte[] bytes) {
        JsonNode root;
        try {
            root = Json.parse(bytes);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the payload is not JSON");
        }
        JsonNode critical = root.path("critical");
        exactly(critical, Set.of("identity", "image", "type"), "critical");
        exactly(critical.path("identity"), Set.of("docker-reference"), "critical.identity");
        exactly(critical.path("image"), Set.of("docker-manifest-digest"), "critical.image");
        if (!TYPE.equals(critical.path("type").asText())) {
            throw new IllegalArgumentException(
                    "critical.type is '" + critical.path("type").asText() + "', not '" + TYPE + "'");
        }
        if (!root.has("optional")) {
            throw new IllegalArgumentException("the payload has no 'optional' field");
        }
        Digest d;
        try {
            d = Digest.parse(critical.at("/image/docker-manifest-digest").asText());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("critical.image.docker-manifest-digest: " + e.getMessage());
        }
        Map<String, String> optional = new TreeMap<>();
        JsonNode o = root.path("optional");
        if (o.isObject()) {
            o.fields()
                    .forEachRemaining(e -> optional.put(e.getKey(), e.getValue().asText()));
        } else if (!o.isNull()) {
            throw new IllegalArgumentException("'optional' is neither null nor an object");
        }
        return new SimpleSigning(critical.at("/identity/docker-reference").asText(), d, optional);
    }

    private static void exactly(JsonNode n, Set<String> keys, String where) {
        if (!n.isObject() || n.size() != keys.size()) {
            throw new IllegalArgumentException(where + " must hold exactly " + new java.util.TreeSet<>(keys));
        }
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!keys.contains(k)) {
                throw new IllegalArgumentException(where + " holds an unknown key '" + k + "'");
            }
        }
    }
}
