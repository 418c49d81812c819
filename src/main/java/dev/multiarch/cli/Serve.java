package dev.multiarch.cli;

import dev.multiarch.config.ServiceConfig;
import dev.multiarch.web.CoordinatorApp;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/** {@code multiarch serve --config config.yaml}: the coordinator, until SIGTERM or SIGINT. */
final class Serve implements Command {
    @Override
    public List<String> words() {
        return List.of("serve");
    }

    @Override
    public String summary() {
        return "Run the coordinator: runner API, build pages, webhooks.";
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
                        .desc("Service configuration (default: config.yaml).")
                        .build());
    }

    static ServiceConfig load(Path file) {
        try {
            Path abs = file.toAbsolutePath();
            return ServiceConfig.parse(file.toString(), Files.readString(abs), System.getenv(), abs.getParent());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public int run(CommandLine cl, PrintWriter out, PrintWriter err) throws InterruptedException {
        Path file = Path.of(cl.getOptionValue("config", "config.yaml")).toAbsolutePath();
        ServiceConfig config = load(file);
        Logging.setUp();
        CoordinatorApp app = CoordinatorApp.start(config, Extensions.plugins(config, file.getParent()));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            app.close();
                            stopped.countDown();
                        },
                        "multiarch-shutdown"));
        out.println("multiarch coordinator on " + config.publicUrl() + " (port " + app.port() + ")");
        out.flush();
        stopped.await();
        return 0;
    }
}
