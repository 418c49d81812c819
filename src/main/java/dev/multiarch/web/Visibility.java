package dev.multiarch.web;

import dev.multiarch.store.BuildRecord;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * Which builds a viewer sees. A public repository's builds: everyone. A private repository's: a holder of the admin
 * token, and a signed-in person GitHub says can read that repository, asked with their own token. The answer is
 * remembered per (login, repository) for five minutes: a list of a hundred builds asks once per repository, and a
 * person who loses access stops seeing its builds within five minutes. When GitHub cannot answer, the build is not
 * shown (and GitHub is not asked again for half a minute, so a list does not wait on one timeout per build).
 *
 * <p>Blocking (it may ask GitHub): call it from the worker pool, as every handler's work is.
 */
final class Visibility {
    private static final Logger LOG = Logger.getLogger(Visibility.class.getName());
    static final Duration REMEMBER = Duration.ofMinutes(5);
    static final Duration REMEMBER_FAILURE = Duration.ofSeconds(30);
    private static final int MAX_REMEMBERED = 10_000;

    private record Key(String login, String repo) {}

    private record Answer(boolean reads, Instant until) {}

    private final Optional<SignIn> signIn;
    private final Sessions sessions;
    private final Clock clock;
    private final Map<Key, Answer> answers = new ConcurrentHashMap<>();

    Visibility(Optional<SignIn> signIn, Sessions sessions, Clock clock) {
        this.signIn = signIn;
        this.sessions = sessions;
        this.clock = clock;
    }

    boolean sees(Viewer v, BuildRecord b) {
        if (!b.privateRepo() || v.admin()) {
            return true;
        }
        if (v.person() == null || signIn.isEmpty()) {
            return false;
        }
        Key key = new Key(v.person().login(), b.repo().toLowerCase(Locale.ROOT));
        Instant now = clock.instant();
        Answer known = answers.get(key);
        if (known != null && now.isBefore(known.until)) {
            return known.reads;
        }
        // A session that ended while this request ran (its token was found dead a moment ago) asks nothing more.
        if (sessions.person(v.session()).isEmpty()) {
            return false;
        }
        try {
            boolean reads = signIn.get().canRead(v.person(), b.repo());
            remember(key, new Answer(reads, now.plus(REMEMBER)));
            return reads;
        } catch (SignIn.Expired e) {
            LOG.info(() -> v.person().login() + " is signed out: " + e.getMessage());
            sessions.close(v.session());
            return false;
        } catch (IOException e) {
            LOG.warning(() -> "could not ask GitHub whether " + v.person().login() + " may read " + b.repo() + ": "
                    + e.getMessage() + "; its builds are not shown to them for now");
            remember(key, new Answer(false, now.plus(REMEMBER_FAILURE)));
            return false;
        }
    }

    /** Forgets what GitHub said about {@code login}: a person who signs in again is asked afresh. */
    void forget(String login) {
        answers.keySet().removeIf(k -> k.login.equals(login));
    }

    private void remember(Key key, Answer a) {
        if (answers.size() >= MAX_REMEMBERED) {
            Instant now = clock.instant();
            answers.values().removeIf(x -> !now.isBefore(x.until));
            if (answers.size() >= MAX_REMEMBERED) {
                answers.clear();
            }
        }
        answers.put(key, a);
    }
}
