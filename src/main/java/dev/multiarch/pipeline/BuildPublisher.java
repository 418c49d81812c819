package dev.multiarch.pipeline;

import dev.multiarch.config.SemVer;
import dev.multiarch.config.TagRule;
import dev.multiarch.platform.Platform;
import dev.multiarch.publish.Entry;
import dev.multiarch.publish.IndexPublisher;
import dev.multiarch.publish.Verifier;
import dev.multiarch.registry.Descriptor;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.registry.IndexType;
import dev.multiarch.registry.Manifest;
import dev.multiarch.registry.RegistryClient;
import dev.multiarch.store.BuildRecord;
import dev.multiarch.store.Store;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Publishes a verified build: decides which of its planned tags it may take, puts the index on them, and records
 * itself as their owner. Rules, per tag:
 * <ul>
 *   <li>a newer build (higher id) that already published the tag keeps it;</li>
 *   <li>a floating tag ({@code latest}, {@code 1}, {@code 1.2}) never moves to an older version: {@code v1.4.1}
 *       pushed after {@code v2.0.0} does not take {@code latest};</li>
 *   <li>the same build publishing again (after a restart) is allowed: the PUTs are of the same bytes.</li>
 * </ul>
 * One image is published by one thread at a time, so the check and the PUT cannot interleave with another build's.
 */
public final class BuildPublisher {
    private final Store store;
    private final Map<String, Object> locks = new ConcurrentHashMap<>();

    public BuildPublisher(Store store) {
        this.store = store;
    }

    /** What was published: the index digest and the tags taken; {@code skipped} says why others were not. */
    public record Outcome(String indexDigest, List<String> tags, List<String> skipped) {}

    public Outcome publish(RegistryClient client, BuildRecord build, List<Verifier.Verified> children) {
        ImageReference image = ImageReference.parse(build.image());
        BuildSpec spec = BuildSpec.fromJson(build.spec());
        synchronized (locks.computeIfAbsent(build.image(), k -> new Object())) {
            TagDecision decision = decide(build);
            List<String> take = decision.take();
            List<String> skipped = decision.skipped();
            List<Entry> entries = new ArrayList<>();
            for (Verifier.Verified v : children) {
                entries.add(new Entry(v.descriptor(), v.descriptor().platform().shortForm(), true));
            }
            if (take.isEmpty()) {
                return new Outcome(null, List.of(), skipped);
            }
            IndexPublisher.Result r = new IndexPublisher(client)
                    .publish(
                            image.withTag(take.get(0)),
                            take.subList(1, take.size()),
                            entries,
                            IndexType.parse(spec.format()),
                            Map.of(),
                            false);
            if (spec.perArchTags()) {
                for (Verifier.Verified v : children) {
                    Descriptor d = v.descriptor();
                    Manifest m = client.getManifest(image.withDigest(d.digest()));
                    for (TagRule.PlannedTag t : BuildSpec.tagsFromJson(build.tags())) {
                        if (!t.floating() && take.contains(t.tag())) {
                            client.putManifest(
                                    image.withTag(t.tag() + "-" + archSuffix(d.platform())),
                                    m,
                                    "the " + d.platform().shortForm() + " image");
                        }
                    }
                }
            }
            for (String tag : take) {
                store.setTagOwner(build.image(), tag, build.id(), build.version());
            }
            return new Outcome(r.digest().toString(), take, skipped);
        }
    }

    /** Which planned tags a build may take now, and why it may not take the others. */
    public record TagDecision(List<String> take, List<String> skipped) {}

    public TagDecision decide(BuildRecord build) {
        List<String> take = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (TagRule.PlannedTag t : BuildSpec.tagsFromJson(build.tags())) {
            Optional<String> why = whyNot(build, t);
            if (why.isPresent()) {
                skipped.add(t.tag() + ": " + why.get());
            } else {
                take.add(t.tag());
            }
        }
        return new TagDecision(take, skipped);
    }

    /** {@code amd64}, {@code arm-v7}, {@code arm64}: what per-arch tags end with. */
    static String archSuffix(Platform p) {
        Platform n = p.normalize();
        return n.variant().isEmpty() ? n.architecture() : n.architecture() + "-" + n.variant();
    }

    private Optional<String> whyNot(BuildRecord build, TagRule.PlannedTag t) {
        Optional<Store.TagOwner> owner = store.tagOwner(build.image(), t.tag());
        if (owner.isEmpty() || owner.get().buildId() == build.id()) {
            return Optional.empty();
        }
        // Tags belong to an image *and* a repository: even where two repositories may publish to one image (a mirror,
        // a monorepo split), neither moves a tag the other holds.
        if (owner.get().repo() != null && !owner.get().repo().equalsIgnoreCase(build.repo())) {
            return Optional.of("held by repository " + owner.get().repo() + " (build "
                    + owner.get().buildId() + "); a repository never moves another repository's tag");
        }
        if (t.floating() && owner.get().version() != null && build.version() != null) {
            Optional<SemVer> mine = SemVer.parse(build.version());
            Optional<SemVer> theirs = SemVer.parse(owner.get().version());
            if (mine.isPresent() && theirs.isPresent()) {
                int c = mine.get().compareTo(theirs.get());
                if (c < 0) {
                    return Optional.of("stays at " + theirs.get() + " (newer than " + mine.get() + ")");
                }
                if (c > 0) {
                    return Optional.empty();
                }
            }
        }
        if (owner.get().buildId() > build.id()) {
            return Optional.of("build " + owner.get().buildId() + " is newer and already published it");
        }
        return Optional.empty();
    }
}
