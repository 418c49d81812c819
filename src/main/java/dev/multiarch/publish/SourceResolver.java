package dev.multiarch.publish;

import dev.multiarch.config.Source;
import dev.multiarch.platform.InvalidPlatformException;
import dev.multiarch.platform.Platform;
import dev.multiarch.registry.Descriptor;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.registry.Manifest;
import dev.multiarch.registry.RegistryClient;
import dev.multiarch.registry.RegistryException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Resolves {@link Source}s into index entries in a target repository. See the package guide for the rules.
 */
public final class SourceResolver {
    private final RegistryClient client;

    public SourceResolver(RegistryClient client) {
        this.client = client;
    }

    /**
     * @param ignoreMissing skip (with a warning) sources that do not exist, instead of failing
     * @param warn          receives one line per skipped source
     * @throws PublishException    on a platform mismatch, a duplicate platform, or nothing left to publish
     * @throws RegistryException   on registry failures, naming the digest and platform concerned
     */
    public List<Entry> resolve(
            ImageReference target, List<Source> sources, boolean ignoreMissing, Consumer<String> warn) {
        List<Entry> out = new ArrayList<>();
        for (Source s : sources) {
            Manifest m;
            try {
                m = client.getManifest(s.image());
            } catch (RegistryException e) {
                if (e.httpStatus() == 404 && ignoreMissing) {
                    warn.accept("skipping " + s.image()
                            + (s.platform() == null ? "" : " (" + s.platform().shortForm() + ")")
                            + ": it does not exist");
                    continue;
                }
                throw e.httpStatus() == 404
                        ? e.concerning(null, s.platform(), "push that image first, or pass --ignore-missing")
                        : e.concerning(null, s.platform(), null);
            }
            if (m.isImage()) {
                Platform p = reconcile(
                        s.platform(),
                        client.configPlatform(s.image(), m),
                        s.image().toString());
                copyIn(s.image(), target, m, p);
                out.add(new Entry(m.descriptor().withPlatform(p), s.image().toString(), true));
            } else if (m.isIndex()) {
                out.addAll(fromIndex(target, s, m));
            } else {
                throw new PublishException(s.image() + " is a " + m.mediaType()
                        + " manifest; only Docker v2 and OCI manifests and indexes can go into a list");
            }
        }
        if (out.isEmpty()) {
            throw new PublishException("none of the " + sources.size() + " source images exists; nothing to publish");
        }
        checkDuplicates(out);
        return out;
    }

    /** A source that is itself an index (buildx's output): its image for the asked platform, or all, with attestations. */
    private List<Entry> fromIndex(ImageReference target, Source s, Manifest index) {
        List<Descriptor> images = new ArrayList<>();
        List<Descriptor> attestations = new ArrayList<>();
        for (Descriptor d : index.entries()) {
            boolean unknown = d.platform() != null && d.platform().isUnknown();
            (d.isAttestation() || unknown ? attestations : images).add(d);
        }
        List<Descriptor> chosen = new ArrayList<>();
        if (s.platform() == null) {
            chosen.addAll(images);
        } else {
            for (Descriptor d : images) {
                if (d.platform() != null && d.platform().matches(s.platform())) {
                    chosen.add(d);
                }
            }
            if (chosen.isEmpty()) {
                throw new PublishException(
                        s.image() + " is an index without " + s.platform().shortForm()
                                + "; it has "
                                + String.join(
                                        ", ",
                                        images.stream()
                                                .map(d -> d.platform() == null
                                                        ? d.digest().shortForm()
                                                        : d.platform().shortForm())
                                                .toList()));
            }
            chosen = chosen.subList(0, 1);
        }
        List<Entry> out = new ArrayList<>();
        for (Descriptor d : chosen) {
            ImageReference childRef = s.image().withDigest(d.digest());
            Manifest child = client.getManifest(childRef);
            if (!child.isImage()) {
                throw new PublishException(childRef + " ("
                        + (d.platform() == null ? "no platform" : d.platform().shortForm()) + ") is nested "
                        + child.mediaType()
                        + "; an index inside an index inside a list is not supported");
            }
            Platform claimed = s.platform() != null ? s.platform() : d.platform();
            Platform p;
            try {
                p = reconcile(claimed, client.configPlatform(childRef, child), childRef.toString());
            } catch (RegistryException e) {
                throw e.concerning(d.digest(), claimed, null);
            }
            copyIn(s.image(), target, child, p);
            out.add(new Entry(
                    child.descriptor().withPlatform(p),
                    s.image() + " @ " + d.digest().shortForm(),
                    true));
            for (Descriptor a : attestations) {
                if (d.digest().toString().equals(a.attests())) {
                    Manifest am = client.getManifest(s.image().withDigest(a.digest()));
                    copyIn(s.image(), target, am, null);
                    out.add(new Entry(
                            a, s.image() + " attestation of " + d.digest().shortForm(), true));
                }
            }
        }
        return out;
    }

