package dev.multiarch.web;

import dev.multiarch.dispatch.Dispatcher;
import dev.multiarch.dispatch.Protocol;
import dev.multiarch.pipeline.Coordinator;
import dev.multiarch.platform.Platform;
import dev.multiarch.store.JobRecord;
import dev.multiarch.store.JobState;
import dev.multiarch.store.RunnerRecord;
import dev.multiarch.store.Store;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The runner API ({@link Protocol} lists the messages): register, long-poll, heartbeat, log, complete; and
 * {@code GET /api/runners}, who is registered. Runners authenticate with the token registration gave them; an unknown
 * token is a 401, which tells a runner to register again.
 */
final class RunnerApi {
    private final Vertx vertx;
    private final Coordinator coordinator;
    private final Dispatcher dispatcher;
    private final Replies replies;

    RunnerApi(Vertx vertx, Coordinator coordinator, Dispatcher dispatcher, Replies replies) {
        this.vertx = vertx;
        this.coordinator = coordinator;
        this.dispatcher = dispatcher;
        this.replies = replies;
    }

    /** Blocking: the runner the request's token belongs to. */
    private RunnerRecord runner(RoutingContext ctx) {
        return coordinator
                .authenticateRunner(Requests.bearer(ctx))
                .orElseThrow(() -> new HttpError(401, "unknown runner token; register again"));
    }

    void register(RoutingContext ctx) {
        replies.json(ctx, 201, () -> {
            Protocol.Register req = Requests.body(ctx, Protocol.Register.class);
            if (req.secret() == null) {
                throw new HttpError(403, "the registration secret is missing");
            }
            boolean untrusted = trustClass(req.secret(), req.untrustedJobs());
            List<Platform> nat = Requests.platforms(req.nativePlatforms(), "nativePlatforms");
            List<Platform> qemu = Requests.platforms(req.qemuPlatforms(), "qemuPlatforms");
            if (nat.isEmpty() && qemu.isEmpty()) {
                throw new HttpError(400, "a runner must build at least one platform");
            }
            return coordinator.registerRunner(req.name(), nat, qemu, untrusted);
        });
    }

    /**
     * Whether a registering runner is one for untrusted jobs: decided by which secret it presented, never by what it
     * says of itself. A host that builds forks' code may be taken over by it, so it holds only
     * {@code runners.untrusted-registration-secret}; with the trusted secret it could register a runner that receives
     * push credentials and repository tokens. Both comparisons always run, in constant time.
     *
     * @param claimsUntrusted the runner's {@code untrusted-jobs}; it must agree with the secret (403 otherwise, so a
     *                        misconfigured host is told rather than silently given the other class)
     */
    private boolean trustClass(String secret, boolean claimsUntrusted) {
        String untrustedSecret = coordinator.config().untrustedRunnerSecret();
        boolean trusted = Requests.sameSecret(secret, coordinator.config().runnerSecret());
        boolean untrusted = untrustedSecret != null && Requests.sameSecret(secret, untrustedSecret);
        if (trusted) {
            if (claimsUntrusted) {
                throw new HttpError(
                        403,
                        "a runner for untrusted jobs registers with runners.untrusted-registration-secret, not"
                                + " runners.registration-secret (a host that builds forks' code must not hold the"
                                + " secret of trusted runners)");
            }
            return false;
        }
        if (untrusted) {
            if (!claimsUntrusted) {
                throw new HttpError(
                        403,
                        "runners.untrusted-registration-secret registers runners for untrusted jobs only: set"
                                + " untrusted-jobs: true in this runner's configuration, or give it"
                                + " runners.registration-secret");
            }
            return true;
        }
        throw new HttpError(403, "wrong registration secret");
    }

    /**
     * Long-poll: the runner waits until the dispatcher hands it a job (200, the assignment) or the poll time passes
     * (204). A runner that hangs up stops waiting, so no job is leased to a connection nobody reads.
     */
    void poll(RoutingContext ctx) {
        Context context = vertx.getOrCreateContext();
        replies.blocking(ctx, () -> new Polling(runner(ctx), holding(ctx)), p -> {
            RunnerRecord r = p.runner();
            Dispatcher.Waiter w = dispatcher.await(
                    r.id(),
                    r.nativePlatforms(),
                    r.qemuPlatforms(),
                    r.untrustedJobs(),
                    p.holding().commits(),
                    p.holding().cacheScopes());
            long timer = vertx.setTimer(coordinator.config().longPoll().toMillis(), t -> dispatcher.stopWaiting(w));
            ctx.request().connection().closeHandler(v -> dispatcher.stopWaiting(w));
            w.result()
                    .whenComplete((job, err) -> context.runOnContext(v -> {
                        vertx.cancelTimer(timer);
                        if (err != null || job == null || job.isEmpty()) {
                            if (!ctx.response().ended() && !ctx.response().closed()) {
                                ctx.response().setStatusCode(204).end();
                            }
                            return;
                        }
                        JobRecord j = job.get();
                        replies.json(ctx, 200, () -> coordinator.assignment(j));
                    }));
        });
    }

