package dev.multiarch.registry;

import dev.multiarch.base.Backoff;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Clock;
import java.time.Duration;
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
    private final Backoff backoff;
    private final Clock clock;

    RetryInterceptor(RetryPolicy policy, Clock clock) {
        this.policy = policy;
        this.backoff = policy.backoff();
        this.clock = clock;
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
                pause(backoff.delay(attempt - 1));
                continue;
            }
            if (last || !RETRYABLE.contains(response.code())) {
                return response;
            }
            Duration wait = backoff.delay(attempt - 1, Backoff.retryAfter(response.header("Retry-After"), clock));
            response.close();
            pause(wait);
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
