package dev.multiarch.publish;

import dev.multiarch.registry.Descriptor;

/**
 * An index entry and where it came from (for messages).
 *
 * @param inTarget true when the child is known to be in the target repository already (the resolver read it there
 *                 or copied it there), so the publisher need not check again with a HEAD
 */
public record Entry(Descriptor descriptor, String origin, boolean inTarget) {
    /** An entry the publisher will check with one HEAD. */
    public Entry(Descriptor descriptor, String origin) {
        this(descriptor, origin, false);
    }
}
