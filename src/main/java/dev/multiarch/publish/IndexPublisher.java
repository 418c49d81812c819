package dev.multiarch.publish;

import dev.multiarch.platform.Platform;
import dev.multiarch.registry.Descriptor;
import dev.multiarch.registry.Digest;
import dev.multiarch.registry.ImageIndex;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.registry.IndexType;
import dev.multiarch.registry.Manifest;
import dev.multiarch.registry.MediaType;
import dev.multiarch.registry.RegistryClient;
import dev.multiarch.registry.RegistryException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Publishes one index to a target and its extra tags: one HEAD per child not already known to be in the target
 * repository, optional merge with the existing index ({@code --append}), then the same bytes PUT to every tag.
 */
public final class IndexPublisher {
    private final RegistryClient client;

    public IndexPublisher(RegistryClient client) {
        this.client = client;
    }

    /** What was published. */
    public record Result(
            ImageReference target,
            Digest digest,
            String mediaType,
            List<String> tags,
            List<Descriptor> entries,
            Manifest index) {}

    /**
     * A step between the index being in the registry (by digest) and any tag pointing at it: signing. If it throws, no
     * tag moves; the index stays behind untagged, as any manifest pushed by digest may.
     */
    @FunctionalInterface
    public interface BeforeTags {
        void run(ImageReference target, Manifest index, List<Descriptor> children, List<String> tags);
    }

    /**
     * @param target      repository and first tag ({@code latest} when none)
     * @param extraTags   further tags in the same repository
     * @param entries     children, platforms already verified, each meant to be in the target repository
     * @param append      keep the platforms of the existing index at {@code target} that {@code entries} do not replace
     */
    public Result publish(
            ImageReference target,
            List<String> extraTags,
            List<Entry> entries,
            IndexType type,
            Map<String, String> annotations,
            boolean append) {
        return publish(target, extraTags, entries, type, annotations, append, null);
    }

    /**
     * As above; with {@code beforeTags}, the index is first PUT by digest, then {@code beforeTags} runs, then the tags
     * are PUT.
     */
    public Result publish(
            ImageReference target,
            List<String> extraTags,
            List<Entry> entries,
            IndexType type,
            Map<String, String> annotations,
            boolean append,
            BeforeTags beforeTags) {
        if (target.digest() != null) {
            throw new PublishException("the target " + target + " names a digest; give a tag to publish to");
        }
        List<Descriptor> children = new ArrayList<>();
        for (Entry e : entries) {
            children.add(e.inTarget() && e.descriptor().size() > 0 ? e.descriptor() : present(target, e.descriptor()));
        }
        if (append) {
            // Entries kept from the existing index are in the target repository: the registry checked them.
            children = merge(target, children);
        }
        Manifest index;
        try {
            index = ImageIndex.assemble(type, children, annotations);
        } catch (IllegalArgumentException e) {
            throw new PublishException("cannot assemble the index for " + target + ": " + e.getMessage(), e);
        }
        Set<String> tags = new LinkedHashSet<>();
        tags.add(target.tag() == null ? "latest" : target.tag());
        tags.addAll(extraTags);
        if (beforeTags != null) {
            client.putManifest(target.withDigest(index.digest()), index, "the index");
            beforeTags.run(target, index, List.copyOf(children), List.copyOf(tags));
        }
        for (String tag : tags) {
            ImageReference ref;
            try {
                ref = target.withTag(tag);
            } catch (IllegalArgumentException e) {
                throw new PublishException("cannot publish to tag '" + tag + "': " + e.getMessage(), e);
            }
            // A tag that already holds these bytes is left alone: a publish resumed after a crash (here or on another
            // coordinator) PUTs only the tags the first attempt did not reach, so each tag is written once.
            if (client.head(ref).filter(d -> d.digest().equals(index.digest())).isPresent()) {
                continue;
            }
            client.putManifest(ref, index, "the index");
        }
        return new Result(target, index.digest(), index.mediaType(), List.copyOf(tags), children, index);
    }

    /** One HEAD: the child must be in the target repository, with the type we are about to write for it. */
    private Descriptor present(ImageReference target, Descriptor child) {
        Optional<Descriptor> found;
        try {
            found = client.head(target.withDigest(child.digest()));
        } catch (RegistryException e) {
            throw e.concerning(child.digest(), child.platform(), null);
        }
        if (found.isEmpty()) {
            throw RegistryException.builder("publish the index to", target.toString())
                    .code("MANIFEST_BLOB_UNKNOWN")
                    .digest(child.digest())
                    .platform(child.platform())
                    .hint("the child is not in " + target.registry() + "/" + target.repository()
                            + "; nothing was published")
                    .build();
        }
        Descriptor d = found.get();
        String mediaType = child.mediaType().isEmpty() ? d.mediaType() : child.mediaType();
        if (!d.mediaType().isEmpty() && !MediaType.same(d.mediaType(), mediaType)) {
            throw new PublishException("child " + child.digest() + " (" + platformText(child.platform()) + ") is "
                    + d.mediaType() + " in the registry, not " + mediaType);
        }
        long size = child.size() > 0 ? child.size() : d.size();
        if (d.size() > 0 && child.size() > 0 && d.size() != child.size()) {
            throw new PublishException("child " + child.digest() + " (" + platformText(child.platform()) + ") is "
                    + d.size() + " bytes in the registry, not " + child.size());
        }
        return new Descriptor(mediaType, child.digest(), size, child.platform(), child.annotations());
    }

    /** --append: the existing index's entries whose platforms are not replaced, then the new ones. */
    private List<Descriptor> merge(ImageReference target, List<Descriptor> fresh) {
        ImageReference at = target.withTag(target.tag() == null ? "latest" : target.tag());
        if (client.head(at).isEmpty()) {
            return fresh;
        }
        Manifest existing = client.getManifest(at);
        List<Descriptor> old = new ArrayList<>();
        if (existing.isIndex()) {
            old.addAll(existing.entries());
        } else if (existing.isImage()) {
            old.add(existing.descriptor().withPlatform(client.configPlatform(at, existing)));
        } else {
            throw new PublishException("cannot append to " + at + ": it is a " + existing.mediaType());
        }
        Set<String> replaced = new HashSet<>();
        for (Descriptor d : fresh) {
            if (d.platform() != null && !d.isAttestation()) {
                replaced.add(d.platform().key());
            }
        }
        Set<String> keptDigests = new HashSet<>();
        List<Descriptor> merged = new ArrayList<>();
        for (Descriptor d : old) {
            if (!d.isAttestation()
                    && d.platform() != null
                    && !d.platform().isUnknown()
                    && !replaced.contains(d.platform().key())) {
                merged.add(d);
                keptDigests.add(d.digest().toString());
            }
        }
        for (Descriptor d : old) {
            if (d.isAttestation() && keptDigests.contains(d.attests())) {
                merged.add(d);
            }
        }
        merged.addAll(fresh);
        return merged;
    }

    private static String platformText(Platform p) {
        return p == null ? "no platform" : p.shortForm();
    }
}
