package dev.multiarch.registry;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Set;
import javax.net.ssl.SSLException;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Our own bounded backoff for what okhttp's retry does not cover: 429 and 5xx answers, honouring
 * {@code Retry-After} (seconds or an HTTP date, RFC 9110 §10.2.3), and connection failures. A request whose body is
 * one-shot (a streamed blob) is never replayed. TLS failures and auth failures are not transient and are not retried.
 */
final class RetryInterceptor implements Interceptor {
    private static final Set<Integer> RETRYABLE = Set.of(429, 500, 502, 503, 504);

    private final RetryPolicy policy;

    RetryInterceptor(RetryPolicy policy) {
        this.policy = policy;
    }

    @Override
    public Response intercept(Chain chain) throws IOException {
        Request request = chain.request();
        boolean replayable = request.body() == null || !request.body().isOneShot();
        for (int attempt = 1; ; attempt++) {
            boolean last = attempt >= policy.attempts() || !replayable;
            Response response;
            try {
                response = chain.proceed(request);
            } catch (RegistryAuthException | SSLException | InterruptedIOException e) {
                throw e;
            } catch (IOException e) {
                if (last) {
                    throw e;
                }
                pause(policy.backoff(attempt - 1));
                continue;
            }
            if (last || !RETRYABLE.contains(response.code())) {
                return response;
            }
            Duration wait = retryAfter(response.header("Retry-After")).orElse(policy.backoff(attempt - 1));
            if (wait.compareTo(policy.maxDelay()) > 0) {
                wait = policy.maxDelay();
            }
            response.close();
            pause(wait);
        }
    }

    static java.util.Optional<Duration> retryAfter(String value) {
        if (value == null || value.isBlank()) {
            return java.util.Optional.empty();
        }
        String v = value.trim();
        try {
            return java.util.Optional.of(Duration.ofSeconds(Math.max(0, Long.parseLong(v))));
        } catch (NumberFormatException e) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
                Duration d = Duration.between(ZonedDateTime.now(at.getZone()), at);
                return java.util.Optional.of(d.isNegative() ? Duration.ZERO : d);
            } catch (DateTimeParseException e2) {
                return java.util.Optional.empty();
            }
        }
    }

    private static void pause(Duration d) throws InterruptedIOException {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting to retry");
        }
    }
}
