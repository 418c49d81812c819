package dev.multiarch.web;

import io.vertx.core.http.Cookie;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Signing in and out: {@code GET /login?next=PATH} sends the browser to GitHub with a fresh state,
 * {@code GET /login/callback?code&state} checks the state against the browser's cookie, trades the code for the
 * person and opens a session, {@code GET|POST /logout} ends it. See {@link Sessions} for the rules, GitHub's
 * "Generating a user access token for a GitHub App" (web application flow) for the exchange.
 */
final class SignInFlow {
    private static final Logger LOG = Logger.getLogger(SignInFlow.class.getName());

    private final Optional<SignIn> signIn;
    private final Sessions sessions;
    private final Visibility visibility;
    private final Replies replies;
    private final String redirectUri;

    SignInFlow(Optional<SignIn> signIn, Sessions sessions, Visibility visibility, Replies replies, String publicUrl) {
        this.signIn = signIn;
        this.sessions = sessions;
        this.visibility = visibility;
        this.replies = replies;
        this.redirectUri = publicUrl + Sessions.CALLBACK;
        if (signIn.isPresent()
                && !publicUrl.startsWith("https://")
                && !publicUrl.matches("http://(127\\.[0-9.]+|localhost|\\[::1])(:[0-9]+)?")) {
            LOG.warning(() -> "server.public-url is " + publicUrl + ": browsers keep the session cookie (Secure) only"
                    + " over https, so signing in will not stick; put TLS in front and give an https:// public-url");
        }
    }

    boolean enabled() {
        return signIn.isPresent();
    }

    void start(RoutingContext ctx) {
        SignIn s = configured();
        String next = Sessions.next(ctx.request().getParam("next"));
        replies.blocking(ctx, () -> sessions.begin(next), started -> {
            ctx.response().addCookie(Sessions.loginCookie(started.browser()));
            redirect(ctx, s.authorizeUrl(started.state(), redirectUri));
        });
    }

    /** A finished sign-in: the session to set, and where to go. */
    private record SignedIn(Sessions.Opened opened, String next) {}

    void callback(RoutingContext ctx) {
        SignIn s = configured();
        Cookie browser = ctx.request().getCookie(Sessions.LOGIN_COOKIE);
        ctx.response().addCookie(Sessions.cleared(Sessions.LOGIN_COOKIE));
        String state = ctx.request().getParam("state");
        String error = ctx.request().getParam("error");
        String code = ctx.request().getParam("code");
        Cookie old = ctx.request().getCookie(Sessions.SESSION_COOKIE);
        replies.blocking(
                ctx,
                () -> {
                    // The state is checked (and spent) first, whatever else the callback brings.
                    String next = sessions.finish(state, browser == null ? null : browser.getValue());
                    if (error != null) {
                        // "access_denied" when the person said no (GitHub's own error codes; nothing else is shown).
                        throw new HttpError(
                                403,
                                "GitHub did not sign you in (" + error.replaceAll("[^a-z_]", "")
                                        + "); start again at /login");
                    }
                    if (code == null || code.isBlank()) {
                        throw new HttpError(400, "the sign-in callback has no code; start again at /login");
                    }
                    SignIn.Person person = exchange(s, code);
                    if (old != null) {
                        sessions.close(old.getValue());
                    }
                    visibility.forget(person.login());
                    LOG.info(() -> person.login() + " signed in");
                    return new SignedIn(sessions.open(person), next);
                },
                in -> {
                    ctx.response()
                            .addCookie(Sessions.sessionCookie(
                                    in.opened().id(), in.opened().lifetime()));
                    redirect(ctx, in.next());
                });
    }

    void logout(RoutingContext ctx) {
        Cookie c = ctx.request().getCookie(Sessions.SESSION_COOKIE);
        replies.blocking(
                ctx,
                () -> {
                    if (c != null) {
                        sessions.close(c.getValue());
                    }
                    return Boolean.TRUE;
                },
                done -> {
                    ctx.response().addCookie(Sessions.cleared(Sessions.SESSION_COOKIE));
                    redirect(ctx, "/builds");
                });
    }

    /** Blocking: asks GitHub. Its refusals are shown; anything else is logged and answered without detail. */
    private SignIn.Person exchange(SignIn s, String code) {
        try {
            return s.exchange(code, redirectUri);
        } catch (SignIn.Refused e) {
            throw new HttpError(403, "GitHub refused the sign-in: " + e.getMessage() + "; start again at /login");
        } catch (IOException e) {
            LOG.log(Level.WARNING, "finishing a sign-in with GitHub failed: " + e.getMessage());
            throw new HttpError(502, "GitHub could not be asked who you are; try again at /login");
        }
    }

    private SignIn configured() {
        return signIn.orElseThrow(() -> new HttpError(
                404,
                "sign-in is not configured on this coordinator (it needs the GitHub App's client-id and client-secret"
                        + " under github: in config.yaml)"));
    }

    private static void redirect(RoutingContext ctx, String location) {
        ctx.response()
                .setStatusCode(302)
                .putHeader("Location", location)
                .putHeader("Cache-Control", "no-store")
                .end();
    }
}
