package dev.multiarch.publish;

import dev.multiarch.registry.Descriptor;

/** An index entry and where it came from (for messages). */
public record Entry(Descriptor descriptor, String origin) {}
