package dev.multiarch.web;

import dev.multiarch.metrics.Metrics;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /metrics}: the Prometheus text exposition, for whoever holds {@code server.metrics-token} (Prometheus'
 * {@code authorization: {credentials_file: …}}). A token of its own rather than the admin token, because it sits in
 * Prometheus' configuration and opens nothing else; a token rather than a second listen address, because coordinators
 * often sit behind one public address and a proxy, where a bearer token travels as it is. Without the setting the
 * route answers 404: metrics are not public by default, although no label names a repository.
 */
final class MetricsEndpoint {
    private final Metrics metrics;
    private final String token;
    private final Replies replies;

    MetricsEndpoint(Metrics metrics, String token, Replies replies) {
        this.metrics = metrics;
        this.token = token;
        this.replies = replies;
    }

    void scrape(RoutingContext ctx) {
        if (token == null) {
            throw new HttpError(404, "metrics are off: set server.metrics-token in config.yaml");
        }
        String given;
        try {
            given = Requests.bearer(ctx);
        } catch (HttpError e) {
            ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"multiarch metrics\"");
            throw e;
        }
        if (!Requests.sameSecret(given, token)) {
            ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"multiarch metrics\", error=\"invalid_token\"");
            throw new HttpError(401, "wrong metrics token");
        }
        // The scrape may read the store (cached for a few seconds): on the worker pool, never the event loop.
        replies.blocking(ctx, metrics::scrape, text -> ctx.response()
                .putHeader("Content-Type", Metrics.CONTENT_TYPE)
                .end(text));
    }
}
