package dev.multiarch.store;

/** Where a build is. Terminal: published, failed, cancelled. */
public enum BuildState {
    QUEUED,
    RUNNING,
    VERIFYING,
    PUBLISHING,
    PUBLISHED,
    FAILED,
    CANCELLED;

    public boolean terminal() {
        return this == PUBLISHED || this == FAILED || this == CANCELLED;
    }

    public String word() {
        return name().toLowerCase();
    }
}
