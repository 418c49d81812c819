package dev.multiarch.web;

import dev.multiarch.base.Json;
import dev.multiarch.pipeline.BuildListener;
import dev.multiarch.pipeline.BuildQueries;
import dev.multiarch.pipeline.Coordinator;
import dev.multiarch.store.LogChunk;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * A build's live progress as Server-Sent Events ({@code GET /builds/{id}/events}, HTML living standard §9.2): event
 * {@code build} carries the page's fragments re-rendered when the build or a job changed, {@code log} a piece of a
 * job's log as it arrives, {@code end} that the build finished and the stream closes (the page's script then stops,
 * where an EventSource would otherwise reconnect).
 *
 * <p>What drives a stream: this coordinator's {@link BuildListener} (at once) and a check of the store every
 * {@link #TICK_MILLIS} ms, which is how progress recorded by another coordinator sharing the PostgreSQL store
 * arrives. Each check sends only what changed since the stream's last event: the fragments when they differ, the log
 * chunks after the stream's cursor for each job. Each event's {@code id} is those cursors ({@code job.seq,…}), so a
 * browser reconnecting with {@code Last-Event-ID} goes on where it stopped; the page gives the cursors of the log
 * tail it rendered ({@code ?after=}).
 *
 * <p>Bounds: at most {@link #MAX_STREAMS} streams at once (503 beyond); at most {@link #MAX_CHUNKS} chunks per job
 * per check and {@link #MAX_EVENT_BYTES} of log per event (a larger chunk keeps its end, where builds fail, and
 * says how much it left out); a client that does not read (its write queue full) is skipped until it does, and its
 * cursors stay put. A stream closes at the build's end, when the client goes, when the viewer may no longer see the
 * build, and when the server stops.
 */
final class BuildEvents {
    private static final Logger LOG = Logger.getLogger(BuildEvents.class.getName());
    static final int MAX_STREAMS = 64;
    static final long TICK_MILLIS = 1000;
    static final int MAX_CHUNKS = 32;
    static final int MAX_EVENT_BYTES = 64 * 1024;
    /** A comment every so many quiet checks, so that proxies keep the connection and a gone client is noticed. */
    private static final int KEEPALIVE_TICKS = 15;

    private final Vertx vertx;
    private final WorkerExecutor worker;
    private final Coordinator coordinator;
    private final Visibility visibility;
    private final Function<BuildQueries.BuildWithJobs, BuildView> views;
    private final Set<Stream> streams = ConcurrentHashMap.newKeySet();
    private final AtomicInteger open = new AtomicInteger();
    private final BuildListener listener = (b, jobs) -> poke(b.id());
    private final long timer;

    BuildEvents(
            Vertx vertx,
            WorkerExecutor worker,
            Coordinator coordinator,
            Visibility visibility,
            Function<BuildQueries.BuildWithJobs, BuildView> views) {
        this.vertx = vertx;
        this.worker = worker;
        this.coordinator = coordinator;
        this.visibility = visibility;
        this.views = views;
        coordinator.addListener(listener);
        this.timer = vertx.setPeriodic(TICK_MILLIS, t -> streams.forEach(Stream::tick));
    }

    /** Closes every stream and stops listening. */
    void close() {
        vertx.cancelTimer(timer);
        coordinator.removeListener(listener);
        streams.forEach(Stream::end);
    }

    private void poke(long buildId) {
        streams.stream().filter(s -> s.buildId == buildId).forEach(Stream::check);
    }

    /** On the event loop: a stream for build {@code id}, if the viewer may see it (else the same 404 as the page). */
    void open(RoutingContext ctx, long id, Viewer viewer) {
        if (open.incrementAndGet() > MAX_STREAMS) {
            open.decrementAndGet();
            ctx.fail(new HttpError(503, "too many live streams (at most " + MAX_STREAMS + "); reload later"));
            return;
        }
        Map<Long, Long> cursors;
        try {
            String last = ctx.request().getHeader("Last-Event-ID");
            cursors = parseCursors(last != null ? last : ctx.request().getParam("after"));
        } catch (HttpError e) {
            open.decrementAndGet();
            ctx.fail(e);
            return;
        }
        Stream s = new Stream(ctx, id, viewer, cursors, vertx.getOrCreateContext());
        worker.executeBlocking(
                        () -> coordinator
                                .queries()
                                .build(id)
                                .filter(b -> visibility.sees(viewer, b.build()))
                                .isPresent(),
                        false)
                .onComplete(ar -> {
                    if (ar.failed() || !ar.result()) {
                        open.decrementAndGet();
                        ctx.fail(ar.failed() ? ar.cause() : new HttpError(404, "no build " + id));
                        return;
                    }
                    s.start();
                });
    }

    /** The cursor just before a log's tail: the seq before its first chunk (a cut marker is not a chunk). */
    static long tailStart(List<LogChunk> tail) {
        return tail.stream()
                        .filter(c -> !c.marker())
                        .mapToLong(LogChunk::seq)
                        .min()
                        .orElse(1L)
                - 1;
    }

    /** {@code job.seq,job.seq}: where each job's log goes on. */
    static Map<Long, Long> parseCursors(String text) {
        Map<Long, Long> out = new LinkedHashMap<>();
        if (text == null || text.isBlank()) {
            return out;
        }
        String[] parts = text.split(",");
        if (parts.length > 256) {
            throw new HttpError(400, "after: too many jobs");
        }
        for (String p : parts) {
            String[] kv = p.trim().split("\\.", 2);
            try {
                out.put(Long.parseLong(kv[0]), kv.length == 2 ? Long.parseLong(kv[1]) : 0L);
            } catch (NumberFormatException e) {
                throw new HttpError(400, "after: expected job.seq pairs separated by commas");
            }
        }
        return out;
    }

    private static String cursorText(Map<Long, Long> cursors) {
        StringBuilder b = new StringBuilder();
        cursors.forEach((j, s) ->
                b.append(b.length() == 0 ? "" : ",").append(j).append('.').append(s));
        return b.toString();
    }

    /** What one check found: the events to send and where the cursors then stand. */
    private record Found(boolean gone, String fragments, List<String> events, Map<Long, Long> cursors, boolean end) {}

    private final class Stream {
        final RoutingContext ctx;
        final HttpServerResponse res;
        final long buildId;
        final Viewer viewer;
        final Context context;
        /** Touched on {@link #context} only. */
        Map<Long, Long> cursors;

        String lastFragments;
        boolean busy;
        boolean again;
        boolean ended;
        int quiet;

        Stream(RoutingContext ctx, long buildId, Viewer viewer, Map<Long, Long> cursors, Context context) {
            this.ctx = ctx;
            this.res = ctx.response();
            this.buildId = buildId;
            this.viewer = viewer;
            this.cursors = cursors;
            this.context = context;
        }

        void start() {
            res.setChunked(true)
                    .putHeader("Content-Type", "text/event-stream; charset=utf-8")
                    .putHeader("Cache-Control", "private, no-store")
                    .putHeader("X-Accel-Buffering", "no");
            res.closeHandler(v -> end());
            res.write("retry: 2000\n\n");
            streams.add(this);
            check();
        }

        void tick() {
            context.runOnContext(v -> {
                if (++quiet >= KEEPALIVE_TICKS && !ended) {
                    quiet = 0;
                    res.write(": keepalive\n\n");
                }
                run();
            });
        }

        void check() {
            context.runOnContext(v -> run());
        }

        /** On the stream's context: one check at a time; a poke during a check asks for another after it. */
        private void run() {
            if (ended) {
                return;
            }
            if (busy) {
                again = true;
                return;
            }
            busy = true;
            again = false;
            Map<Long, Long> from = new LinkedHashMap<>(cursors);
            String before = lastFragments;
            worker.executeBlocking(() -> find(from, before), false).onComplete(ar -> {
                busy = false;
                if (ended) {
                    return;
                }
                if (ar.failed()) {
                    LOG.warning(() -> "live stream of build " + buildId + ": " + ar.cause());
                    return;
                }
                Found f = ar.result();
                if (f.gone()) {
                    end();
                    return;
                }
                if (res.writeQueueFull()) {
                    // A client that does not read is not written to; its cursors stay, and it catches up later.
                    res.drainHandler(d -> check());
                    return;
                }
                for (String ev : f.events()) {
                    res.write(ev);
                }
                if (!f.events().isEmpty()) {
                    quiet = 0;
                }
                lastFragments = f.fragments();
                cursors = f.cursors();
                if (f.end()) {
                    res.write("event: end\ndata: {}\n\n");
                    end();
                } else if (again) {
                    run();
                }
            });
        }

        /** On a worker: what changed since {@code from} and {@code before}. */
        private Found find(Map<Long, Long> from, String before) throws Exception {
            BuildQueries q = coordinator.queries();
            BuildQueries.BuildWithJobs b = q.build(buildId).orElse(null);
            if (b == null || !visibility.sees(viewer, b.build())) {
                return new Found(true, before, List.of(), from, false);
            }
            BuildView v = views.apply(b);
            List<String> events = new ArrayList<>();
            String fragments = Json.writeString(Map.of(
                    "state", v.state(),
                    "terminal", v.terminal(),
                    "html", BuildPage.fragments(v, q.emulation(b.jobs()))));
            boolean drained = true;
            Map<Long, Long> to = new LinkedHashMap<>(from);
            for (BuildView.JobView j : v.jobs()) {
                if (!to.containsKey(j.id())) {
                    // No cursor for this job (a stream opened without ?after, a job the page did not list): the
                    // tail the page would show, not the whole capped log from its first chunk.
                    to.put(j.id(), tailStart(q.logTailChunks(j.id(), Pages.PAGE_LOG_BYTES)));
                }
                long after = to.get(j.id());
                List<LogChunk> chunks = q.logs(j.id(), after, MAX_CHUNKS);
                drained &= chunks.size() < MAX_CHUNKS;
                StringBuilder text = new StringBuilder();
                for (LogChunk c : chunks) {
                    text.append(c.text());
                    if (!c.marker()) {
                        after = Math.max(after, c.seq());
                    }
                }
                if (text.length() > 0) {
                    to.put(j.id(), after);
                    events.add("id: " + cursorText(to) + "\nevent: log\ndata: "
                            + Json.writeString(Map.of("job", j.id(), "text", bounded(text.toString()))) + "\n\n");
                }
            }
            // The fragments after the log, so that a page shown "failed" already has the log that says why.
            if (!fragments.equals(before)) {
                events.add("id: " + cursorText(to) + "\nevent: build\ndata: " + fragments + "\n\n");
            }
            return new Found(false, fragments, events, to, v.terminal() && drained);
        }

        void end() {
            context.runOnContext(v -> {
                if (ended) {
                    return;
                }
                ended = true;
                streams.remove(this);
                open.decrementAndGet();
                if (!res.ended() && !res.closed()) {
                    res.end();
                }
            });
        }
    }

    /** At most {@link #MAX_EVENT_BYTES} of UTF-8: the end of the text, after a line saying how much was left out. */
    static String bounded(String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        if (utf8.length <= MAX_EVENT_BYTES) {
            return text;
        }
        int from = utf8.length - MAX_EVENT_BYTES;
        while (from < utf8.length && (utf8[from] & 0xC0) == 0x80) {
            from++;
        }
        return "[multiarch: " + from + " bytes not streamed here; the full log is in the store]\n"
                + new String(utf8, from, utf8.length - from, StandardCharsets.UTF_8);
    }
}
