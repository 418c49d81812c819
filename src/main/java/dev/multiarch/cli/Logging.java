package dev.multiarch.cli;

import java.util.List;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** One-line log records on stderr: time, level, logger, message. {@code MULTIARCH_DEBUG=1} for fine detail. */
final class Logging {
    private Logging() {}

    static void setUp() {
        Logger root = Logger.getLogger("");
        for (var h : root.getHandlers()) {
            root.removeHandler(h);
        }
        ConsoleHandler h = new ConsoleHandler();
        boolean debug = System.getenv("MULTIARCH_DEBUG") != null;
        h.setLevel(debug ? Level.FINE : Level.INFO);
        h.setFormatter(new Formatter() {
            @Override
            public String format(LogRecord r) {
                String name = r.getLoggerName() == null ? "" : r.getLoggerName().replaceAll(".*\\.", "");
                StringBuilder b = new StringBuilder()
                        .append(java.time.Instant.ofEpochMilli(r.getMillis()))
                        .append(' ')
                        .append(r.getLevel().getName())
                        .append(' ')
                        .append(name)
                        .append(": ")
                        .append(formatMessage(r))
                        .append('\n');
                if (r.getThrown() != null && debug) {
                    java.io.StringWriter sw = new java.io.StringWriter();
                    r.getThrown().printStackTrace(new java.io.PrintWriter(sw));
                    b.append(sw);
                } else if (r.getThrown() != null) {
                    b.append("  ").append(r.getThrown()).append('\n');
                }
                return b.toString();
            }
        });
        root.addHandler(h);
        root.setLevel(debug ? Level.FINE : Level.INFO);
        Logger.getLogger("dev.multiarch").setLevel(debug ? Level.FINE : Level.INFO);
        // Held here: java.util.logging keeps loggers weakly, and a collected one forgets its level.
        for (String quiet : List.of("io.netty", "io.vertx", "com.zaxxer.hikari")) {
            Logger l = Logger.getLogger(quiet);
            l.setLevel(Level.WARNING);
            QUIETED.add(l);
        }
        Logger meters = Logger.getLogger("io.micrometer.core.instrument.MeterRegistry");
        meters.setFilter(r -> !vertxGaugeRegisteredAgain(r));
        QUIETED.add(meters);
    }

    /**
     * Micrometer (1.13.9 and later) warns once when a gauge is registered a second time; Vert.x's meters register
     * {@code vertx.*} connection and queue gauges again for every connection by design (each registration finds the
     * same counter, so the values are right): every {@code serve} printed {@code This Gauge has been already
     * registered (MeterId{name='vertx.http.server.active.connections'…} at its second connection. Known upstream
     * (vert-x3/vertx-micrometer-metrics#259, micrometer-metrics/micrometer#6931). Only that warning about Vert.x's
     * own gauges is dropped: one about a multiarch gauge still shows.
     */
    static boolean vertxGaugeRegisteredAgain(LogRecord r) {
        String m = r.getMessage();
        return m != null && m.startsWith("This Gauge has been already registered (MeterId{name='vertx.");
    }

    /**
     * The libraries' loggers set to warnings only (HikariCP says "Starting…" for every pool), and Micrometer's with its
     * filter.
     */
    private static final List<Logger> QUIETED = new java.util.concurrent.CopyOnWriteArrayList<>();
}
