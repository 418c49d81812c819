package dev.multiarch.web;

import io.vertx.core.http.Cookie;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;

/**
 * Who is asking for builds: nobody in particular, a person signed in with GitHub (and the session they hold), or a
 * holder of the admin token, who is trusted with every build and so sees them all.
 */
record Viewer(SignIn.Person person, String session, boolean admin) {
    static final Viewer ANONYMOUS = new Viewer(null, null, false);
    static final Viewer ADMIN = new Viewer(null, null, true);

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
        if (c != null) {
            Optional<SignIn.Person> p = sessions.person(c.getValue());
            if (p.isPresent()) {
                return new Viewer(p.get(), c.getValue(), false);
            }
        }
        return ANONYMOUS;
    }

    /** The signed-in person's login, or null. */
    String login() {
        return person == null ? null : person.login();
    }

    @Override
    public String toString() {
        return admin ? "Viewer[admin]" : person == null ? "Viewer[anonymous]" : "Viewer[" + person.login() + "]";
    }
}
