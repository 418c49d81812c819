/**
 * The coordinator's HTTP face, on Vert.x: the runner API ({@link dev.multiarch.web.RunnerApi}: register, long-poll,
 * heartbeat, log, complete, and the runner list), the build API and pages ({@link dev.multiarch.web.BuildApi}), wired
 * in one block of routes by {@link dev.multiarch.web.CoordinatorServer}. Handlers read the coordinator through its
 * commands and {@code queries()}, never the store directly.
 *
 * <p>Every handler runs its work on the named worker pool {@code multiarch-work} (JDBC, git); the event loop only
 * parses, routes and writes. Every answer and every failure goes through {@link dev.multiarch.web.Replies}: a refusal
 * is its status and one line of JSON, {@code {"error": "…"}}; anything unexpected is a 500 whose message is a
 * reference to the logged stack trace and nothing of the exception itself.
 *
 * <pre>
 * POST /api/runners/register        201 Registered     400 body, platforms · 403 secret · 413
 * POST /api/runners/poll            200 Assignment|204 401 token
 * GET  /api/runners                 200 [RunnerView]   (no auth, like the other reads; never a token)
 * POST /api/jobs/{id}/heartbeat     200 HeartbeatReply 400 id, body · 401
 * POST /api/jobs/{id}/log?attempt=N 204                400 id, attempt · 401 · 404 job · 409 not its lease · 413
 * POST /api/jobs/{id}/complete      204                400 id, body · 401 · 409 lease lost · 413
 * POST /api/builds                  201 [BuildView]    400 body, fields · 401 · 403 secret · 413
 * GET  /api/builds?commit=SHA       200 [BuildView]
 * GET  /api/builds/{id}             200 BuildView      400 id · 404
 * POST /api/builds/{id}/cancel      204                400 id · 401 · 403 · 404 · 409 not queued or running
 * GET  /builds, /builds/{id}        HTML               400 id · 404
 * anything else                     404
 * </pre>
 */
package dev.multiarch.web;
