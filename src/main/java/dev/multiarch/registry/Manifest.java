package dev.multiarch.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.base.Json;
import java.util.ArrayList;
import java.util.List;

/**
 * A manifest as the registry holds it: the exact bytes, the media type they were served or are to be sent with, the
 * digest of those bytes, and a parsed view. The digest is always computed from {@link #bytes()}, never re-serialised.
 */
public final class Manifest {
    private final byte[] bytes;
    private final String mediaType;
    private final Digest digest;
    private final JsonNode json;

    private Manifest(byte[] bytes, String mediaType, JsonNode json) {
        this.bytes = bytes;
        this.json = json;
        String declared = json.path("mediaType").asText("");
        this.mediaType = !MediaType.normalize(mediaType).isEmpty()
                        && !MediaType.normalize(mediaType).equals("application/json")
                ? MediaType.normalize(mediaType)
                : MediaType.normalize(declared);
        this.digest = Digest.sha256(bytes);
    }

    /**
     * Wraps bytes received or about to be sent.
     *
     * @param mediaType the Content-Type (parameters allowed); when absent or generic, the {@code mediaType} field
     * @throws IllegalArgumentException when the bytes are not a JSON object
     */
    public static Manifest of(byte[] bytes, String mediaType) {
        JsonNode json;
        try {
            json = Json.parse(bytes);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("manifest is " + e.getMessage(), e);
        }
        if (!json.isObject()) {
            throw new IllegalArgumentException("manifest is not a JSON object");
        }
        return new Manifest(bytes.clone(), mediaType, json);
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    /** The number of bytes, which is the descriptor size. */
    public long size() {
        return bytes.length;
    }

    public String mediaType() {
        return mediaType;
    }

    public Digest digest() {
        return digest;
    }

    public JsonNode json() {
        return json;
    }

    public boolean isIndex() {
        return MediaType.isIndex(mediaType);
    }

    public boolean isImage() {
        return MediaType.isImageManifest(mediaType);
    }

    /** An index's entries, in order. Empty for an image manifest. */
    public List<Descriptor> entries() {
        List<Descriptor> out = new ArrayList<>();
        json.path("manifests").forEach(n -> out.add(Descriptor.fromJson(n)));
        return out;
    }

    /** An image manifest's config descriptor. */
    public Descriptor config() {
        JsonNode c = json.get("config");
        if (c == null) {
            throw new IllegalStateException("manifest " + digest + " (" + mediaType + ") has no config");
        }
        return Descriptor.fromJson(c);
    }

    /** An image manifest's layers, base first. */
    public List<Descriptor> layers() {
        List<Descriptor> out = new ArrayList<>();
        json.path("layers").forEach(n -> out.add(Descriptor.fromJson(n)));
        return out;
    }

    /** A descriptor pointing at this manifest. */
    public Descriptor descriptor() {
        return new Descriptor(mediaType, digest, bytes.length, null, null);
    }
}
