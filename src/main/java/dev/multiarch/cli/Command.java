package dev.multiarch.cli;

import java.io.PrintWriter;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/** One {@code multiarch} command: its words ({@code push from-spec}), its options, and what it does. */
interface Command {
    /** The words that select it, e.g. {@code ["push", "from-spec"]}. */
    List<String> words();

    /** One line for the command list. */
    String summary();

    /** Positional arguments, for usage text: e.g. {@code FILE}; empty for none. */
    String arguments();

    Options options();

    /**
     * @return the exit code
     * @throws UsageException for bad input that the options parser could not catch
     */
    int run(CommandLine cl, PrintWriter out, PrintWriter err) throws Exception;
}
