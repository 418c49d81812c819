package dev.multiarch.config;

import java.util.Arrays;
import java.util.Optional;

/** An attestation a build can attach to each platform image ({@code .multiarch.yaml} {@code attestations:}). */
public enum Attestation {
    /** SLSA Provenance v1 in an in-toto statement, stored as buildx stores it. */
    PROVENANCE("provenance");

    private final String word;

    Attestation(String word) {
        this.word = word;
    }

    public String word() {
        return word;
    }

    public static Optional<Attestation> of(String word) {
        return Arrays.stream(values()).filter(a -> a.word.equals(word)).findFirst();
    }
}
