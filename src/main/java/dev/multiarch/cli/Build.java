package dev.multiarch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.config.RunnerConfig;
import dev.multiarch.source.Git;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code multiarch build [DIR] --tag v1.0.0}: the whole pipeline on a local checkout, with progress on the terminal.
 * How a maintainer tries a {@code .multiarch.yaml} before pushing.
 */
final class Build implements Command {
    @Override
    public List<String> words() {
        return List.of("build");
    }

    @Override
    public String summary() {
        return "Build and publish a local git checkout as if TAG had been pushed.";
    }

    @Override
    public String arguments() {
        return "[DIR]";
    }

    @Override
    public Options options() {
        return new Options()
                .addOption(Option.builder()
                        .longOpt("tag")
                        .hasArg()
                        .required()
                        .argName("TAG")
                        .desc("The git tag to build as, e.g. v1.0.0 (tag rules turn it into image tags).")
                        .build())
                .addOption(Option.builder()
                        .longOpt("no-push")
                        .desc("Build and audit every platform; publish nothing.")
                        .build())
                .addOption(Option.builder()
                        .longOpt("coordinator")
                        .hasArg()
                        .argName("URL")
                        .desc("Use a running coordinator instead of one in this process (its runners must reach DIR).")
                        .build())
                .addOption(Option.builder()
                        .longOpt("clone-url")
                        .hasArg()
                        .argName("URL")
                        .desc("With --coordinator: where its runners fetch DIR's commit (https://…; default: DIR's"
                                + " origin). The admin token comes from MULTIARCH_ADMIN_TOKEN, never the command line.")
                        .build())
                .addOption(Option.builder()
                        .longOpt("jobs")
                        .hasArg()
                        .argName("N")
                        .desc("Platforms the in-process runner builds at once (default: as a runner's jobs: auto).")
                        .build())
                .addOption(Option.builder()
                        .longOpt("data")
                        .hasArg()
                        .argName("DIR")
                        .desc("Where the in-process coordinator keeps its state (default ~/.cache/multiarch/local).")
                        .build());
    }

    @Override
    public int run(CommandLine cl, PrintWriter out, PrintWriter err) throws Exception {
        if (cl.getArgList().size() > 1) {
            throw new UsageException(
                    "build takes one directory, got " + cl.getArgList().size());
        }
        Path dir = Path.of(cl.getArgList().isEmpty() ? "." : cl.getArgList().get(0))
                .toAbsolutePath()
                .normalize();
        if (!Files.isDirectory(dir.resolve(".git")) && !Files.isRegularFile(dir.resolve(".git"))) {
            throw new IllegalArgumentException(dir + " is not a git checkout (multiarch builds commits, not files)");
        }
        String tag = cl.getOptionValue("tag");
        boolean push = !cl.hasOption("no-push");
        List<JsonNode> done;
        if (cl.hasOption("coordinator")) {
            String token = System.getenv("MULTIARCH_ADMIN_TOKEN");
            if (token == null || token.isBlank()) {
                throw new UsageException("--coordinator needs the coordinator's admin token in MULTIARCH_ADMIN_TOKEN"
                        + " (server.admin-token in its config.yaml)");
            }
            String cloneUrl = cl.getOptionValue("clone-url", Git.originUrl(dir).orElse(null));
            if (cloneUrl == null) {
                throw new UsageException(
                        "--coordinator needs --clone-url: " + dir + " has no origin remote its runners could fetch");
            }
            BuildProgress p = new BuildProgress(cl.getOptionValue("coordinator"), token);
            try {
                String commit = Git.head(dir);
                done = p.follow(
                        p.trigger(dir.getFileName().toString(), cloneUrl, commit, "refs/tags/" + tag, push),
                        out,
                        Duration.ofHours(3));
                for (JsonNode b : done) {
                    BuildProgress.summary(out, b);
                }
            } finally {
                p.close();
            }
        } else {
            Logging.setUp();
            Path data = cl.hasOption("data") ? Path.of(cl.getOptionValue("data")) : LocalBuild.defaultData();
            int jobs = RunnerConfig.defaultJobs(Runtime.getRuntime().availableProcessors());
            if (cl.hasOption("jobs")) {
                try {
                    jobs = Integer.parseInt(cl.getOptionValue("jobs"));
                } catch (NumberFormatException e) {
                    jobs = 0;
                }
                if (jobs < 1 || jobs > 64) {
                    throw new UsageException(
                            "--jobs takes a whole number from 1 to 64, got " + cl.getOptionValue("jobs"));
                }
            }
            done = LocalBuild.run(dir, tag, push, data, jobs, out);
        }
        return done.stream().allMatch(b -> b.path("state").asText().equals("published")) ? 0 : 1;
    }
}
