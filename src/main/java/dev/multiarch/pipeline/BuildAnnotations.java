package dev.multiarch.pipeline;

import dev.multiarch.config.Annotations;
import dev.multiarch.config.TagRule;
import dev.multiarch.store.BuildRecord;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The {@code org.opencontainers.image.*} annotations a build's images carry, as docker/metadata-action makes them from
 * git: {@code source} (the repository's web address), {@code revision} (the commit), {@code version} (the first
 * planned tag), and {@code created}, the commit's time, so that rebuilding a commit gives the same values. The
 * repository's own {@code annotations:} come on top ({@code title}, {@code description}, {@code licenses}…) and may
 * replace {@code source} and {@code version}.
 *
 * <p>Where they go (OCI image-spec "Annotations", "Image Index", "Image Manifest"):
 * <ul>
 *   <li>each platform's manifest and, as labels, its config: the runner's build writes them
 *       ({@code buildah bud --annotation/--label}), adding {@code created} from its checkout, so the digest the runner
 *       pushes, and the coordinator verifies, is the annotated one; nothing is rewritten after verification;</li>
 *   <li>the index: the same keys, with {@code created} taken from the verified manifests (they agree: one commit).
 *       GHCR shows a multi-platform package's description from the index.</li>
 * </ul>
 * A Docker manifest list and Docker v2 manifests have no annotations ({@code format: docker}): labels only.
 */
public final class BuildAnnotations {
    private BuildAnnotations() {}

    /** What the runners are given: everything but {@code created}, which they read from the commit. */
    public static Map<String, String> forBuild(BuildRecord b, BuildSpec spec) {
        Map<String, String> out = new LinkedHashMap<>();
        sourceUrl(b.cloneUrl()).ifPresent(u -> out.put(Annotations.SOURCE, u));
        out.put(Annotations.REVISION, b.commit());
        List<TagRule.PlannedTag> tags = BuildSpec.tagsFromJson(b.tags());
        if (!tags.isEmpty()) {
            out.put(Annotations.VERSION, tags.get(0).tag());
        }
        out.putAll(spec.annotations());
        return sorted(out);
    }

    /**
     * The index's annotations: the build's, plus {@code created} when every platform's manifest carries the same one.
     *
     * @param children each verified manifest's own annotations
     */
    public static Map<String, String> forIndex(
            BuildRecord b, BuildSpec spec, Collection<Map<String, String>> children) {
        Map<String, String> out = new LinkedHashMap<>(forBuild(b, spec));
        Set<String> created = new LinkedHashSet<>();
        children.forEach(c -> created.add(c.get(Annotations.CREATED)));
        if (created.size() == 1 && created.iterator().next() != null) {
            out.put(Annotations.CREATED, created.iterator().next());
        }
        return sorted(out);
    }

    /**
     * The repository's web address: an https clone URL without credentials, query, fragment and {@code .git}
     * ({@code https://github.com/acme/app.git} → {@code https://github.com/acme/app}; GitHub, GitLab and Gitea serve
     * the repository's page there). Empty for anything else (ssh, http, a local path): no page to link to.
     */
    public static Optional<String> sourceUrl(String cloneUrl) {
        Optional<URI> u = withoutCredentials(cloneUrl);
        if (u.isEmpty() || !"https".equals(u.get().getScheme()) || u.get().getHost() == null) {
            return Optional.empty();
        }
        String s = u.get().toString().replaceAll("/+$", "");
        return Optional.of(s.endsWith(".git") ? s.substring(0, s.length() - 4) : s);
    }

    /**
     * The repository as a URI for provenance: as {@link #sourceUrl} for https, without credentials for other URLs,
     * {@code file://} for a local path.
     */
    public static String repositoryUri(String cloneUrl) {
        Optional<String> web = sourceUrl(cloneUrl);
        if (web.isPresent()) {
            return web.get();
        }
        Optional<URI> u = withoutCredentials(cloneUrl);
        if (u.isPresent() && u.get().getScheme() != null && u.get().getScheme().length() > 1) {
            return u.get().toString();
        }
        return Path.of(cloneUrl).toAbsolutePath().normalize().toUri().toString();
    }

    private static Optional<URI> withoutCredentials(String url) {
        try {
            URI u = new URI(url);
            if (u.getScheme() == null || u.getRawAuthority() == null) {
                return u.getScheme() == null ? Optional.empty() : Optional.of(u);
            }
            return Optional.of(new URI(
                    u.getScheme().toLowerCase(Locale.ROOT),
                    null,
                    u.getHost() == null ? null : u.getHost().toLowerCase(Locale.ROOT),
                    u.getPort(),
                    u.getPath(),
                    null,
                    null));
        } catch (URISyntaxException e) {
            return Optional.empty();
        }
    }

    private static Map<String, String> sorted(Map<String, String> m) {
        return java.util.Collections.unmodifiableMap(new TreeMap<>(m));
    }
}
