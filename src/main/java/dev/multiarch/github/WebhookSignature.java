package dev.multiarch.github;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * GitHub's webhook signature: {@code X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>}, keyed by the
 * webhook secret ("Validating webhook deliveries"). Compared in constant time.
 */
public final class WebhookSignature {
    private WebhookSignature() {}

    public static String sign(String secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    /** True when {@code header} is the signature of {@code body} under any of {@code secrets}. */
    public static boolean valid(String header, byte[] body, List<String> secrets) {
        if (header == null || !header.startsWith("sha256=") || header.length() != 71) {
            return false;
        }
        byte[] given = header.toLowerCase().getBytes(StandardCharsets.US_ASCII);
        boolean ok = false;
        for (String s : secrets) {
            // Every secret is tried, whatever matched, so the time taken does not say which one did.
            ok |= MessageDigest.isEqual(given, sign(s, body).getBytes(StandardCharsets.US_ASCII));
        }
        return ok;
    }
}
