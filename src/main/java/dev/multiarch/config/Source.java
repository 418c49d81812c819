package dev.multiarch.config;

import dev.multiarch.platform.Platform;
import dev.multiarch.registry.ImageReference;

/**
 * One input of a list: an image, and the platform it is claimed to be (null: take it from the image's config, or all
 * platforms of a source that is itself an index).
 */
public record Source(ImageReference image, Platform platform) {}
