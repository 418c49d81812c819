package dev.multiarch.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a program to completion with a deadline, capturing its output; every process it starts ends here. */
public final class Proc {
    private Proc() {}

    public record Result(int exit, String out, String err) {
        public Result check(List<String> cmd) {
            if (exit != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " exited " + exit + ":\n" + err + out);
            }
            return this;
        }
    }

    public static Result run(List<String> cmd, Path dir, long timeoutSeconds) {
        try {
            Path outFile = Files.createTempFile("proc", ".out");
            Path errFile = Files.createTempFile("proc", ".err");
            ProcessBuilder pb =
                    new ProcessBuilder(cmd).redirectOutput(outFile.toFile()).redirectError(errFile.toFile());
            if (dir != null) {
                pb.directory(dir.toFile());
            }
            Process p = pb.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new IllegalStateException(String.join(" ", cmd) + " did not finish in " + timeoutSeconds + " s");
            }
            Result r = new Result(
                    p.exitValue(),
                    Files.readString(outFile, StandardCharsets.UTF_8),
                    Files.readString(errFile, StandardCharsets.UTF_8));
            Files.deleteIfExists(outFile);
            Files.deleteIfExists(errFile);
            return r;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + cmd.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Starts a program that runs until it is stopped (a child a crash test kills with SIGKILL), its standard output
     * into {@code out}, its errors inherited; the caller ends it ({@link Process#destroyForcibly}) and waits for it.
     */
    public static Process background(List<String> cmd, Path out) {
        try {
            return new ProcessBuilder(cmd)
                    .redirectOutput(out.toFile())
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + cmd.get(0) + ": " + e.getMessage(), e);
        }
    }

    public static Result ok(List<String> cmd) {
        return run(cmd, null, 300).check(cmd);
    }
}
