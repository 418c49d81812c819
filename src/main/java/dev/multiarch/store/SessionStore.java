package dev.multiarch.store;

import java.time.Instant;
import java.util.Optional;

/**
 * Sign-ins under way and signed-in sessions, shared by every coordinator on the store (table {@code sign_ins} and
 * {@code sessions}, V12). It holds no secret in the clear: callers pass the SHA-256 of a state or session id, and a
 * person's token sealed with a key only the browser's session id gives (see {@code web/Sessions}). Blocking (JDBC).
 */
public interface SessionStore {
    /** A sign-in under way: the hash of the browser's cookie value, where it returns, and until when it counts. */
    record PendingSignIn(String browserHash, String next, Instant expires) {}

    /** An open session: whose, their sealed GitHub token and when it expires, and when the session ends. */
    record StoredSession(String login, byte[] sealedToken, Instant tokenExpires, Instant expires) {
        @Override
        public String toString() {
            return "StoredSession[" + login + ", sealed token, until " + expires + "]";
        }
    }

    /**
     * Records a sign-in under {@code stateHash}, first deleting those expired by {@code now}; false (nothing recorded)
     * when {@code maxPending} are already under way.
     */
    boolean addSignIn(String stateHash, PendingSignIn signIn, Instant now, int maxPending);

    /** Removes and returns the sign-in under {@code stateHash}: of callers racing for one, only one gets it. */
    Optional<PendingSignIn> takeSignIn(String stateHash);

    /** Records a session under {@code idHash}, first deleting the sessions that ended by {@code now}. */
    void addSession(String idHash, StoredSession session, Instant now);

    Optional<StoredSession> session(String idHash);

    void removeSession(String idHash);
}