    private record Polling(RunnerRecord runner, Holding holding) {}

    /** What a polling runner says it holds, checked: commits and layer cache scopes. */
    record Holding(Set<String> commits, Set<String> cacheScopes) {
        static final Holding NOTHING = new Holding(Set.of(), Set.of());
    }

    /**
     * What a polling runner holds ({@link Protocol.Poll}); nothing for an empty body, no scopes for a poll without them
     * (older runners). Only full hex commit ids and well-formed scope names count, at most
     * {@link Protocol.Poll#MAX_COMMITS} and {@link Protocol.Poll#MAX_CACHE_SCOPES}: it is a hint for the dispatcher,
     * not worth a refusal.
     */
    static Holding holding(RoutingContext ctx) {
        String text = ctx.body() == null ? null : ctx.body().asString();
        if (text == null || text.isBlank()) {
            return Holding.NOTHING;
        }
        return holding(Requests.body(ctx, Protocol.Poll.class));
    }

    /** What a poll says, screened: the well-formed entries, at most as many of each as the protocol allows. */
    static Holding holding(Protocol.Poll poll) {
        return new Holding(
                wellFormed(poll.commits(), COMMIT, Protocol.Poll.MAX_COMMITS),
                wellFormed(poll.cacheScopes(), SCOPE, Protocol.Poll.MAX_CACHE_SCOPES));
    }

    private static Set<String> wellFormed(List<String> listed, Pattern form, int max) {
        Set<String> out = new LinkedHashSet<>();
        for (String c : listed) {
            if (out.size() == max) {
                break;
            }
            if (c != null && form.matcher(c).matches()) {
                out.add(c);
            }
        }
        return out;
    }

    private static final Pattern SCOPE = Pattern.compile("[0-9a-f]{" + Protocol.CACHE_SCOPE_DIGITS + "}");

    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}|[0-9a-f]{64}");

    void heartbeat(RoutingContext ctx) {
        replies.json(ctx, 200, () -> {
            RunnerRecord r = runner(ctx);
            long jobId = Requests.id(ctx);
            Protocol.Heartbeat hb = Requests.body(ctx, Protocol.Heartbeat.class, "attempt");
            return coordinator.heartbeat(jobId, r.id(), hb.attempt());
        });
    }

    /**
     * Log text for a job, {@code ?attempt=N}; only from the runner that holds the job, while it runs, for its current
     * attempt. Each attempt has its own log cap, so an attempt the job is not at (an old one, or one made up) is a 409:
     * otherwise a runner could write {@code store.log-limit} bytes per number it invents.
     */
    void log(RoutingContext ctx) {
        replies.noContent(ctx, () -> {
            RunnerRecord r = runner(ctx);
            long jobId = Requests.id(ctx);
            int attempt = Requests.count(ctx, "attempt", 0);
            JobRecord j = coordinator.queries().job(jobId).orElseThrow(() -> new HttpError(404, "no job " + jobId));
            if (!r.id().equals(j.runnerId())) {
                throw new HttpError(409, "job " + jobId + " is not leased to " + r.id());
            }
            if (j.state() != JobState.RUNNING || j.attempt() != attempt) {
                throw new HttpError(
                        409,
                        "job " + jobId + " is not running attempt " + attempt + " (it is "
                                + j.state().name().toLowerCase(java.util.Locale.ROOT) + ", attempt " + j.attempt()
                                + "); log not stored");
            }
            String text = ctx.body().asString();
            if (text != null && !text.isEmpty()) {
                coordinator.log(jobId, attempt, text);
            }
        });
    }

    void complete(RoutingContext ctx) {
        replies.noContent(ctx, () -> {
            RunnerRecord r = runner(ctx);
            long jobId = Requests.id(ctx);
            Protocol.Complete c = Requests.body(ctx, Protocol.Complete.class, "attempt");
            if (c.digest() == null && c.error() == null) {
                throw new HttpError(400, "Complete: give a digest (the job succeeded) or an error (it failed)");
            }
            if (coordinator.complete(jobId, r.id(), c) == Store.Completion.STALE) {
                throw new HttpError(409, "this result is for a lease that was lost; it was not recorded");
            }
        });
    }

    /** Who is registered; never a token (only its hash is stored, and that is not shown either). */
    void list(RoutingContext ctx) {
        replies.json(ctx, 200, () -> coordinator.queries().runners().stream()
                .map(RunnerView::of)
                .toList());
    }
}
