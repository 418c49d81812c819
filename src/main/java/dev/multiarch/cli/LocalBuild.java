package dev.multiarch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.config.RunnerConfig;
import dev.multiarch.config.ServiceConfig;
import dev.multiarch.pipeline.BuildListener;
import dev.multiarch.runner.RunnerAgent;
import dev.multiarch.source.Git;
import dev.multiarch.web.CoordinatorApp;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

/**
 * The pipeline on one machine, in one process: a coordinator on a loopback port with its store under {@code data},
 * and one runner building natively and through QEMU, fed one git checkout. Both read the checkout as a local
 * repository (allowed here, and only here by default: the user's own directory, named on the command line).
 */
final class LocalBuild {
    private LocalBuild() {}

    static Path defaultData() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path cache = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return cache.resolve("multiarch").resolve("local");
    }

    /** A loopback port nothing listens on now. */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Runs the builds of {@code repo} at HEAD for git tag {@code tag}; returns the ended builds. */
    static List<JsonNode> run(Path repo, String tag, boolean push, Path data, int jobs, PrintWriter out)
            throws IOException {
        String commit = Git.head(repo);
        if (Git.dirty(repo)) {
            out.println("multiarch: warning: " + repo + " has uncommitted changes; building the commit "
                    + commit.substring(0, 12) + " without them");
        }
        int port = freePort();
        String secret = randomToken();
        String adminToken = randomToken();
        // A person building their own checkout: their `docker login` credentials and local paths are theirs to use.
        ServiceConfig sc = ServiceConfig.builder(data.resolve("store"), secret)
                .port(port)
                .publicUrl("http://127.0.0.1:" + port)
                .adminToken(adminToken)
                .longPoll(Duration.ofSeconds(20))
                .sourceCache(data.resolve("sources"))
                .personal(true)
                .build();
        try (CoordinatorApp app = CoordinatorApp.start(sc, List.of())) {
            RunnerConfig rc = new RunnerConfig(
                    "http://127.0.0.1:" + app.port(),
                    "local",
                    secret,
                    data.resolve("runner"),
                    "buildah",
                    null,
                    null,
                    false,
                    "vfs",
                    jobs,
                    List.of(),
                    false,
                    true,
                    RunnerConfig.DEFAULT_CACHE_SIZE);
            RunnerAgent agent = new RunnerAgent(rc);
            Thread t = new Thread(agent, "local-runner");
            t.setDaemon(true);
            t.start();
            BuildProgress progress = new BuildProgress(sc.publicUrl(), adminToken);
            BuildListener wake = (b, js) -> progress.changed();
            app.coordinator().addListener(wake);
            try {
                out.println("building " + repo + " at " + commit.substring(0, 12) + " as " + tag + " (coordinator "
                        + sc.publicUrl() + ")");
                List<Long> ids = progress.trigger(
                        repo.getFileName().toString(), repo.toString(), commit, "refs/tags/" + tag, push);
                List<JsonNode> done = progress.follow(ids, out, Duration.ofHours(3));
                for (JsonNode b : done) {
                    BuildProgress.summary(out, b);
                }
                return done;
            } finally {
                app.coordinator().removeListener(wake);
                agent.close();
                progress.close();
            }
        }
    }

    private static String randomToken() {
        byte[] raw = new byte[24];
        new SecureRandom().nextBytes(raw);
        return HexFormat.of().formatHex(raw);
    }
}
