/**
 * The coordinator's HTTP face, on Vert.x: the runner API ({@link dev.multiarch.web.RunnerApi}: register, long-poll,
 * heartbeat, log, complete, and the runner list), the build API ({@link dev.multiarch.web.BuildApi}), the dashboard
 * ({@link dev.multiarch.web.Pages}, live progress {@link dev.multiarch.web.BuildEvents}, {@link dev.multiarch.web.Badges}), wired
 * in one block of routes by {@link dev.multiarch.web.CoordinatorServer}. Handlers read the coordinator through its
 * commands and {@code queries()}, never the store directly.
 *
 * <p>Every handler runs its work on the named worker pool {@code multiarch-work} (JDBC, git); the event loop only
 * parses, routes and writes. Every answer and every failure goes through {@link dev.multiarch.web.Replies}: a refusal
 * is its status and one line of JSON, {@code {"error": "…"}}; anything unexpected is a 500 whose message is a
 * reference to the logged stack trace and nothing of the exception itself.
 *
 * <p>Who sees which build ({@link dev.multiarch.web.Visibility}): builds of public repositories are public; builds of
 * private ones are shown to a holder of the admin token and to people signed in with GitHub
 * ({@link dev.multiarch.web.SignInFlow}, {@link dev.multiarch.web.Sessions}; the {@link dev.multiarch.web.SignIn} is
 * the GitHub integration's) whom GitHub's API, asked with their own token, lets read the repository. Everywhere else
 * such a build is left out of lists, and by id it is the 404 of a build that does not exist.
 *
 * <pre>
 * POST /api/runners/register        201 Registered     400 body, platforms · 403 secret · 413
 * POST /api/runners/poll            200 Assignment|204 401 token
 * GET  /api/runners                 200 [RunnerView]   (no auth, like the other reads; never a token)
 * POST /api/jobs/{id}/heartbeat     200 HeartbeatReply 400 id, body · 401
 * POST /api/jobs/{id}/log?attempt=N 204                400 id, attempt · 401 · 404 job · 409 not its lease · 413
 * POST /api/jobs/{id}/complete      204                400 id, body · 401 · 409 lease lost · 413
 * POST /api/builds                  201 [BuildView]    400 body, fields · 401 · 403 secret · 413
 * GET  /api/builds?commit=SHA       200 [BuildView]    (what the viewer may see)
 * GET  /api/builds/{id}             200 BuildView      400 id · 404 (also: not the viewer's to see)
 * POST /api/builds/{id}/cancel      204                400 id · 401 · 403 · 404 · 409 not queued or running
 * GET  /builds?repo&state&ref&before HTML (matrix)    400 state, before
 * GET  /builds/{id}                 HTML               400 id · 404 (also: not the viewer's to see)
 * GET  /builds/{id}/events          text/event-stream  400 id, after · 404 (as the page) · 503 too many streams
 * GET  /images[?name=IMAGE]         HTML               404 no such image (also: none of its tags the viewer's)
 * GET  /runners                     HTML
 * GET  /badges/{owner}/{repo}.svg   SVG                404 unknown repository (also: a private one, same bytes)
 * GET  /badges/{owner}/{repo}/platforms.svg   SVG      404 as above
 * GET  /assets/dashboard.js         the pages' script
 * GET  /login?next=PATH             302 to GitHub      404 sign-in not configured · 503 too many under way
 * GET  /login/callback?code&state   302 to PATH        400 no code · 403 state, browser, GitHub's refusal · 502
 * GET|POST /logout                  302 to /builds
 * anything else                     404
 * </pre>
 */
package dev.multiarch.web;
