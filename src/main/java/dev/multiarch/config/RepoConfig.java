package dev.multiarch.config;

import com.google.re2j.Pattern;
import dev.multiarch.platform.InvalidPlatformException;
import dev.multiarch.platform.Platform;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.registry.IndexType;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A repository's {@code .multiarch.yaml}: the images it builds. One image at the top level, or a list under
 * {@code images} for monorepos. See the README for every key. Any problem is a {@link ConfigException} naming the
 * file, line and field; nothing here touches the network or the host.
 */
public record RepoConfig(List<ImageBuild> images) {
    public static final String FILE = ".multiarch.yaml";
    static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(30);
    /** Registries one image is published to at most: each is a copy the coordinator makes. */
    static final int MAX_IMAGES = 10;

    private static final Set<String> IMAGE_KEYS = Set.of(
            "image",
            "name",
            "platforms",
            "dockerfile",
            "context",
            "build-args",
            "format",
            "tags",
            "per-arch-tags",
            "timeout",
            "timeouts",
            "annotations",
            "attestations",
            "cache");
    private static final Set<String> TOP_KEYS;

    static {
        Set<String> t = new HashSet<>(IMAGE_KEYS);
        t.add("images");
        TOP_KEYS = Set.copyOf(t);
    }

    public static RepoConfig parse(String text) {
        return parse(FILE, text, Map.of());
    }

    public static RepoConfig parse(String file, String text, Map<String, String> env) {
        Fields f = new Fields(LocatedYaml.parse(file, text), env);
        if (!f.node("").isObject()) {
            throw f.error("", "expected a mapping with image and platforms (see the README's .multiarch.yaml section)");
        }
        f.onlyKeys("", TOP_KEYS);
        List<ImageBuild> images = new ArrayList<>();
        if (f.has("images")) {
            for (String k : IMAGE_KEYS) {
                if (f.has(k)) {
                    throw f.error(k, "with 'images', give '" + k + "' inside each image");
                }
            }
            int n = f.size("images");
            if (n == 0) {
                throw f.error("images", "expected at least one image");
            }
            for (int i = 0; i < n; i++) {
                images.add(image(f, "images[" + i + "]"));
            }
        } else {
            images.add(image(f, ""));
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < images.size(); i++) {
            for (ImageReference target : images.get(i).targets()) {
                String name = target.toString();
                if (!names.add(name)) {
                    throw f.error("images[" + i + "]", "image " + name + " is listed twice");
                }
            }
        }
        return new RepoConfig(List.copyOf(images));
    }

    private static ImageBuild image(Fields f, String at) {
        f.onlyKeys(at, IMAGE_KEYS);
        String imageKey = f.has(Fields.join(at, "name")) ? Fields.join(at, "name") : Fields.join(at, "image");
        List<ImageReference> targets = imageList(f, imageKey);
        ImageReference image = targets.get(0);
        String platformsKey = Fields.join(at, "platforms");
        List<String> platformTexts = f.strings(platformsKey);
        if (platformTexts.isEmpty()) {
            throw f.error(platformsKey, "is required: the platforms to build, e.g. [linux/amd64, linux/arm64]");
        }
        List<Platform> platforms = new ArrayList<>();
        Map<String, String> seen = new HashMap<>();
        for (int i = 0; i < platformTexts.size(); i++) {
            String p = platformsKey + "[" + i + "]";
            Platform pl;
            try {
                pl = Platform.parse(platformTexts.get(i)).validate();
            } catch (InvalidPlatformException e) {
                throw f.error(p, e.getMessage());
            }
            String prev = seen.putIfAbsent(pl.key(), platformTexts.get(i));
            if (prev != null) {
                throw f.error(p, "duplicate platform: " + prev + " and " + platformTexts.get(i));
            }
            platforms.add(canonical(pl));
        }
        String context = insideRepo(f, Fields.join(at, "context"), f.string(Fields.join(at, "context"), "."));
        String dockerfileDefault = context.equals(".") ? "Dockerfile" : context + "/Dockerfile";
        String dockerfile = insideRepo(
                f, Fields.join(at, "dockerfile"), f.string(Fields.join(at, "dockerfile"), dockerfileDefault));
        IndexType format;
        try {
            format = IndexType.parse(f.string(Fields.join(at, "format"), "auto"));
        } catch (IllegalArgumentException e) {
            throw f.error(Fields.join(at, "format"), e.getMessage());
        }
        Duration timeout = f.duration(Fields.join(at, "timeout"), DEFAULT_TIMEOUT);
        Map<String, Duration> timeouts = new LinkedHashMap<>();
        for (Map.Entry<String, String> e :
                f.stringMap(Fields.join(at, "timeouts")).entrySet()) {
            String p = Fields.join(at, "timeouts") + "." + e.getKey();
            Platform pl;
            try {
                pl = canonical(Platform.parse(e.getKey()).validate());
            } catch (InvalidPlatformException ex) {
                throw f.error(p, ex.getMessage());
            }
            if (platforms.stream().noneMatch(x -> x.matches(pl))) {
                throw f.error(p, pl.shortForm() + " is not one of this image's platforms");
            }
            try {
                timeouts.put(pl.shortForm(), Fields.parseDuration(e.getValue()));
            } catch (IllegalArgumentException ex) {
                throw f.error(p, ex.getMessage());
            }
        }
        Set<Attestation> attestations = attestations(f, Fields.join(at, "attestations"));
        if (!attestations.isEmpty() && format == IndexType.DOCKER) {
            throw f.error(
                    Fields.join(at, "attestations"),
                    "a Docker manifest list cannot carry attestation manifests; use format: oci or auto");
        }
        return new ImageBuild(
                image,
                List.copyOf(platforms),
                dockerfile,
                context,
                f.stringMap(Fields.join(at, "build-args")),
                format,
                tagRules(f, Fields.join(at, "tags")),
                f.bool(Fields.join(at, "per-arch-tags"), false),
                timeout,
                timeouts,
                java.util.Collections.unmodifiableMap(Annotations.read(f, Fields.join(at, "annotations"))),
                attestations,
                List.copyOf(targets.subList(1, targets.size())),
                LayerCache.read(f, Fields.join(at, "cache"), image));
    }

