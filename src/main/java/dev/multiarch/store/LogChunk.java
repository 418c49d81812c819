package dev.multiarch.store;

/** A piece of a job's log, in order of {@code seq}; {@code seq} 0 is a marker saying where the log was cut. */
public record LogChunk(long seq, int attempt, String text) {
    /** The marker shown where {@code cutBytes} of an attempt's log were dropped to stay under the limit. */
    static LogChunk cutMarker(int attempt, long cutBytes) {
        return new LogChunk(
                0, attempt, "[multiarch: " + cutBytes + " bytes of this log were cut here to stay under the limit]\n");
    }

    /** Whether this is a cut marker rather than a piece of the log. */
    public boolean marker() {
        return seq == 0;
    }
}
