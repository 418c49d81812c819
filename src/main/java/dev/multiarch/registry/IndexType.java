package dev.multiarch.registry;

import java.util.Locale;

/** Which kind of list to write: a Docker manifest list v2.2, an OCI image index, or whichever fits the children. */
public enum IndexType {
    /** Docker list when every child is a Docker v2 manifest and nothing needs OCI (annotations, attestations). */
    AUTO,
    DOCKER,
    OCI;

    public static IndexType parse(String s) {
        return switch (s == null ? "" : s.trim().toLowerCase(Locale.ROOT)) {
            case "", "auto" -> AUTO;
            case "docker", "v2s2", "docker-list" -> DOCKER;
            case "oci", "oci-index" -> OCI;
            default -> throw new IllegalArgumentException("unknown index type '" + s + "': use docker, oci or auto");
        };
    }
}
