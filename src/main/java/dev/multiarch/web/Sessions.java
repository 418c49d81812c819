package dev.multiarch.web;

import dev.multiarch.store.SessionStore;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Who is signed in, and the sign-ins under way; both in the store ({@link SessionStore}), so that every coordinator
 * behind one address knows them: a sign-in started on one may come back to another, and a session opened on one works
 * on all (no sticky sessions), and a restart signs nobody out.
 *
 * <p>A sign-in ({@code GET /login}) makes a random {@code state}, kept for ten minutes and usable once, and a
 * second random value that only the browser which asked gets, in a short-lived cookie. The callback must bring both:
 * a state lifted from one browser (a link, a proxy log) opens nothing in another, and nobody can sign a victim in
 * as themselves with a crafted callback link (RFC 6749 §10.12, GitHub's "abort if the states don't match").
 *
 * <p>A session is a random 256-bit id in the {@value #SESSION_COOKIE} cookie ({@code HttpOnly; Secure; SameSite=Lax;
 * Path=/}); it lasts eight hours, or less when the person's GitHub token expires sooner.
 *
 * <p>Nothing the store keeps opens anything: states, browser values and session ids are stored as their SHA-256 (as
 * runner tokens are), and the person's GitHub token is sealed (AES-256-GCM) with a key derived from the session id, so
 * a copy of the database (a backup, a replica) holds no session and no token. Every method but the static ones asks
 * the store and blocks: call them from the worker pool.
 */
final class Sessions {
    static final String SESSION_COOKIE = "multiarch_session";
    /** Binds a sign-in's state to the browser that started it; sent back only to the callback. */
    static final String LOGIN_COOKIE = "multiarch_login";

    static final String CALLBACK = "/login/callback";
    static final Duration STATE_LIFETIME = Duration.ofMinutes(10);
    /** GitHub's user tokens expire after eight hours ({@code expires_in: 28800}): a session cannot outlive its token. */
    static final Duration SESSION_LIFETIME = Duration.ofHours(8);
    /** Sign-ins under way at once: every {@code GET /login} holds one for ten minutes, so anyone could fill the store. */
    static final int MAX_PENDING = 10_000;

    private static final String HOME = "/builds";
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Keeps the key that seals a token apart from the hash that names the session (both come from its id). */
    private static final byte[] SEAL_KEY_LABEL = "multiarch session token key\0".getBytes(StandardCharsets.US_ASCII);

    /** What {@code /login} hands out: the state for GitHub, and the value for the browser's cookie. */
    record Started(String state, String browser) {
        @Override
        public String toString() {
            return "Started[<redacted>]";
        }
    }

    /** A session just opened: the cookie's value and Max-Age. */
    record Opened(String id, Duration lifetime) {
        @Override
        public String toString() {
            return "Opened[<redacted>, " + lifetime + "]";
        }
    }

    private final SessionStore store;
    private final Clock clock;
    private final int maxPending;

    Sessions(SessionStore store, Clock clock) {
        this(store, clock, MAX_PENDING);
    }

    Sessions(SessionStore store, Clock clock, int maxPending) {
        this.store = store;
        this.clock = clock;
        this.maxPending = maxPending;
    }

    /** Starts a sign-in that will return to {@code next} (already checked by {@link #next}). */
    Started begin(String next) {
        Instant now = clock.instant();
        String state = random();
        String browser = random();
        if (!store.addSignIn(
                hash(state),
                new SessionStore.PendingSignIn(hash(browser), next, now.plus(STATE_LIFETIME)),
                now,
                maxPending)) {
            throw new HttpError(503, "too many sign-ins are under way; try again in a few minutes");
        }
        return new Started(state, browser);
    }

    /**
     * Ends a sign-in: the path to return to. The state is spent whatever the outcome.
     *
     * @param browser the value of the browser's {@value #LOGIN_COOKIE} cookie, or null
     */
    String finish(String state, String browser) {
        SessionStore.PendingSignIn p =
                state == null ? null : store.takeSignIn(hash(state)).orElse(null);
        if (p == null || !clock.instant().isBefore(p.expires())) {
            throw new HttpError(403, "this sign-in is unknown, already used or expired; start again at /login");
        }
        if (browser == null
                || !MessageDigest.isEqual(
                        hash(browser).getBytes(StandardCharsets.US_ASCII),
                        p.browserHash().getBytes(StandardCharsets.US_ASCII))) {
            throw new HttpError(
                    403, "this sign-in was started in another browser (or its cookie was lost); start again at /login");
        }
        return p.next();
    }

