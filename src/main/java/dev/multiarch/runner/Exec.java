package dev.multiarch.runner;

import dev.multiarch.base.ChildEnvironment;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Runs one step of a job (a build, a push) with its output streamed line by line, a deadline, and a way to stop it
 * from another thread (a lost lease, a cancelled build). Every program starts in {@link ChildEnvironment}: nothing of
 * the runner's own environment (its registration secret, whatever the operator exported) reaches buildah or a
 * Dockerfile's {@code RUN} step.
 */
final class Exec {
    private Exec() {}

    /** The step did not finish: it failed, timed out or was stopped. The message is for the job's error. */
    static final class StepFailed extends Exception {
        private static final long serialVersionUID = 1L;

        /** The process's exit status when it ran to its end and failed; null for anything else (timeout, stop…). */
        private final Integer exit;

        StepFailed(String message) {
            this(message, null);
        }

        StepFailed(String message, Integer exit) {
            super(message);
            this.exit = exit;
        }

        /** True when the command ran to its end on its own and exited non-zero (not timed out, stopped, unstartable). */
        boolean exited() {
            return exit != null;
        }
    }

    /**
     * Set by the job's watcher to stop the running step, with the reason. It carries the job's clock: the clock its
     * deadline was computed with, and so the one a step's remaining time is measured on.
     */
    static final class Stop {
        private final AtomicReference<String> reason = new AtomicReference<>();
        private final Clock clock;
        private volatile Process current;

        Stop() {
            this(Clock.systemUTC());
        }

        Stop(Clock clock) {
            this.clock = clock;
        }

        void stop(String why) {
            reason.compareAndSet(null, why);
            Process p = current;
            if (p != null) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
        }

        String reason() {
            return reason.get();
        }
    }

    /** @param env variables to set (names {@link ChildEnvironment} allows), on top of the clean environment */
    static void run(
            String step,
            List<String> cmd,
            Map<String, String> env,
            Path dir,
            Consumer<String> log,
            Instant deadline,
            Stop stop)
            throws StepFailed {
        if (stop.reason() != null) {
            throw new StepFailed(stop.reason());
        }
        log.accept("$ " + String.join(" ", cmd));
        Process p;
        try {
            ProcessBuilder pb = ChildEnvironment.apply(new ProcessBuilder(cmd), env)
                    .redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            if (dir != null) {
                pb.directory(dir.toFile());
            }
            p = pb.start();
        } catch (IOException e) {
            throw new StepFailed(step + ": cannot run " + cmd.get(0) + ": " + e.getMessage());
        }
        stop.current = p;
        Thread reader = new Thread(
                () -> {
                    try (InputStream in = p.getInputStream()) {
                        lines(in, log);
                    } catch (IOException ignored) {
                        // the process was stopped
                    }
                },
                "exec-output");
        reader.setDaemon(true);
        reader.start();
        try {
            long wait =
                    Math.max(1, Duration.between(stop.clock.instant(), deadline).toMillis());
            if (!p.waitFor(wait, TimeUnit.MILLISECONDS)) {
                stop.stop("timed out");
                p.waitFor(10, TimeUnit.SECONDS);
                reader.join(5000);
                throw new StepFailed(step + " timed out (the job's timeout ran out)");
            }
            reader.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new StepFailed(step + " was interrupted");
        } finally {
            stop.current = null;
        }
        if (stop.reason() != null) {
            throw new StepFailed(step + " stopped: " + stop.reason());
        }
        if (p.exitValue() != 0) {
            throw new StepFailed(step + " failed (exit " + p.exitValue() + ")", p.exitValue());
        }
    }

    /** The longest line a step's output is passed on as: a longer one is cut into pieces this long, each marked. */
    static final int MAX_LINE = 64 * 1024;

    /** Appended to a piece of a line that was cut at {@link #MAX_LINE}; the next piece continues it. */
    static final String CUT = " [line cut at 64 KiB; it continues on the next line]";

    /**
     * The output's lines (ended by {@code \n}, {@code \r} or {@code \r\n}, as {@link java.io.BufferedReader#readLine}
     * reads them), each at most {@link #MAX_LINE} bytes: a build printing one endless line holds 64 KiB here, not the
     * whole line. A cut falls between UTF-8 characters, never inside one.
     */
    static void lines(InputStream in, Consumer<String> out) throws IOException {
        byte[] line = new byte[MAX_LINE];
        int n = 0;
        boolean afterCr = false;
        byte[] chunk = new byte[8192];
        for (int read = in.read(chunk); read >= 0; read = in.read(chunk)) {
            for (int i = 0; i < read; i++) {
                byte b = chunk[i];
                if (afterCr && b == '\n') {
                    afterCr = false;
                    continue;
                }
                afterCr = b == '\r';
                if (b == '\n' || b == '\r') {
                    out.accept(new String(line, 0, n, StandardCharsets.UTF_8));
                    n = 0;
                    continue;
                }
                if (n == MAX_LINE) {
                    // Cut where the next piece starts a character: never before a continuation byte (10xxxxxx).
                    int cut = n;
                    while (cut > n - 3 && continuation(cut == n ? b : line[cut])) {
                        cut--;
                    }
                    if (continuation(cut == n ? b : line[cut])) {
                        cut = n; // not UTF-8 anyway
                    }
                    out.accept(new String(line, 0, cut, StandardCharsets.UTF_8) + CUT);
                    System.arraycopy(line, cut, line, 0, n - cut);
                    n -= cut;
                }
                line[n++] = b;
            }
        }
        if (n > 0) {
            out.accept(new String(line, 0, n, StandardCharsets.UTF_8));
        }
    }

    private static boolean continuation(byte b) {
        return (b & 0xC0) == 0x80;
    }

    /** Runs a short command and returns its stdout; for inspections. */
    static String capture(List<String> cmd, Map<String, String> env) throws StepFailed {
        try {
            Process p = ChildEnvironment.apply(new ProcessBuilder(cmd), env)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new StepFailed(String.join(" ", cmd) + " failed");
            }
            return out;
        } catch (IOException e) {
            throw new StepFailed("cannot run " + cmd.get(0) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StepFailed("interrupted");
        }
    }
}