    private void copyIn(ImageReference from, ImageReference target, Manifest m, Platform p) {
        if (from.sameRepository(target)) {
            return;
        }
        try {
            client.copyManifest(from, target, m);
        } catch (RegistryException e) {
            throw e.concerning(
                    m.digest(),
                    p,
                    "copying the child from " + from.repository() + " into " + target.repository() + " failed");
        }
    }

    /**
     * The platform to write: the image config's own, when it agrees with the claim (compared normalised). A claim
     * that disagrees is refused: a wrong platform is never published under a right name. A config that states no
     * variant takes the claimed one (old arm images often lack it).
     */
    static Platform reconcile(Platform claimed, Platform config, String image) {
        if (config.os().isEmpty() || config.architecture().isEmpty()) {
            if (claimed == null) {
                throw new PublishException(
                        "the config of " + image + " states no os/architecture; give the platform explicitly");
            }
            return claimed.validate();
        }
        try {
            config.validate();
        } catch (InvalidPlatformException e) {
            throw new PublishException("the config of " + image + " states an invalid platform: " + e.getMessage());
        }
        if (claimed == null) {
            return config;
        }
        Platform c = claimed.validate();
        Platform cn = c.normalize();
        Platform gn = config.normalize();
        boolean sameArch = cn.os().equals(gn.os()) && cn.architecture().equals(gn.architecture());
        boolean sameVariant = config.variant().isEmpty() || cn.variant().equals(gn.variant());
        boolean sameVersion = c.osVersion().isEmpty()
                || config.osVersion().isEmpty()
                || c.osVersion().equals(config.osVersion());
        if (!sameArch || !sameVariant || !sameVersion) {
            throw new PublishException("refusing to publish " + image + " as " + c.format() + ": its config says "
                    + config.format() + " (a wrong platform is never published under a right name)");
        }
        return new Platform(
                config.os(),
                config.architecture(),
                config.variant().isEmpty() ? c.variant() : config.variant(),
                config.osVersion().isEmpty() ? c.osVersion() : config.osVersion(),
                config.osFeatures().isEmpty() ? c.osFeatures() : config.osFeatures(),
                c.features());
    }

    static void checkDuplicates(List<Entry> entries) {
        Map<String, Entry> seen = new HashMap<>();
        for (Entry e : entries) {
            Descriptor d = e.descriptor();
            if (d.isAttestation() || d.platform() == null || d.platform().isUnknown()) {
                continue;
            }
            Entry other = seen.putIfAbsent(d.platform().key(), e);
            if (other != null) {
                throw new PublishException("duplicate platform "
                        + d.platform().normalize().shortForm() + ": "
                        + other.origin() + " (" + other.descriptor().platform().shortForm() + ") and " + e.origin()
                        + " (" + d.platform().shortForm() + "); a list holds one image per platform");
            }
        }
    }
}
