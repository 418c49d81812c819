package dev.multiarch.testing;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the multiarch CLI in-process and captures what it prints. */
public final class CliRun {
    private CliRun() {}

    public record Result(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    public static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = dev.multiarch.cli.Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(exit, out.toString(), err.toString());
    }
}
