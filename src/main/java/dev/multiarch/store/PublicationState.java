package dev.multiarch.store;

/** Where one registry of a build's publication is: waiting for its copy, done, or failed with a reason. */
public enum PublicationState {
    PENDING,
    PUBLISHED,
    FAILED;

    public String word() {
        return name().toLowerCase();
    }
}
