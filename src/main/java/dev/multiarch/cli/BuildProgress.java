package dev.multiarch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.base.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/** Triggers builds through a coordinator's API and follows them on the terminal until they end. */
final class BuildProgress {

    private final String base;
    private final String secret;
    private final OkHttpClient http =
            new OkHttpClient.Builder().readTimeout(Duration.ofSeconds(120)).build();

    /** Released when a followed build may have changed (a coordinator in this process says so); else polled. */
    private final Semaphore changed = new Semaphore(0);

    /** How often the builds are looked at when nothing says they changed. */
    private final Duration poll;

    BuildProgress(String base, String secret) {
        this(base, secret, Duration.ofMillis(400));
    }

    BuildProgress(String base, String secret, Duration poll) {
        this.base = base.replaceAll("/+$", "");
        this.secret = secret;
        this.poll = poll;
    }

    List<Long> trigger(String repo, String cloneUrl, String commit, String ref, boolean push) throws IOException {
        var body = Json.MAPPER
                .createObjectNode()
                .put("repo", repo)
                .put("cloneUrl", cloneUrl)
                .put("commit", commit)
                .put("ref", ref)
                .put("push", push);
        Request req = new Request.Builder()
                .url(base + "/api/builds")
                .header("Authorization", "Bearer " + secret)
                .post(RequestBody.create(Json.MAPPER.writeValueAsBytes(body), MediaType.get("application/json")))
                .build();
        try (Response r = http.newCall(req).execute()) {
            byte[] bytes = r.body().bytes();
            if (r.code() != 201) {
                throw new IllegalStateException("the coordinator refused the build: HTTP " + r.code() + " "
                        + new String(bytes, java.nio.charset.StandardCharsets.UTF_8).strip());
            }
            List<Long> ids = new ArrayList<>();
            Json.MAPPER.readTree(bytes).forEach(b -> ids.add(b.get("id").asLong()));
            return ids;
        }
    }

    JsonNode build(long id) throws IOException {
        try (Response r = http.newCall(
                        new Request.Builder().url(base + "/api/builds/" + id).build())
                .execute()) {
            if (!r.isSuccessful()) {
                throw new IOException("GET /api/builds/" + id + ": HTTP " + r.code());
            }
            return Json.MAPPER.readTree(r.body().bytes());
        }
    }

    /** Prints every change until all builds end; returns them as they ended. */
    List<JsonNode> follow(List<Long> ids, PrintWriter out, Duration timeout) throws IOException {
        Map<String, String> seen = new HashMap<>();
        Instant end = Instant.now().plus(timeout);
        while (true) {
            List<JsonNode> builds = new ArrayList<>();
            boolean allDone = true;
            for (long id : ids) {
                JsonNode b = build(id);
                builds.add(b);
                say(
                        out,
                        seen,
                        "b" + id,
                        "build " + id + " (" + b.path("image").asText("?") + "): "
                                + b.path("state").asText()
                                + (b.hasNonNull("error")
                                        ? " — " + b.get("error").asText()
                                        : ""));
                for (JsonNode j : b.path("jobs")) {
                    String s = j.path("state").asText();
                    String detail =
                            switch (s) {
                                case "running" ->
                                    " on " + j.path("runner").asText() + " (attempt "
                                            + j.path("attempt").asInt() + ")";
                                case "succeeded" -> " " + j.path("digest").asText() + seconds(j);
                                case "failed" -> " — " + j.path("error").asText();
                                default -> "";
                            };
                    say(
                            out,
                            seen,
                            "j" + j.path("id").asLong(),
                            "  " + pad(j.path("platform").asText()) + " " + s + detail);
                }
                // The coordinator says when a build will not change any more (BuildState.terminal()).
                allDone &= b.path("terminal").asBoolean(false);
            }
            out.flush();
            if (allDone) {
                return builds;
            }
            if (Instant.now().isAfter(end)) {
                throw new IOException("the builds did not finish within " + timeout.toMinutes() + " minutes");
            }
            try {
                // Polled, or at once when told: a local build ends when its index is published, not up to a poll
                // later.
                changed.tryAcquire(poll.toMillis(), TimeUnit.MILLISECONDS);
                changed.drainPermits();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while following the builds", e);
            }
        }
    }

    /** A build may have changed: look now rather than at the next poll. */
    void changed() {
        changed.release();
    }

    private static String seconds(JsonNode j) {
        return j.hasNonNull("seconds")
                ? String.format(Locale.ROOT, " (%.1f s)", j.get("seconds").asDouble())
                : "";
    }

    private static String pad(String s) {
        return s.length() >= 14 ? s : s + " ".repeat(14 - s.length());
    }

    private static void say(PrintWriter out, Map<String, String> seen, String key, String line) {
        if (!line.equals(seen.get(key))) {
            seen.put(key, line);
            out.println(line);
            out.flush();
        }
    }

    /** The closing summary of one build: what was published where. */
    static void summary(PrintWriter out, JsonNode b) throws IOException {
        out.println();
        out.println("build " + b.path("id").asLong() + ": " + b.path("state").asText() + "  "
                + b.path("url").asText());
        if (b.path("state").asText().equals("published") && b.hasNonNull("indexDigest")) {
            JsonNode pub = Json.MAPPER.readTree(b.path("published").asText("{}"));
            List<String> tags = new ArrayList<>();
            pub.path("tags").forEach(t -> tags.add(t.asText()));
            out.println("  index   " + b.path("indexDigest").asText());
            out.println("  tags    "
                    + String.join(
                            ", ",
                            tags.stream()
                                    .map(t -> b.path("image").asText() + ":" + t)
                                    .toList()));
            pub.path("skipped").forEach(s -> out.println("  kept    " + s.asText()));
        } else if (b.path("state").asText().equals("published")) {
            out.println("  nothing published (build and verify only, or every tag belongs to a newer build)");
        }
        for (JsonNode j : b.path("jobs")) {
            out.println("  " + pad(j.path("platform").asText()) + " "
                    + j.path("digest").asText(j.path("state").asText()) + seconds(j));
        }
    }

    void close() {
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
    }
}
