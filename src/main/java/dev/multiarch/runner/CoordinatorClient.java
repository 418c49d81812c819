package dev.multiarch.runner;

import dev.multiarch.base.Backoff;
import dev.multiarch.base.Json;
import dev.multiarch.dispatch.Protocol;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * The runner's side of the runner API. Connects out only. Calls that report something (heartbeat, log, result)
 * outlive a coordinator restart: they retry with backoff until their deadline.
 */
final class CoordinatorClient {
    private static final MediaType JSON_TYPE = MediaType.get("application/json");

    /** Coordinator restarting or unreachable while a job reports: doubling from 200 ms up to 5 s, until the deadline. */
    private static final Backoff RETRY = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(5));

    private final String base;
    private final OkHttpClient http;
    private final Clock clock;
    private volatile String token;

    /** The clock every deadline of this runner is read from. */
    Clock clock() {
        return clock;
    }

    /** The coordinator refused us: bad secret, unknown token, a lease no longer ours. */
    static final class Refused extends IOException {
        private static final long serialVersionUID = 1L;

        final int status;

        Refused(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    CoordinatorClient(String base, Duration longPoll, Clock clock) {
        this.base = base;
        this.clock = clock;
        this.http = new OkHttpClient.Builder()
                .connectTimeout(Duration.ofSeconds(10))
                .readTimeout(longPoll.plusSeconds(30))
                .writeTimeout(Duration.ofSeconds(60))
                .retryOnConnectionFailure(true)
                .build();
    }

    void token(String t) {
        this.token = t;
    }

    String base() {
        return base;
    }

    Protocol.Registered register(Protocol.Register r) throws IOException {
        return Json.MAPPER.readValue(
                call("POST", "/api/runners/register", Json.MAPPER.writeValueAsBytes(r), JSON_TYPE, false),
                Protocol.Registered.class);
    }

    /**
     * Waits for a job, saying which commits and layer cache scopes this runner holds; empty when the long-poll ended
     * without one.
     */
    Optional<Protocol.Assignment> poll(Protocol.Poll holding) throws IOException {
        byte[] b = call("POST", "/api/runners/poll", Json.MAPPER.writeValueAsBytes(holding), JSON_TYPE, true);
        return b.length == 0 ? Optional.empty() : Optional.of(Json.MAPPER.readValue(b, Protocol.Assignment.class));
    }

    Protocol.HeartbeatReply heartbeat(long jobId, int attempt, Instant deadline) throws IOException {
        return Json.MAPPER.readValue(
                retrying(
                        deadline,
                        () -> call(
                                "POST",
                                "/api/jobs/" + jobId + "/heartbeat",
                                Json.MAPPER.writeValueAsBytes(new Protocol.Heartbeat(attempt)),
                                JSON_TYPE,
                                true)),
                Protocol.HeartbeatReply.class);
    }

    void log(long jobId, int attempt, String text, Instant deadline) throws IOException {
        retrying(
                deadline,
                () -> call(
                        "POST",
                        "/api/jobs/" + jobId + "/log?attempt=" + attempt,
                        text.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        MediaType.get("text/plain; charset=utf-8"),
                        true));
    }

    void complete(long jobId, Protocol.Complete c, Instant deadline) throws IOException {
        retrying(
                deadline,
                () -> call(
                        "POST", "/api/jobs/" + jobId + "/complete", Json.MAPPER.writeValueAsBytes(c), JSON_TYPE, true));
    }

    private interface Call {
        byte[] run() throws IOException;
    }

    /** Retries connection failures and 5xx until {@code deadline}; a refusal (4xx) is final. */
    private byte[] retrying(Instant deadline, Call c) throws IOException {
        for (int retry = 0; ; retry++) {
            try {
                return c.run();
            } catch (Refused r) {
                if (r.status < 500) {
                    throw r;
                }
                if (clock.instant().isAfter(deadline)) {
                    throw r;
                }
            } catch (IOException e) {
                if (clock.instant().isAfter(deadline)) {
                    throw e;
                }
            }
            LockSupport.parkNanos(RETRY.delay(retry).toNanos());
        }
    }

    private byte[] call(String method, String path, byte[] body, MediaType type, boolean auth) throws IOException {
        Request.Builder rb = new Request.Builder().url(base + path).method(method, RequestBody.create(body, type));
        if (auth) {
            rb.header("Authorization", "Bearer " + token);
        }
        try (Response r = http.newCall(rb.build()).execute()) {
            byte[] bytes = r.body().bytes();
            if (r.code() == 204) {
                return new byte[0];
            }
            if (!r.isSuccessful()) {
                String msg = new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
                try {
                    msg = Json.MAPPER.readTree(bytes).path("error").asText(msg);
                } catch (IOException ignored) {
                    // not JSON
                }
                throw new Refused(r.code(), method + " " + path + ": HTTP " + r.code() + ": " + msg.strip());
            }
            return bytes;
        }
    }

    void close() {
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
    }
}
