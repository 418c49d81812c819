package dev.multiarch.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

class LoggingTest {
    @Test
    void onlyVertxGaugesRegisteredAgainAreDropped() {
        assertTrue(Logging.vertxGaugeRegisteredAgain(new LogRecord(
                Level.WARNING,
                "This Gauge has been already registered (MeterId{name='vertx.http.server.active.connections',"
                        + " tags=[]}), the registration will be ignored. Note that subsequent logs will be logged at"
                        + " debug level.")));
        assertFalse(Logging.vertxGaugeRegisteredAgain(new LogRecord(
                Level.WARNING,
                "This Gauge has been already registered (MeterId{name='multiarch.runners.waiting', tags=[]}), the"
                        + " registration will be ignored.")));
        assertFalse(Logging.vertxGaugeRegisteredAgain(new LogRecord(Level.WARNING, null)));
    }
}
