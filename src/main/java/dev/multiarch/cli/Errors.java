package dev.multiarch.cli;

import dev.multiarch.config.ConfigException;
import dev.multiarch.platform.InvalidPlatformException;
import dev.multiarch.publish.PublishException;
import dev.multiarch.registry.RegistryException;
import java.io.PrintWriter;
import picocli.CommandLine;

/**
 * Turns a failed command into one line on stderr: the message people can act on, never a stack trace (set
 * {@code MULTIARCH_DEBUG=1} for one). Exit 1 for failed operations, 2 for bad input.
 */
final class Errors implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        PrintWriter err = cl.getErr();
        err.println("multiarch: error: " + message(e));
        if (System.getenv("MULTIARCH_DEBUG") != null) {
            e.printStackTrace(err);
        }
        err.flush();
        return e instanceof ConfigException || e instanceof InvalidPlatformException ? 2 : 1;
    }

    static String message(Throwable e) {
        if (e instanceof RegistryException || e instanceof PublishException || e instanceof ConfigException
                || e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
            return e.getMessage();
        }
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
}
