package dev.multiarch.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code multiarch} jar. */
@Command(name = "multiarch", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Publishes multi-platform container images: manifest lists and OCI indexes.",
        subcommands = {PushCommand.class, InspectCommand.class, CommandLine.HelpCommand.class})
public final class Main {
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code (tests call this instead of main). */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    /** A configured command line whose output streams a test may redirect. */
    public static CommandLine commandLineForTests() {
        return commandLine();
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(new Errors());
        return cl;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"multiarch " + (v == null ? "dev" : v)};
        }
    }
}