    /**
     * {@code image: REPO} or {@code image: [REPO, MIRROR, …]}: every repository the image is published to, the first
     * being the one runners push to. Each without tag or digest, none twice (compared as {@link ImageReference}
     * normalises: {@code acme/app} and {@code docker.io/acme/app} are one).
     */
    private static List<ImageReference> imageList(Fields f, String key) {
        boolean list = f.node(key).isArray();
        List<String> texts = f.strings(key);
        if (texts.isEmpty()) {
            throw f.error(key, list ? "expected at least one image" : "is required");
        }
        if (texts.size() > MAX_IMAGES) {
            throw f.error(key, "at most " + MAX_IMAGES + " images, got " + texts.size());
        }
        List<ImageReference> out = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < texts.size(); i++) {
            String at = list ? key + "[" + i + "]" : key;
            String text = texts.get(i);
            if (text.isBlank()) {
                throw f.error(at, "is required");
            }
            ImageReference image;
            try {
                image = ImageReference.parse(text);
            } catch (IllegalArgumentException e) {
                throw f.error(at, e.getMessage());
            }
            if (image.tag() != null || image.digest() != null) {
                throw f.error(
                        at,
                        "give the repository without a tag or digest ('" + image.registry() + "/" + image.repository()
                                + "'); tags come from the tag rules");
            }
            Integer prev = seen.putIfAbsent(image.toString(), i);
            if (prev != null) {
                throw f.error(at, image + " is listed twice (also " + key + "[" + prev + "])");
            }
            out.add(image);
        }
        return out;
    }

    private static Set<Attestation> attestations(Fields f, String at) {
        List<String> words = f.strings(at);
        Set<Attestation> out = java.util.EnumSet.noneOf(Attestation.class);
        for (int i = 0; i < words.size(); i++) {
            String w = words.get(i);
            java.util.Optional<Attestation> a = Attestation.of(w);
            if (a.isEmpty()) {
                throw f.error(
                        at + "[" + i + "]",
                        "unknown attestation '" + w + "'; known: "
                                + String.join(
                                        ", ",
                                        java.util.Arrays.stream(Attestation.values())
                                                .map(Attestation::word)
                                                .toList()));
            }
            if (!out.add(a.get())) {
                throw f.error(at + "[" + i + "]", w + " is listed twice");
            }
        }
        return java.util.Collections.unmodifiableSet(out);
    }

    /**
     * The platform as builds are asked for it: aliases resolved ({@code aarch64} → {@code arm64}), the variant kept
     * as written, plain {@code arm} made {@code arm/v7} (what it means).
     */
    private static Platform canonical(Platform p) {
        Platform n = p.normalize();
        return p.architecture().equals("arm") && p.variant().isEmpty() ? n : p;
    }

    private static List<TagRule> tagRules(Fields f, String at) {
        if (!f.has(at)) {
            return List.of(new TagRule.Semver());
        }
        int n = f.size(at);
        List<TagRule> rules = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String p = at + "[" + i + "]";
            if (f.node(p).isValueNode()) {
                String word = f.string(p, "");
                rules.add(
                        switch (word) {
                            case "semver" -> new TagRule.Semver();
                            case "ref" -> new TagRule.Ref();
                            default ->
                                throw f.error(
                                        p,
                                        "unknown tag rule '" + word
                                                + "'; use semver, ref, or {match: REGEX, tags: [...]}");
                        });
                continue;
            }
            f.onlyKeys(p, Set.of("match", "tags"));
            String regex = f.required(p + ".match");
            Pattern pattern;
            try {
                pattern = TagRule.Match.compile(regex);
            } catch (IllegalArgumentException e) {
                throw f.error(p + ".match", e.getMessage());
            }
            List<String> templates = f.strings(p + ".tags");
            if (templates.isEmpty()) {
                throw f.error(p + ".tags", "is required: the tags to give, e.g. ['{1}.{2}', stable]");
            }
            rules.add(new TagRule.Match(pattern, templates));
        }
        if (rules.isEmpty()) {
            throw f.error(at, "expected at least one rule");
        }
        return List.copyOf(rules);
    }

    /** A path in the repository: relative, and never escaping it with {@code ..}. */
    private static String insideRepo(Fields f, String key, String value) {
        if (value.isBlank() || value.startsWith("/") || value.startsWith("\\") || value.matches("^[A-Za-z]:.*")) {
            throw f.error(key, "'" + value + "' must be a path inside the repository, relative to its root");
        }
        Path p;
        try {
            p = Path.of(value).normalize();
        } catch (InvalidPathException e) {
            throw f.error(key, "'" + value.replace("\0", "\\0") + "' is not a valid path: " + e.getReason());
        }
        if (p.startsWith("..")) {
            throw f.error(key, "'" + value + "' escapes the repository");
        }
        String s = p.toString();
        return s.isEmpty() ? "." : s;
    }
}
