package dev.multiarch.github;

import static dev.multiarch.testing.Fuzzing.check;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.multiarch.testing.Fuzzing;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The first thing a stranger's request meets: {@code X-Hub-Signature-256} against the raw body. Whatever the header
 * and body, {@link WebhookSignature#valid} answers without throwing; it accepts a header only when it is the
 * signature of the body under one of the secrets, and always accepts the genuine one.
 *
 * <p>Also what the router reads back from its own builds: {@link Origin#of} takes any text (a build's trigger
 * information may come from another kind of trigger, or an older version) and answers an origin or null.
 */
class WebhookFuzzTest {
    private static final List<String> SECRETS = List.of("It's a Secret to Everybody", "second-secret");

    /** {@code header NUL body}. */
    @FuzzTest(maxDuration = "3m")
    void signature(byte[] data) {
        int nul = 0;
        while (nul < data.length && data[nul] != 0) {
            nul++;
        }
        String header = new String(data, 0, nul, StandardCharsets.UTF_8);
        byte[] body = nul < data.length ? Arrays.copyOfRange(data, nul + 1, data.length) : new byte[0];

        boolean accepted = WebhookSignature.valid(header, body, SECRETS);
        boolean genuine =
                SECRETS.stream().anyMatch(s -> WebhookSignature.sign(s, body).equals(header.toLowerCase(Locale.ROOT)));
        check(!accepted || genuine, "accepted a forged signature '" + header + "'");
        for (String s : SECRETS) {
            String real = WebhookSignature.sign(s, body);
            check(WebhookSignature.valid(real, body, SECRETS), "refused the genuine signature");
            check(
                    WebhookSignature.valid("sha256=" + real.substring(7).toUpperCase(Locale.ROOT), body, SECRETS),
                    "refused the genuine signature in upper-case hex");
            check(!WebhookSignature.valid(real, body, List.of("not-" + s)), "accepted under the wrong secret");
        }
        check(!WebhookSignature.valid(null, body, SECRETS), "accepted a missing header");
    }

    @FuzzTest(maxDuration = "3m")
    void origin(byte[] data) {
        Origin o = Origin.of(Fuzzing.text(data));
        if (o != null) {
            check(o.repo() != null, "an origin without a repository");
            check(o.equals(Origin.of(o.toJson())), o + " does not read back as itself");
        }
    }
}
