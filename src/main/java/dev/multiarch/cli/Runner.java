package dev.multiarch.cli;

import dev.multiarch.config.RunnerConfig;
import dev.multiarch.runner.RunnerAgent;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/** {@code multiarch runner --config runner.yaml}: a build runner, until stopped. */
final class Runner implements Command {
    @Override
    public List<String> words() {
        return List.of("runner");
    }

    @Override
    public String summary() {
        return "Run a build runner that takes jobs from a coordinator.";
    }

    @Override
    public String arguments() {
        return "";
    }

    @Override
    public Options options() {
        return new Options()
                .addOption(Option.builder()
                        .longOpt("config")
                        .hasArg()
                        .argName("FILE")
                        .desc("Runner configuration (default: runner.yaml).")
                        .build());
    }

    @Override
    public int run(CommandLine cl, PrintWriter out, PrintWriter err) {
        Path file = Path.of(cl.getOptionValue("config", "runner.yaml")).toAbsolutePath();
        RunnerConfig config;
        try {
            config = RunnerConfig.parse(file.toString(), Files.readString(file), System.getenv(), file.getParent());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
        Logging.setUp();
        RunnerAgent agent = new RunnerAgent(config);
        Runtime.getRuntime().addShutdownHook(new Thread(agent::close, "runner-shutdown"));
        agent.run();
        return 0;
    }
}
