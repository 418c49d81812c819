package dev.multiarch.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.multiarch.base.Json;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/** A test's view of a coordinator over HTTP: trigger builds, read them, wait for them. */
public final class CoordinatorApi {
    /** The program's one JSON configuration ({@link Json#MAPPER}), under the name the tests use. */
    public static final ObjectMapper JSON = Json.MAPPER;

    private final String base;
    private final String secret;
    private final OkHttpClient http =
            new OkHttpClient.Builder().readTimeout(Duration.ofSeconds(60)).build();

    public CoordinatorApi(String base, String secret) {
        this.base = base;
        this.secret = secret;
    }

    public String base() {
        return base;
    }

    public boolean up() {
        try (Response r = http.newCall(
                        new Request.Builder().url(base + "/healthz").build())
                .execute()) {
            return r.isSuccessful();
        } catch (IOException e) {
            return false;
        }
    }

    public List<Long> trigger(String cloneUrl, String commit, String ref, boolean push) {
        try {
            var body = JSON.createObjectNode()
                    .put("repo", "test/repo")
                    .put("cloneUrl", cloneUrl)
                    .put("commit", commit)
                    .put("ref", ref)
                    .put("push", push);
            Request req = new Request.Builder()
                    .url(base + "/api/builds")
                    .header("Authorization", "Bearer " + secret)
                    .post(RequestBody.create(JSON.writeValueAsBytes(body), MediaType.get("application/json")))
                    .build();
            try (Response r = http.newCall(req).execute()) {
                String text = r.body().string();
                if (r.code() != 201) {
                    throw new IllegalStateException("trigger refused: " + r.code() + " " + text);
                }
                List<Long> ids = new ArrayList<>();
                JSON.readTree(text).forEach(b -> ids.add(b.get("id").asLong()));
                return ids;
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Builds of one commit, newest first. */
    public List<JsonNode> builds(String commit) {
        try (Response r = http.newCall(new Request.Builder()
                        .url(base + "/api/builds?commit=" + commit)
                        .header("Authorization", "Bearer " + secret)
                        .build())
                .execute()) {
            List<JsonNode> out = new ArrayList<>();
            JSON.readTree(r.body().string()).forEach(out::add);
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public JsonNode build(long id) {
        try (Response r = http.newCall(new Request.Builder()
                        .url(base + "/api/builds/" + id)
                        .header("Authorization", "Bearer " + secret)
                        .build())
                .execute()) {
            return JSON.readTree(r.body().string());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public String page(String path) {
        try (Response r = http.newCall(new Request.Builder()
                        .url(base + path)
                        .header("Authorization", "Bearer " + secret)
                        .build())
                .execute()) {
            return r.body().string();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code POST /api/builds/{id}/rerun} with the admin token: the status and the answer's text. */
    public Map.Entry<Integer, String> rerun(long id) {
        Request req = new Request.Builder()
                .url(base + "/api/builds/" + id + "/rerun")
                .header("Authorization", "Bearer " + secret)
                .post(RequestBody.create(new byte[0], null))
                .build();
        try (Response r = http.newCall(req).execute()) {
            return Map.entry(r.code(), r.body().string());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Polls the build until {@code until} holds or the deadline passes. */
    public JsonNode await(long id, Duration deadline, Predicate<JsonNode> until) {
        JsonNode[] last = new JsonNode[1];
        try {
            Ports.await("build " + id, deadline, () -> {
                try {
                    last[0] = build(id);
                } catch (IllegalStateException e) {
                    return false;
                }
                return until.test(last[0]);
            });
        } catch (IllegalStateException e) {
            throw new IllegalStateException(e.getMessage() + "; last seen: " + last[0], e);
        }
        return last[0];
    }

    public JsonNode awaitEnd(long id, Duration deadline) {
        return await(id, deadline, b -> {
            String s = b.path("state").asText();
            return s.equals("published") || s.equals("failed") || s.equals("cancelled");
        });
    }

    public void close() {
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
    }
}
