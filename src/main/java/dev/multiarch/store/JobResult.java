package dev.multiarch.store;

/** What a runner reports at the end of a job: a digest (success) or an error. */
public record JobResult(String digest, String mediaType, long size, int addedLayers, String error) {
    public static JobResult success(String digest, String mediaType, long size, int addedLayers) {
        return new JobResult(digest, mediaType, size, addedLayers, null);
    }

    public static JobResult failure(String error) {
        return new JobResult(null, null, 0, 0, error);
    }

    public boolean succeeded() {
        return error == null;
    }
}
