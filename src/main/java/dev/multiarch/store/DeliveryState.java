package dev.multiarch.store;

import java.util.Locale;

/**
 * What became of a webhook delivery, stored as its {@link #word()} (the column holds the lower-case words rows have
 * always held). Only {@code received} is open: it is processed (again) by whichever coordinator holds it.
 */
public enum DeliveryState {
    /** Acknowledged and stored; not processed yet (or to be tried again). */
    RECEIVED,
    /** Routed: builds started, cancelled or re-run as the event asked. */
    PROCESSED,
    /** Nothing to do (an event or ref no workflow wants, a repository or installation that is not ours). */
    IGNORED,
    /** Processing failed for good (GitHub unreachable every time, or an error); the note says why. */
    FAILED;

    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The state a stored word names; an unknown word is refused (a row written by a newer multiarch). */
    public static DeliveryState of(String word) {
        for (DeliveryState s : values()) {
            if (s.word().equals(word)) {
                return s;
            }
        }
        throw new IllegalArgumentException("no delivery state '" + word + "'");
    }
}
