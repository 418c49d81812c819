package dev.multiarch.config;

import dev.multiarch.platform.Platform;
import dev.multiarch.registry.ImageReference;
import java.util.Locale;
import java.util.Optional;

/**
 * The registry layer cache of one image ({@code cache:} in {@code .multiarch.yaml}): a repository on the image's
 * registry, {@code {image}/cache} by default, under which each platform has a repository of its own
 * ({@code …/cache/linux-arm-v7}) that buildah's {@code --cache-to} writes and {@code --cache-from} reads. One
 * repository per platform because buildah 1.28's cache keys do not include the platform (a step that copies the
 * same file gives the same key on every platform; buildah 1.41 added the check, commit 350288967), so a shared one
 * would hand an arm64 build an amd64 layer.
 *
 * <p>Docker Hub allows only {@code namespace/name}: there the platform is appended with a dash
 * ({@code acme/app-cache-linux-arm64}).
 *
 * <p>{@code cache: false} turns the registry cache off (the runner's own layer cache stays). The repository must be on
 * the image's registry, under the image's own repository ({@link #isUnder}): the credentials the job gets to push its
 * image are the ones that write the cache, and a cache elsewhere may be another tenant's.
 *
 * @param repository the cache's base repository; empty when the registry cache is off
 */
public record LayerCache(Optional<ImageReference> repository) {
    public static final LayerCache OFF = new LayerCache(Optional.empty());

    /**
     * The default: {@code {image}/cache}; on Docker Hub, which allows two path components only, {@code {image}-cache}
     * (and {@code …-cache-linux-arm64} per platform).
     */
    public static LayerCache defaultFor(ImageReference image) {
        return new LayerCache(Optional.of(
                new ImageReference(image.registry(), image.repository() + separator(image) + "cache", null, null)));
    }

    /** The repository one platform's builds read and write: {@code …/cache/linux-arm-v7}. */
    public static ImageReference forPlatform(ImageReference base, Platform p) {
        String slug = p.shortForm().toLowerCase(Locale.ROOT).replace('/', '-');
        return new ImageReference(base.registry(), base.repository() + separator(base) + slug, null, null);
    }

    private static String separator(ImageReference r) {
        return r.registry().equals(ImageReference.DOCKER_HUB) ? "-" : "/";
    }

    /** As {@link #forPlatform(ImageReference, Platform)}, for each platform; empty when off. */
    public Optional<ImageReference> forPlatform(Platform p) {
        return repository.map(r -> forPlatform(r, p));
    }

    /** {@code cache:} at {@code key}: absent → the default; {@code false} → off; else a repository, no tag. */
    static LayerCache read(Fields f, String key, ImageReference image) {
        if (!f.has(key)) {
            return defaultFor(image);
        }
        String text = f.string(key, "");
        if (text.equals("false") || text.equals("off") || text.equals("none")) {
            return OFF;
        }
        if (text.equals("true")) {
            return defaultFor(image);
        }
        ImageReference r;
        try {
            r = ImageReference.parse(text);
        } catch (IllegalArgumentException e) {
            throw f.error(key, e.getMessage());
        }
        if (r.tag() != null || r.digest() != null) {
            throw f.error(
                    key,
                    "give a repository without a tag or digest ('" + r.registry() + "/" + r.repository()
                            + "'); the cache's tags are buildah's cache keys");
        }
        if (!r.registry().equalsIgnoreCase(image.registry())) {
            throw f.error(
                    key,
                    "the cache must be on the image's registry " + image.registry() + " (its push credentials write"
                            + " the cache), not " + r.registry());
        }
        if (r.sameRepository(image)) {
            throw f.error(key, "the cache cannot be the image's own repository; e.g. " + example(image));
        }
        if (!isUnder(r, image)) {
            throw f.error(
                    key,
                    "the cache must be under the image's own repository (" + example(image) + "), not "
                            + r.registry() + "/" + r.repository()
                            + ": another repository may be another build's cache, and cache tags belong to no one");
        }
        return new LayerCache(Optional.of(r));
    }

    private static String example(ImageReference image) {
        return defaultFor(image).repository().orElseThrow().toString();
    }

    /**
     * Whether {@code cache} is a repository of the image's own: on its registry and under its path ({@code {image}/…}),
     * or on Docker Hub, which allows two path components only, named {@code {image}-cache…}. Anything else may be
     * another tenant's cache: a repository rule that lets two repositories publish under one owner ({@code
     * images: [ghcr.io/acme/*]}) would otherwise let one read and write the other's, and buildah's cache keys do not
     * cover every input of a step (containers/buildah#6609, #6957).
     */
    public static boolean isUnder(ImageReference cache, ImageReference image) {
        if (!cache.registry().equalsIgnoreCase(image.registry()) || cache.sameRepository(image)) {
            return false;
        }
        String c = cache.repository();
        String i = image.repository();
        return c.startsWith(i + "/")
                || (image.registry().equals(ImageReference.DOCKER_HUB) && c.startsWith(i + "-cache"));
    }
}
