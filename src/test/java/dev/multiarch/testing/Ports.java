package dev.multiarch.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.function.BooleanSupplier;

/** Free loopback ports, and polling with a deadline instead of sleeping. */
public final class Ports {
    private Ports() {}

    public static int free() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Polls {@code condition} until it holds or {@code deadline} passes. */
    public static void await(String what, Duration deadline, BooleanSupplier condition) {
        Instant end = Instant.now().plus(deadline);
        long pause = 5;
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(end)) {
                throw new IllegalStateException("timed out after " + deadline.toSeconds() + " s waiting for " + what);
            }
            java.util.concurrent.locks.LockSupport.parkNanos(pause * 1_000_000);
            pause = Math.min(100, pause * 2);
        }
    }
}
