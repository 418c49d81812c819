package dev.multiarch.config;

import dev.multiarch.platform.Platform;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.registry.IndexType;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One image a repository builds: where its Dockerfile and context are, for which platforms, how its tags are made.
 *
 * @param image       repository to publish to, without tag ({@code registry.example/acme/app})
 * @param dockerfile  path from the repository root
 * @param context     directory from the repository root ({@code .} for the root)
 * @param timeouts    per-platform build timeouts (by {@link Platform#shortForm()}); {@code timeout} for the rest
 * @param annotations {@code annotations:}, validated by {@link Annotations}; multiarch adds those from git
 * @param attestations what to attach to each platform image ({@code attestations:}); empty by default
 * @param mirrors     further repositories the same index is published to ({@code image: [IMAGE, MIRROR, …]}); the
 *                    runners push to {@code image} only and the coordinator copies
 * @param cache       the registry layer cache ({@code cache:}); {@code {image}/cache} by default
 */
public record ImageBuild(
        ImageReference image,
        List<Platform> platforms,
        String dockerfile,
        String context,
        Map<String, String> buildArgs,
        IndexType format,
        List<TagRule> tagRules,
        boolean perArchTags,
        Duration timeout,
        Map<String, Duration> timeouts,
        Map<String, String> annotations,
        Set<Attestation> attestations,
        List<ImageReference> mirrors,
        LayerCache cache) {

    public ImageBuild {
        mirrors = mirrors == null ? List.of() : List.copyOf(mirrors);
    }

    /** Every repository this image is published to: {@code image} first, then the mirrors. */
    public List<ImageReference> targets() {
        List<ImageReference> all = new java.util.ArrayList<>();
        all.add(image);
        all.addAll(mirrors);
        return List.copyOf(all);
    }

    public Duration timeoutFor(Platform p) {
        return timeouts.getOrDefault(p.shortForm(), timeout);
    }
}
