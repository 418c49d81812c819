package dev.multiarch.metrics;

import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.metrics.VertxMetrics;
import io.vertx.core.spi.observability.HttpRequest;
import io.vertx.core.spi.observability.HttpResponse;

/**
 * Vert.x's HTTP server meters, made safe for a connection that has no socket meter. Restarted coordinators logged
 * {@code NullPointerException: Cannot read field "tags" because "socketMetric" is null} from Micrometer's
 * {@code requestBegin} within seconds of listening, then {@code "requestMetric" is null} and a response that is
 * null from the connection's {@code exceptionCaught}: the request on that connection is never answered, and its
 * client waits out its own timeout (a runner's long-poll, a health probe: bench/chaos saw a restarted coordinator
 * answer no {@code /healthz} for 90 s while it went on publishing). Vert.x 5.0.7's {@code NetServerImpl} sets its
 * meters only after the socket is bound, so a connection can be accepted without a socket meter and then reach
 * meters that do exist. A meter is not worth a request: a call that carries no meter of its connection or request
 * is skipped (that request is not counted); every other call is Micrometer's own.
 */
final class NullSafeServerMetrics {
    private NullSafeServerMetrics() {}

    /** {@code factory}'s meters, with its HTTP server meters wrapped. */
    static VertxMetricsFactory around(VertxMetricsFactory factory) {
        return new VertxMetricsFactory() {
            @Override
            public VertxMetrics metrics(VertxOptions options) {
                return around(factory.metrics(options));
            }

            @Override
            public io.vertx.core.metrics.MetricsOptions newOptions() {
                return factory.newOptions();
            }

            @Override
            public io.vertx.core.metrics.MetricsOptions newOptions(io.vertx.core.metrics.MetricsOptions options) {
                return factory.newOptions(options);
            }

            @Override
            public io.vertx.core.metrics.MetricsOptions newOptions(io.vertx.core.json.JsonObject json) {
                return factory.newOptions(json);
            }
        };
    }

    static VertxMetrics around(VertxMetrics m) {
        return new VertxMetrics() {
            @Override
            public io.vertx.core.spi.metrics.EventBusMetrics<?> createEventBusMetrics() {
                return m.createEventBusMetrics();
            }

            @Override
            public HttpServerMetrics<?, ?, ?> createHttpServerMetrics(HttpServerOptions o, SocketAddress local) {
                HttpServerMetrics<?, ?, ?> server = m.createHttpServerMetrics(o, local);
                return server == null ? null : wrap(server);
            }

            @Override
            public io.vertx.core.spi.metrics.ClientMetrics<?, ?, ?> createClientMetrics(
                    SocketAddress remote, String type, String namespace) {
                return m.createClientMetrics(remote, type, namespace);
            }

            @Override
            public io.vertx.core.spi.metrics.HttpClientMetrics<?, ?, ?> createHttpClientMetrics(
                    io.vertx.core.http.HttpClientOptions o) {
                return m.createHttpClientMetrics(o);
            }

            @Override
            public io.vertx.core.spi.metrics.TCPMetrics<?> createNetServerMetrics(
                    io.vertx.core.net.NetServerOptions o, SocketAddress local) {
                return m.createNetServerMetrics(o, local);
            }

            @Override
            public io.vertx.core.spi.metrics.TCPMetrics<?> createNetClientMetrics(
                    io.vertx.core.net.NetClientOptions o) {
                return m.createNetClientMetrics(o);
            }

            @Override
            public io.vertx.core.spi.metrics.DatagramSocketMetrics createDatagramSocketMetrics(
                    io.vertx.core.datagram.DatagramSocketOptions o) {
                return m.createDatagramSocketMetrics(o);
            }

            @Override
            public io.vertx.core.spi.metrics.PoolMetrics<?, ?> createPoolMetrics(
                    String type, String name, int maxSize) {
                return m.createPoolMetrics(type, name, maxSize);
            }

            @Override
            public void vertxCreated(io.vertx.core.Vertx vertx) {
                m.vertxCreated(vertx);
            }

            @Override
            public boolean isMetricsEnabled() {
                return m.isMetricsEnabled();
            }

            @Override
            public void close() {
                m.close();
            }
        };
    }

    @SuppressWarnings("unchecked")
    static <R, W, S> HttpServerMetrics<R, W, S> wrap(HttpServerMetrics<?, ?, ?> server) {
        return new Guarded<>((HttpServerMetrics<R, W, S>) server);
    }

    /** Every call with a null connection or request meter is skipped; the rest go to {@code m}. */
    static final class Guarded<R, W, S> implements HttpServerMetrics<R, W, S> {
        private final HttpServerMetrics<R, W, S> m;

        Guarded(HttpServerMetrics<R, W, S> m) {
            this.m = m;
        }

        @Override
        public R requestBegin(S socket, HttpRequest request) {
            return socket == null ? null : m.requestBegin(socket, request);
        }

        @Override
        public void requestEnd(R request, HttpRequest req, long bytes) {
            if (request != null) {
                m.requestEnd(request, req, bytes);
            }
        }

        @Override
        public void requestReset(R request) {
            if (request != null) {
                m.requestReset(request);
            }
        }

        @Override
        public void responseBegin(R request, HttpResponse response) {
            if (request != null) {
                m.responseBegin(request, response);
            }
        }

        @Override
        public R responsePushed(S socket, HttpMethod method, String uri, HttpResponse response) {
            return socket == null ? null : m.responsePushed(socket, method, uri, response);
        }

        @Override
        public void responseEnd(R request, HttpResponse response, long bytes) {
            if (request != null) {
                m.responseEnd(request, response, bytes);
            }
        }

        @Override
        public W connected(S socket, R request, ServerWebSocket ws) {
            return socket == null || request == null ? null : m.connected(socket, request, ws);
        }

        @Override
        public void disconnected(W ws) {
            if (ws != null) {
                m.disconnected(ws);
            }
        }

        @Override
        public void requestRouted(R request, String route) {
            if (request != null) {
                m.requestRouted(request, route);
            }
        }

        @Override
        public S connected(SocketAddress remote, String remoteName) {
            return m.connected(remote, remoteName);
        }

        @Override
        public void disconnected(S socket, SocketAddress remote) {
            if (socket != null) {
                m.disconnected(socket, remote);
            }
        }

        @Override
        public void bytesRead(S socket, SocketAddress remote, long bytes) {
            if (socket != null) {
                m.bytesRead(socket, remote, bytes);
            }
        }

        @Override
        public void bytesWritten(S socket, SocketAddress remote, long bytes) {
            if (socket != null) {
                m.bytesWritten(socket, remote, bytes);
            }
        }

        @Override
        public void exceptionOccurred(S socket, SocketAddress remote, Throwable t) {
            if (socket != null) {
                m.exceptionOccurred(socket, remote, t);
            }
        }

        @Override
        public void close() {
            m.close();
        }
    }
}
