package dev.multiarch.web;

import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Who is signed in, and the sign-ins under way; both in this process's memory (a restart signs everyone out).
 *
 * <p>A sign-in ({@code GET /login}) makes a random {@code state}, kept here for ten minutes and usable once, and a
 * second random value that only the browser which asked gets, in a short-lived cookie. The callback must bring both:
 * a state lifted from one browser (a link, a proxy log) opens nothing in another, and nobody can sign a victim in
 * as themselves with a crafted callback link (RFC 6749 §10.12, GitHub's "abort if the states don't match").
 *
 * <p>A session is a random 256-bit id in the {@value #SESSION_COOKIE} cookie ({@code HttpOnly; Secure; SameSite=Lax;
 * Path=/}); it lasts eight hours, or less when the person's GitHub token expires sooner.
 */
final class Sessions {
    static final String SESSION_COOKIE = "multiarch_session";
    /** Binds a sign-in's state to the browser that started it; sent back only to the callback. */
    static final String LOGIN_COOKIE = "multiarch_login";

    static final String CALLBACK = "/login/callback";
    static final Duration STATE_LIFETIME = Duration.ofMinutes(10);
    /** GitHub's user tokens expire after eight hours ({@code expires_in: 28800}): a session cannot outlive its token. */
    static final Duration SESSION_LIFETIME = Duration.ofHours(8);
    /** Sign-ins under way at once: every {@code GET /login} holds one for ten minutes, so anyone could fill memory. */
    static final int MAX_PENDING = 10_000;

    private static final String HOME = "/builds";
    private static final SecureRandom RANDOM = new SecureRandom();

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

    private record Pending(String browser, String next, Instant expires) {}

    private record Session(SignIn.Person person, Instant expires) {}

    private final Clock clock;
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();

    Sessions(Clock clock) {
        this.clock = clock;
    }

    /** Starts a sign-in that will return to {@code next} (already checked by {@link #next}). */
    Started begin(String next) {
        Instant now = clock.instant();
        if (pending.size() >= MAX_PENDING) {
            pending.values().removeIf(p -> !now.isBefore(p.expires));
        }
        if (pending.size() >= MAX_PENDING) {
            throw new HttpError(503, "too many sign-ins are under way; try again in a few minutes");
        }
        String state = random();
        String browser = random();
        pending.put(state, new Pending(browser, next, now.plus(STATE_LIFETIME)));
        return new Started(state, browser);
    }

    /**
     * Ends a sign-in: the path to return to. The state is spent whatever the outcome.
     *
     * @param browser the value of the browser's {@value #LOGIN_COOKIE} cookie, or null
     */
    String finish(String state, String browser) {
        Pending p = state == null ? null : pending.remove(state);
        if (p == null || !clock.instant().isBefore(p.expires)) {
            throw new HttpError(403, "this sign-in is unknown, already used or expired; start again at /login");
        }
        if (browser == null
                || !MessageDigest.isEqual(
                        browser.getBytes(StandardCharsets.UTF_8), p.browser.getBytes(StandardCharsets.UTF_8))) {
            throw new HttpError(
                    403, "this sign-in was started in another browser (or its cookie was lost); start again at /login");
        }
        return p.next;
    }

    /** A new session for {@code person}: its id and how long it lasts, for the cookie. */
    Opened open(SignIn.Person person) {
        Instant now = clock.instant();
        sessions.values().removeIf(s -> !now.isBefore(s.expires));
        Instant end = now.plus(SESSION_LIFETIME);
        if (person.expires() != null && person.expires().isBefore(end)) {
            end = person.expires();
        }
        String id = random();
        sessions.put(id, new Session(person, end));
        return new Opened(id, Duration.between(now, end));
    }

    /** Who holds this session id, if it is open. */
    Optional<SignIn.Person> person(String id) {
        if (id == null) {
            return Optional.empty();
        }
        Session s = sessions.get(id);
        if (s == null) {
            return Optional.empty();
        }
        if (!clock.instant().isBefore(s.expires)) {
            sessions.remove(id, s);
            return Optional.empty();
        }
        return Optional.of(s.person);
    }

    void close(String id) {
        if (id != null) {
            sessions.remove(id);
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

    private static String random() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
