package dev.multiarch.testing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * What every fuzz harness checks: a parser given anything either answers or throws the error it documents, with a
 * message a person can read. Any other throwable (a NullPointerException, an IndexOutOfBounds, a Jackson exception
 * let through, a StackOverflowError) goes on as thrown, and Jazzer reports it as a finding.
 *
 * <p>Documented unchecked errors are matched by exact class: an {@code InvalidPathException} or a
 * {@code NumberFormatException} is an IllegalArgumentException too, but one nobody wrote a message for. A declared
 * checked exception covers its subclasses ({@code throws IOException} means any I/O failure).
 */
public final class Fuzzing {
    private Fuzzing() {}

    /** The parser's result, or empty when it threw one of the documented errors (with a message). */
    @SafeVarargs
    public static <T> Optional<T> parse(Callable<T> parser, Class<? extends Exception>... documented) {
        try {
            return Optional.of(parser.call());
        } catch (Exception e) {
            for (Class<? extends Exception> d : documented) {
                boolean checked = !RuntimeException.class.isAssignableFrom(d);
                if (e.getClass() == d || (checked && d.isInstance(e))) {
                    requireMessage(e);
                    return Optional.empty();
                }
            }
            if (e instanceof RuntimeException r) {
                throw r; // as thrown, so that Jazzer's report shows where
            }
            throw new UndocumentedError(e);
        }
    }

    /** Like {@link #parse} for a step that returns nothing; true when it finished without error. */
    @SafeVarargs
    public static boolean run(ThrowingRunnable step, Class<? extends Exception>... documented) {
        return parse(
                        () -> {
                            step.run();
                            return Boolean.TRUE;
                        },
                        documented)
                .isPresent();
    }

    @FunctionalInterface
    public interface ThrowingRunnable {
        void run() throws Exception;
    }

    public static void requireMessage(Throwable e) {
        if (e.getMessage() == null || e.getMessage().isBlank()) {
            throw new AssertionError(e.getClass().getName() + " without a message", e);
        }
    }

    /** A property of a parser's answer that does not hold. */
    public static void check(boolean property, String what) {
        if (!property) {
            throw new AssertionError(what);
        }
    }

    /** The input as text, the way a file or a header would be read (invalid UTF-8 becomes U+FFFD). */
    public static String text(byte[] data) {
        return new String(data, StandardCharsets.UTF_8);
    }

    /**
     * The input cut at its first {@code parts - 1} NUL bytes, each piece as text; missing pieces are empty. Seeds stay
     * readable files: a harness for two inputs reads {@code first\0second}.
     */
    public static List<String> split(byte[] data, int parts) {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < data.length && out.size() < parts - 1; i++) {
            if (data[i] == 0) {
                out.add(new String(data, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        out.add(new String(data, start, data.length - start, StandardCharsets.UTF_8));
        while (out.size() < parts) {
            out.add("");
        }
        return out;
    }

    /** A checked exception a parser does not declare: the finding, with the original as its cause. */
    public static final class UndocumentedError extends AssertionError {
        private static final long serialVersionUID = 1L;

        UndocumentedError(Throwable cause) {
            super("undocumented " + cause.getClass().getName() + ": " + cause.getMessage(), cause);
        }
    }
}
