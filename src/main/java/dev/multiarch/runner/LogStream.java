package dev.multiarch.runner;

import java.util.function.Consumer;

/**
 * A job's log on its way to the coordinator: lines are buffered and sent at most every second (or every 32 KiB), so
 * a chatty build does not become thousands of requests; the page shows them a second late at most. Lines are also
 * echoed locally.
 */
final class LogStream implements AutoCloseable {
    private final CoordinatorClient client;
    private final long jobId;
    private final int attempt;
    private final Consumer<String> local;
    private final StringBuilder buffer = new StringBuilder();
    private long lastFlush = System.nanoTime();
    private volatile boolean broken;

    LogStream(CoordinatorClient client, long jobId, int attempt, Consumer<String> local) {
        this.client = client;
        this.jobId = jobId;
        this.attempt = attempt;
        this.local = local;
    }

    synchronized void line(String line) {
        local.accept(line);
        buffer.append(line).append('\n');
        if (buffer.length() > 32 * 1024 || System.nanoTime() - lastFlush > 1_000_000_000L) {
            flush();
        }
    }

    synchronized void flush() {
        if (buffer.length() == 0 || broken) {
            return;
        }
        String text = buffer.toString();
        buffer.setLength(0);
        lastFlush = System.nanoTime();
        try {
            client.log(jobId, attempt, text, client.clock().instant().plusSeconds(30));
        } catch (java.io.IOException e) {
            broken = true;
            local.accept("(log upload stopped: " + e.getMessage() + ")");
        }
    }

    @Override
    public void close() {
        flush();
    }
}
