package dev.multiarch.web;

import java.io.IOException;
import java.time.Instant;

/**
 * Signing in, as the pages need it: where to send a person, who came back, and whether they may read a repository.
 * The GitHub integration offers one ({@link CoordinatorApp.Plugin#signIn()}, GitHub's web flow for an App's user
 * authorization); without one nobody signs in, and builds of private repositories are shown to no one but a holder of
 * the admin token. Every method but {@link #authorizeUrl} asks GitHub over HTTP and blocks: call them from the worker
 * pool.
 */
public interface SignIn {
    /** Where the browser goes to sign in; it comes back to {@code redirectUri} with a code and this {@code state}. */
    String authorizeUrl(String state, String redirectUri);

    /**
     * The person a code belongs to: trades it for their token, then asks who they are.
     *
     * @throws Refused     GitHub said no (a used or expired code, wrong client credentials)
     * @throws IOException GitHub could not be reached or answered something else
     */
    Person exchange(String code, String redirectUri) throws IOException, Refused;

    /**
     * Whether {@code person} may read {@code repo} ({@code owner/name}), asked with their own token.
     *
     * @throws Expired     their token no longer works (revoked, expired): their session is over
     * @throws IOException GitHub could not be reached, or did not answer yes or no (rate limits)
     */
    boolean canRead(Person person, String repo) throws IOException, Expired;

    /**
     * Someone signed in: their login, and the token that asks GitHub on their behalf until {@code expires}. The token
     * is never shown, logged or sent anywhere but to GitHub.
     */
    record Person(String login, String token, Instant expires) {
        @Override
        public String toString() {
            return "Person[" + login + ", token <redacted>, expires " + expires + "]";
        }
    }

    /** GitHub refused to sign someone in; the message is GitHub's error code and description, safe to show. */
    final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        public Refused(String message) {
            super(message, null, false, false);
        }
    }

    /** The person's token no longer works: they have to sign in again. */
    final class Expired extends Exception {
        private static final long serialVersionUID = 1L;

        public Expired(String message) {
            super(message, null, false, false);
        }
    }
}
