package dev.multiarch.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.vertx.core.spi.metrics.HttpServerMetrics;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class NullSafeServerMetricsTest {
    /** Micrometer's server meters read their connection's and request's meters without looking: as they do. */
    static final class Strict implements HttpServerMetrics<String, String, String> {
        final List<String> calls = new ArrayList<>();

        @Override
        public String requestBegin(String socket, io.vertx.core.spi.observability.HttpRequest request) {
            calls.add("begin " + socket.length());
            return "request";
        }

        @Override
        public void requestReset(String request) {
            calls.add("reset " + request.length());
        }

        @Override
        public void responseEnd(String request, io.vertx.core.spi.observability.HttpResponse response, long bytes) {
            calls.add("end " + request.length());
        }

        @Override
        public void requestRouted(String request, String route) {
            calls.add("routed " + request.length() + " " + route);
        }

        @Override
        public void bytesRead(String socket, io.vertx.core.net.SocketAddress remote, long bytes) {
            calls.add("read " + socket.length());
        }
    }

    @Test
    void aConnectionWithoutItsMeter_isServedUncounted_insteadOfFailingItsRequest() {
        Strict strict = new Strict();
        HttpServerMetrics<String, String, String> m = NullSafeServerMetrics.wrap(strict);
        assertNull(m.requestBegin(null, null));
        m.requestRouted(null, "/healthz");
        m.responseEnd(null, null, 3);
        m.requestReset(null);
        m.bytesRead(null, null, 10);
        assertEquals(List.of(), strict.calls, "nothing reached the meters that would have thrown");
    }

    @Test
    void aConnectionWithItsMeter_isCountedAsBefore() {
        Strict strict = new Strict();
        HttpServerMetrics<String, String, String> m = NullSafeServerMetrics.wrap(strict);
        String request = m.requestBegin("socket", null);
        m.requestRouted(request, "/healthz");
        m.responseEnd(request, null, 3);
        m.bytesRead("socket", null, 10);
        assertEquals(List.of("begin 6", "routed 7 /healthz", "end 7", "read 6"), strict.calls);
    }
}
