package dev.multiarch.store;

/** Where one platform's job is. Terminal: succeeded, failed, cancelled. */
public enum JobState {
    QUEUED,
    RUNNING,
    SUCCEEDED,
    FAILED,
    CANCELLED;

    public boolean terminal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }

    public String word() {
        return name().toLowerCase();
    }
}
