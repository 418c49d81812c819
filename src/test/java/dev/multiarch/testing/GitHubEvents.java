package dev.multiarch.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.multiarch.base.Json;
import dev.multiarch.github.WebhookSignature;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.Base64;
import java.util.UUID;
import java.util.function.Predicate;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * GitHub's real webhook payloads (@octokit/webhooks-examples, cached by bin/setup-host), re-pointed at a test's
 * repository, and delivered as GitHub delivers them: signed, with GitHub's headers.
 */
public final class GitHubEvents {
    private static JsonNode examples;

    private GitHubEvents() {}

    /** A fresh copy of the first example of {@code event} that {@code which} accepts. */
    public static synchronized ObjectNode example(String event, Predicate<JsonNode> which) {
        try {
            if (examples == null) {
                examples = Json.MAPPER.readTree(GitHubStandIn.fixtures()
                        .resolve("webhooks-examples.json")
                        .toFile());
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        for (JsonNode e : examples) {
            if (e.path("name").asText().equals(event)) {
                for (JsonNode ex : e.path("examples")) {
                    if (which.test(ex)) {
                        return (ObjectNode) ex.deepCopy();
                    }
                }
            }
        }
        throw new IllegalStateException("no " + event + " example matches");
    }

    /** Points a payload's repository (and installation) at a test repository. */
    public static ObjectNode repoint(ObjectNode p, String fullName, String cloneUrl, long installation) {
        ObjectNode repo = (ObjectNode) p.path("repository");
        repo.put("full_name", fullName)
                .put("name", fullName.split("/")[1])
                .put("clone_url", cloneUrl)
                .put("default_branch", "main");
        ((ObjectNode) repo.path("owner")).put("login", fullName.split("/")[0]);
        if (installation > 0) {
            p.putObject("installation")
                    .put("id", installation)
                    .put("node_id", "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==");
        }
        return p;
    }

    /** A delivery's result: the status and the text the coordinator answered. */
    public record Delivered(int status, String body, long micros) {}

    private static final OkHttpClient HTTP =
            new OkHttpClient.Builder().callTimeout(Duration.ofSeconds(30)).build();

    public static Delivered deliver(String url, String event, String deliveryId, byte[] body, String signature) {
        return deliver(url, event, deliveryId, body, signature, "application/json");
    }

    public static Delivered deliver(
            String url, String event, String deliveryId, byte[] body, String signature, String contentType) {
        Request.Builder b = new Request.Builder()
                .url(url)
                .header("X-GitHub-Event", event)
                .header("X-GitHub-Delivery", deliveryId)
                .header("X-GitHub-Hook-ID", "4242")
                .header("User-Agent", "GitHub-Hookshot/test")
                .post(RequestBody.create(body, MediaType.get(contentType)));
        if (signature != null) {
            b.header("X-Hub-Signature-256", signature);
        }
        long t0 = System.nanoTime();
        try (Response r = HTTP.newCall(b.build()).execute()) {
            String text = r.body().string();
            return new Delivered(r.code(), text, (System.nanoTime() - t0) / 1000);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Signs with {@code secret} and delivers under a new delivery id. */
    public static Delivered deliver(String url, String event, JsonNode payload, String secret) {
        try {
            byte[] body = Json.MAPPER.writeValueAsBytes(payload);
            return deliver(url, event, UUID.randomUUID().toString(), body, WebhookSignature.sign(secret, body));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An RSA key pair, and its private half as GitHub hands it out: PKCS#1 PEM. */
    public static KeyPair appKey(Path pemFile) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            KeyPair kp = g.generateKeyPair();
            byte[] pkcs1 = pkcs1(kp.getPrivate().getEncoded());
            String pem = "-----BEGIN RSA PRIVATE KEY-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(pkcs1)
                    + "\n-----END RSA PRIVATE KEY-----\n";
            java.nio.file.Files.writeString(pemFile, pem);
            return kp;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The RSAPrivateKey inside a PKCS#8 PrivateKeyInfo: the content of its last element, the OCTET STRING. */
    static byte[] pkcs1(byte[] pkcs8) {
        int[] pos = {0};
        readHeader(pkcs8, pos); // SEQUENCE
        skip(pkcs8, pos); // INTEGER version
        skip(pkcs8, pos); // AlgorithmIdentifier
        int len = readHeader(pkcs8, pos); // OCTET STRING
        byte[] out = new byte[len];
        System.arraycopy(pkcs8, pos[0], out, 0, len);
        return out;
    }

    private static int readHeader(byte[] der, int[] pos) {
        pos[0]++;
        int b = der[pos[0]++] & 0xff;
        if (b < 128) {
            return b;
        }
        int n = b & 0x7f;
        byte[] len = new byte[n];
        System.arraycopy(der, pos[0], len, 0, n);
        pos[0] += n;
        return new BigInteger(1, len).intValue();
    }

    private static void skip(byte[] der, int[] pos) {
        int len = readHeader(der, pos);
        pos[0] += len;
    }

    /** About 7 KB of push-like JSON that deflates about as a push payload does, the same for the same {@code id}. */
    public static String syntheticPush(String id) {
        java.util.Random r = new java.util.Random(id.hashCode());
        StringBuilder b = new StringBuilder("{\"id\":\"" + id + "\",\"commits\":[");
        while (b.length() < 7_000) {
            b.append("{\"sha\":\"")
                    .append(Long.toHexString(r.nextLong()))
                    .append(Long.toHexString(r.nextLong()))
                    .append("\",\"message\":\"fix the build\"},");
        }
        return b.append("{}]}").toString();
    }
}
