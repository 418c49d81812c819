package dev.multiarch.cli;

import dev.multiarch.config.ConfigException;
import dev.multiarch.platform.InvalidPlatformException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.HelpFormatter;
import org.apache.commons.cli.MissingOptionException;
import org.apache.commons.cli.ParseException;

/**
 * Entry point of the {@code multiarch} jar: picks the command by its leading words, parses its options, runs it.
 * Every failure is one line on stderr, {@code multiarch: error: …}: exit 1 for a failed operation, 2 for bad input
 * (a usage error, an invalid spec or platform). {@code MULTIARCH_DEBUG=1} adds the stack trace.
 */
public final class Main {
    private Main() {}

    static final List<Command> COMMANDS = List.of(
            new PushFromSpec(),
            new PushFromArgs(),
            new Inspect(),
            new Verify(),
            new Build(),
            new Serve(),
            new Runner(),
            new Demo());

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, false, StandardCharsets.UTF_8);
        PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        int code = run(out, err, args);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /** Runs the CLI and returns its exit code (tests call this). */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        List<String> words = Arrays.asList(args);
        if (words.isEmpty()
                || words.get(0).equals("--help")
                || words.get(0).equals("-h")
                || words.get(0).equals("help")) {
            overview(out);
            return words.isEmpty() ? 2 : 0;
        }
        if (words.get(0).equals("--version")) {
            String v = Main.class.getPackage().getImplementationVersion();
            out.println("multiarch " + (v == null ? "dev" : v));
            out.flush();
            return 0;
        }
        Command command = null;
        for (Command c : COMMANDS) {
            if (words.size() >= c.words().size()
                    && words.subList(0, c.words().size()).equals(c.words())) {
                command = c;
            }
        }
        if (command == null) {
            err.println("multiarch: error: unknown command '"
                    + String.join(" ", words.subList(0, Math.min(2, words.size()))) + "'; commands: "
                    + String.join(
                            ", ",
                            COMMANDS.stream()
                                    .map(c -> String.join(" ", c.words()))
                                    .toList()) + " (see multiarch --help)");
            return 2;
        }
        String[] rest = words.subList(command.words().size(), words.size()).toArray(new String[0]);
        String name = "multiarch " + String.join(" ", command.words());
        try {
            if (Arrays.asList(rest).contains("--help") || Arrays.asList(rest).contains("-h")) {
                usage(out, command);
                return 0;
            }
            CommandLine cl = DefaultParser.builder().build().parse(command.options(), rest);
            int code = command.run(cl, out, err);
            out.flush();
            return code;
        } catch (MissingOptionException e) {
            err.println("multiarch: error: " + name + " needs "
                    + String.join(
                            ", ",
                            ((java.util.List<?>) e.getMissingOptions())
                                    .stream().map(o -> "--" + o).toList())
                    + " (see " + name + " --help)");
            return 2;
        } catch (ParseException | UsageException e) {
            err.println("multiarch: error: " + e.getMessage() + " (see " + name + " --help)");
            return 2;
        } catch (Exception e) {
            out.flush();
            err.println("multiarch: error: " + message(e));
            if (System.getenv("MULTIARCH_DEBUG") != null) {
                e.printStackTrace(err);
            }
            return e instanceof ConfigException || e instanceof InvalidPlatformException ? 2 : 1;
        } finally {
            err.flush();
        }
    }

    static String message(Throwable e) {
        String m = e.getMessage();
        if (e instanceof RuntimeException && m != null && !(e instanceof NullPointerException)) {
            return m.replace('\n', ' ');
        }
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    private static void overview(PrintWriter out) {
        out.println("Usage: multiarch COMMAND [OPTIONS]");
        out.println("Publishes multi-platform container images: manifest lists and OCI indexes.");
        out.println();
        out.println("Commands:");
        for (Command c : COMMANDS) {
            out.printf("  %-20s %s%n", String.join(" ", c.words()), c.summary());
        }
        out.println();
        out.println("Run 'multiarch COMMAND --help' for a command's options; 'multiarch --version' for the version.");
        out.flush();
    }

    private static void usage(PrintWriter out, Command c) {
        HelpFormatter f = new HelpFormatter();
        String syntax = "multiarch " + String.join(" ", c.words()) + " [OPTIONS]"
                + (c.arguments().isEmpty() ? "" : " " + c.arguments());
        f.printHelp(out, 100, syntax, c.summary(), c.options(), 2, 2, null, false);
        out.flush();
    }
}
