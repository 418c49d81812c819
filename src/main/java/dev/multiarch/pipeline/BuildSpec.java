package dev.multiarch.pipeline;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.multiarch.base.Json;
import dev.multiarch.config.Attestation;
import dev.multiarch.config.ImageBuild;
import dev.multiarch.config.TagRule;
import java.util.List;
import java.util.Map;

/**
 * What a build needs from {@code .multiarch.yaml} after planning, stored with the build as JSON so that a restarted
 * coordinator does not read the file again. Builds stored before a field existed read it as empty or false.
 *
 * @param annotations the repository's {@code annotations:} (those from git are added when the build runs)
 * @param provenance  {@code attestations: [provenance]}
 * @param mirrors     further repositories the index is copied to after the build's own {@code image} (first in
 *                    {@code image: [...]}), in the order written; empty for one registry
 * @param cache       the registry layer cache's base repository ({@code cache:}; each platform has its own under it,
 *                    {@link dev.multiarch.config.LayerCache}); null when off, and for builds stored before it existed
 */
public record BuildSpec(
        String dockerfile,
        String context,
        Map<String, String> buildArgs,
        String format,
        boolean perArchTags,
        Map<String, String> annotations,
        boolean provenance,
        List<String> mirrors,
        String cache) {

    public BuildSpec {
        buildArgs = buildArgs == null ? Map.of() : buildArgs;
        annotations = annotations == null ? Map.of() : annotations;
        mirrors = mirrors == null ? List.of() : List.copyOf(mirrors);
    }

    /** Every repository the build publishes to: its image first, then the mirrors. */
    public List<String> targets(String image) {
        List<String> all = new java.util.ArrayList<>();
        all.add(image);
        all.addAll(mirrors);
        return List.copyOf(all);
    }

    static BuildSpec of(ImageBuild b) {
        return new BuildSpec(
                b.dockerfile(),
                b.context(),
                b.buildArgs(),
                b.format().name().toLowerCase(),
                b.perArchTags(),
                b.annotations(),
                b.attestations().contains(Attestation.PROVENANCE),
                b.mirrors().stream().map(Object::toString).toList(),
                b.cache().repository().map(Object::toString).orElse(null));
    }

    public String toJson() {
        try {
            return Json.MAPPER.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static BuildSpec fromJson(String json) {
        try {
            return Json.MAPPER.readValue(json, BuildSpec.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored build spec is not readable: " + e.getMessage(), e);
        }
    }

    /** The planned tags of a build, stored as JSON. */
    public static String tagsToJson(List<TagRule.PlannedTag> tags) {
        try {
            return Json.MAPPER.writeValueAsString(tags);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static List<TagRule.PlannedTag> tagsFromJson(String json) {
        if (json == null || json.isBlank()) {
            return List.of();
        }
        try {
            return Json.MAPPER.readValue(json, new TypeReference<List<TagRule.PlannedTag>>() {});
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored tags are not readable: " + e.getMessage(), e);
        }
    }
}
