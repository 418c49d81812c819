package dev.multiarch.web;

import io.vertx.core.http.Cookie;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;

/**
 * Who is asking for builds: nobody in particular, a person signed in with GitHub (and the session they hold), or a
 * holder of the admin token, who is trusted with every build and so sees them all.
 *
 * <p>Sessions live in the store, so who holds a session cookie is found out on first use of {@link #person()}, which
 * blocks: read it on the worker pool, never on the event loop.
 */
final class Viewer {
    static final Viewer ANONYMOUS = new Viewer(null, null, false);
    static final Viewer ADMIN = new Viewer(null, null, true);

    private final String session;
    private final boolean admin;
    private final Sessions sessions;
    private Optional<SignIn.Person> person;

    Viewer(SignIn.Person person, String session, boolean admin) {
        this.person = Optional.ofNullable(person);
        this.session = session;
        this.admin = admin;
        this.sessions = null;
    }

    private Viewer(Sessions sessions, String session) {
        this.sessions = sessions;
        this.session = session;
        this.admin = false;
    }

    /**
     * The viewer of a request, from its {@code Authorization: Bearer} admin token or its session cookie; no I/O, so it
     * runs on the event loop. Any other Authorization (a proxy's Basic login in front of the pages) is not ours to
     * judge and counts for nothing.
     */
    static Viewer of(RoutingContext ctx, Sessions sessions, String adminToken) {
        String auth = ctx.request().getHeader("Authorization");
        if (adminToken != null
                && auth != null
                && auth.startsWith("Bearer ")
                && Requests.sameSecret(auth.substring(7).trim(), adminToken)) {
            return ADMIN;
        }
        Cookie c = ctx.request().getCookie(Sessions.SESSION_COOKIE);
        return c == null ? ANONYMOUS : new Viewer(sessions, c.getValue());
    }

    /** The signed-in person, or null; blocking the first time (it asks the store). */
    synchronized SignIn.Person person() {
        if (person == null) {
            person = sessions.person(session);
        }
        return person.orElse(null);
    }

    /** The session cookie's value, or null. */
    String session() {
        return session;
    }

    boolean admin() {
        return admin;
    }

    /** The signed-in person's login, or null; blocking as {@link #person()}. */
    String login() {
        SignIn.Person p = person();
        return p == null ? null : p.login();
    }

    @Override
    public String toString() {
        if (admin) {
            return "Viewer[admin]";
        }
        synchronized (this) {
            if (person == null) {
                return "Viewer[session not looked up]";
            }
        }
        return person.isEmpty() ? "Viewer[anonymous]" : "Viewer[" + person.get().login() + "]";
    }
}
