package dev.multiarch.store;

/** A piece of a job's log, in order of {@code seq}. */
public record LogChunk(long seq, int attempt, String text) {}
