package dev.multiarch.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.platform.InvalidPlatformException;
import dev.multiarch.platform.Platform;
import dev.multiarch.registry.ImageReference;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * manifest-tool's YAML push spec, read as manifest-tool reads it so that existing files work unchanged:
 * <pre>
 * image: registry/name:tag
 * tags: [a, b]                      # optional, more tags for the same list
 * annotations: {key: value}         # optional, OCI index only
 * manifests:
 *   - image: registry/name:tag-arch
 *     platform:                     # optional: taken from the image's config when absent
 *       architecture: arm
 *       os: linux
 *       variant: v7                 # legacy spellings (armv7l, armv8) are understood
 *       features: [sse]
 *       osversion: 10.0.20348.2340  # manifest-tool's spelling; os.version is accepted too
 *       osfeatures: [win32k]        # likewise os.features
 * </pre>
 * Unknown keys are refused (a typo would otherwise silently drop a platform), as are invalid platforms and two
 * entries that declare the same platform.
 */
public record PushSpec(ImageReference image, List<String> tags, List<Source> sources, Map<String, String> annotations) {
    private static final Set<String> TOP_KEYS = Set.of("image", "tags", "manifests", "annotations");
    private static final Set<String> ENTRY_KEYS = Set.of("image", "platform");
    private static final Set<String> PLATFORM_KEYS =
            Set.of("architecture", "os", "variant", "features", "osversion", "os.version", "osfeatures", "os.features");