    /** A new session for {@code person}: its id and how long it lasts, for the cookie. */
    Opened open(SignIn.Person person) {
        Instant now = clock.instant();
        Instant end = now.plus(SESSION_LIFETIME);
        if (person.expires() != null && person.expires().isBefore(end)) {
            end = person.expires();
        }
        String id = random();
        String idHash = hash(id);
        store.addSession(
                idHash,
                new SessionStore.StoredSession(
                        person.login(),
                        seal(id, idHash, person.login(), person.token() == null ? "" : person.token()),
                        person.expires(),
                        end),
                now);
        return new Opened(id, Duration.between(now, end));
    }

    /** Who holds this session id, if it is open. */
    Optional<SignIn.Person> person(String id) {
        if (id == null || id.length() > 100) {
            return Optional.empty();
        }
        String idHash = hash(id);
        SessionStore.StoredSession s = store.session(idHash).orElse(null);
        if (s == null) {
            return Optional.empty();
        }
        if (!clock.instant().isBefore(s.expires())) {
            store.removeSession(idHash);
            return Optional.empty();
        }
        String token = open(id, idHash, s.login(), s.sealedToken());
        return token == null ? Optional.empty() : Optional.of(new SignIn.Person(s.login(), token, s.tokenExpires()));
    }

    void close(String id) {
        if (id != null && id.length() <= 100) {
            store.removeSession(hash(id));
        }
    }

    /**
     * Where a sign-in may return: a path on this site, else {@code /builds}. It must start with one {@code /} (not
     * {@code //host}, which browsers read as another site, nor a scheme) and hold only visible ASCII without
     * {@code \} (browsers read {@code /\host} as {@code //host}, and drop tabs and newlines before reading).
     */
    static String next(String wanted) {
        if (wanted == null
                || wanted.length() > 2000
                || !wanted.startsWith("/")
                || wanted.startsWith("//")
                || wanted.startsWith("/login")
                || wanted.startsWith("/logout")) {
            return HOME;
        }
        for (int i = 0; i < wanted.length(); i++) {
            char c = wanted.charAt(i);
            if (c <= 0x20 || c >= 0x7f || c == '\\') {
                return HOME;
            }
        }
        return wanted;
    }

    static Cookie sessionCookie(String id, Duration lifetime) {
        return cookie(SESSION_COOKIE, id, "/", lifetime);
    }

    static Cookie loginCookie(String browser) {
        return cookie(LOGIN_COOKIE, browser, CALLBACK, STATE_LIFETIME);
    }

    /** Tells the browser to forget a cookie: the same name, path and attributes, expired. */
    static Cookie cleared(String name) {
        return cookie(name, "", name.equals(LOGIN_COOKIE) ? CALLBACK : "/", Duration.ZERO);
    }

    private static Cookie cookie(String name, String value, String path, Duration lifetime) {
        return Cookie.cookie(name, value)
                .setPath(path)
                .setHttpOnly(true)
                .setSecure(true)
                .setSameSite(CookieSameSite.LAX)
                .setMaxAge(lifetime.toSeconds());
    }

    /** SHA-256, hex: what the store keeps instead of a state, a browser value or a session id. */
    static String hash(String secret) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The person's token, sealed with a key only the session id gives; bound to that session and login. */
    private static byte[] seal(String id, String idHash, String login, String token) {
        try {
            byte[] nonce = new byte[12];
            RANDOM.nextBytes(nonce);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key(id), new GCMParameterSpec(128, nonce));
            c.updateAAD((idHash + "/" + login).getBytes(StandardCharsets.UTF_8));
            byte[] sealed = c.doFinal(token.getBytes(StandardCharsets.UTF_8));
            byte[] out = new byte[nonce.length + sealed.length];
            System.arraycopy(nonce, 0, out, 0, nonce.length);
            System.arraycopy(sealed, 0, out, nonce.length, sealed.length);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot seal a session's token: " + e.getMessage(), e);
        }
    }

    /** The token, or null when the sealed bytes do not open with this id (altered in the store): no session. */
    private static String open(String id, String idHash, String login, byte[] sealed) {
        if (sealed == null || sealed.length < 12 + 16) {
            return null;
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key(id), new GCMParameterSpec(128, sealed, 0, 12));
            c.updateAAD((idHash + "/" + login).getBytes(StandardCharsets.UTF_8));
            return new String(c.doFinal(sealed, 12, sealed.length - 12), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException e) {
            return null;
        }
    }

    /** SHA-256 over a label and the session id (256 random bits): an AES-256 key the store never sees. */
    private static SecretKeySpec key(String id) throws GeneralSecurityException {
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        d.update(SEAL_KEY_LABEL);
        d.update(id.getBytes(StandardCharsets.UTF_8));
        return new SecretKeySpec(d.digest(), "AES");
    }

    private static String random() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