    public static PushSpec parse(String file, String text) {
        LocatedYaml y = LocatedYaml.parse(file, text);
        JsonNode root = y.root();
        if (!root.isObject()) {
            throw y.error("", "expected a mapping with image and manifests");
        }
        checkKeys(y, root, "", TOP_KEYS);
        ImageReference image = reference(y, root, "image");
        List<String> tags = new ArrayList<>();
        JsonNode t = root.path("tags");
        if (!t.isMissingNode() && !t.isNull()) {
            if (!t.isArray()) {
                throw y.error("tags", "expected a list of tags");
            }
            for (int i = 0; i < t.size(); i++) {
                String tag = t.get(i).asText();
                try {
                    image.withTag(tag);
                } catch (IllegalArgumentException e) {
                    throw y.error("tags[" + i + "]", e.getMessage());
                }
                tags.add(tag);
            }
        }
        JsonNode ms = root.path("manifests");
        if (!ms.isArray() || ms.isEmpty()) {
            throw y.error("manifests", "expected a non-empty list of {image, platform}");
        }
        List<Source> sources = new ArrayList<>();
        Map<String, String> declared = new HashMap<>();
        for (int i = 0; i < ms.size(); i++) {
            String at = "manifests[" + i + "]";
            JsonNode m = ms.get(i);
            if (!m.isObject()) {
                throw y.error(at, "expected a mapping with image and platform");
            }
            checkKeys(y, m, at, ENTRY_KEYS);
            ImageReference src = reference(y, m, at + ".image");
            Platform p = null;
            JsonNode pn = m.get("platform");
            if (pn != null && !pn.isNull()) {
                p = platform(y, pn, at + ".platform");
                String prev = declared.putIfAbsent(p.key(), at);
                if (prev != null) {
                    throw y.error(
                            at + ".platform",
                            "duplicate platform " + p.normalize().shortForm() + ": " + prev + " (line " + y.line(prev)
                                    + ") already declares it; a list holds one image per platform");
                }
            }
            sources.add(new Source(src, p));
        }
        Map<String, String> annotations = new LinkedHashMap<>();
        JsonNode a = root.path("annotations");
        if (!a.isMissingNode() && !a.isNull()) {
            if (!a.isObject()) {
                throw y.error("annotations", "expected a mapping of string keys to string values");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = a.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isValueNode()) {
                    throw y.error("annotations." + e.getKey(), "expected a string value");
                }
                annotations.put(e.getKey(), e.getValue().asText());
            }
        }
        return new PushSpec(image, List.copyOf(tags), List.copyOf(sources), annotations);
    }

    private static ImageReference reference(LocatedYaml y, JsonNode parent, String path) {
        String key = path.substring(path.lastIndexOf('.') + 1);
        JsonNode n = parent.get(key);
        if (n == null || n.isNull() || n.asText().isBlank()) {
            throw y.error(path, "missing; expected an image reference such as registry.example/name:tag");
        }
        try {
            return ImageReference.parse(n.asText());
        } catch (IllegalArgumentException e) {
            throw y.error(path, e.getMessage());
        }
    }

    private static Platform platform(LocatedYaml y, JsonNode pn, String path) {
        if (!pn.isObject()) {
            throw y.error(path, "expected a mapping with os and architecture");
        }
        checkKeys(y, pn, path, PLATFORM_KEYS);
        String osVersion = pn.hasNonNull("os.version")
                ? pn.get("os.version").asText()
                : pn.path("osversion").asText("");
        JsonNode osf = pn.has("os.features") ? pn.get("os.features") : pn.path("osfeatures");
        Platform p = new Platform(
                pn.path("os").asText(""),
                pn.path("architecture").asText(""),
                pn.path("variant").asText(""),
                osVersion,
                strings(y, osf, path + ".osfeatures"),
                strings(y, pn.path("features"), path + ".features"));
        try {
            return p.validate();
        } catch (InvalidPlatformException e) {
            String field =
                    switch (e.field()) {
                        case "os", "architecture", "variant" -> path + "." + e.field();
                        default -> path;
                    };
            throw y.error(field, e.getMessage());
        }
    }

    private static List<String> strings(LocatedYaml y, JsonNode n, String path) {
        List<String> out = new ArrayList<>();
        if (n.isMissingNode() || n.isNull()) {
            return out;
        }
        if (!n.isArray()) {
            throw y.error(path, "expected a list of strings");
        }
        n.forEach(x -> out.add(x.asText()));
        return out;
    }

    private static void checkKeys(LocatedYaml y, JsonNode obj, String path, Set<String> allowed) {
        for (Iterator<String> it = obj.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!allowed.contains(k)) {
                String at = path.isEmpty() ? k : path + "." + k;
                throw y.error(
                        at,
                        "unknown key '" + k + "'; expected one of "
                                + String.join(", ", allowed.stream().sorted().toList()));
            }
        }
    }

    /**
     * manifest-tool's {@code push from-args}: one source per platform, the template's {@code OS}, {@code ARCH} and
     * {@code VARIANT} words replaced by the platform's parts. Where a platform has no variant, {@code VARIANT} and a
     * separator right before it ({@code -}, {@code _} or {@code .}) are dropped, so {@code img:ARCH-VARIANT} gives
     * {@code img:amd64} rather than manifest-tool's {@code img:amd64-}.
     */
    public static PushSpec fromArgs(List<String> platforms, String template, String target, List<String> tags) {
        ImageReference image;
        try {
            image = ImageReference.parse(target);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("--target", 0, "", e.getMessage());
        }
        if (!template.contains("ARCH") && !template.contains("OS") && !template.contains("VARIANT")) {
            throw new ConfigException(
                    "--template",
                    0,
                    "",
                    "'" + template
                            + "' has none of the words OS, ARCH, VARIANT, so every platform would name the same image");
        }
        List<Source> sources = new ArrayList<>();
        Map<String, String> declared = new HashMap<>();
        for (String text : platforms) {
            if (text.isBlank()) {
                continue;
            }
            Platform p;
            try {
                p = Platform.parse(text).validate();
            } catch (InvalidPlatformException e) {
                throw new ConfigException("--platforms", 0, "", e.getMessage());
            }
            String prev = declared.putIfAbsent(p.key(), text);
            if (prev != null) {
                throw new ConfigException("--platforms", 0, "", "duplicate platform: " + prev + " and " + text);
            }
            String name = template;
            if (p.variant().isEmpty()) {
                name = name.replaceAll("[-_.]?VARIANT", "");
            }
            name = name.replace("ARCH", p.architecture()).replace("OS", p.os()).replace("VARIANT", p.variant());
            try {
                sources.add(new Source(ImageReference.parse(name), p));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(
                        "--template",
                        0,
                        "",
                        "for " + p.shortForm() + " the template gives '" + name + "': " + e.getMessage());
            }
        }
        if (sources.isEmpty()) {
            throw new ConfigException("--platforms", 0, "", "no platforms given");
        }
        for (String tag : tags) {
            try {
                image.withTag(tag);
            } catch (IllegalArgumentException e) {
                throw new ConfigException("--tags", 0, "", e.getMessage());
            }
        }
        return new PushSpec(image, List.copyOf(tags), List.copyOf(sources), Map.of());
    }
}
