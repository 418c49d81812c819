package dev.multiarch.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The multiarch jar run as a separate process (a coordinator, a runner), its output in {@code target/it-logs}.
 * {@link #kill()} ends it and everything it started (a runner's buildah), as a crash would.
 */
public final class JavaProcess implements AutoCloseable {
    private final String name;
    private final Process process;
    private final Path log;

    private JavaProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    public static JavaProcess start(String name, Map<String, String> env, String... args) {
        try {
            Path jar = Path.of("target", "multiarch.jar").toAbsolutePath();
            if (!Files.exists(jar)) {
                throw new IllegalStateException(jar + " is missing: integration tests run after mvn package");
            }
            Path logs = Files.createDirectories(Path.of("target", "it-logs"));
            Path log = logs.resolve(name + "-" + System.nanoTime() + ".log");
            List<String> cmd = new ArrayList<>(List.of("java", "-XX:+UseSerialGC", "-Xmx512m", "-jar", jar.toString()));
            cmd.addAll(List.of(args));
            ProcessBuilder pb =
                    new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().putAll(env);
            return new JavaProcess(name, pb.start(), log);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + name + ": " + e.getMessage(), e);
        }
    }

    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log)";
        }
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** The process, for a caller that ends its tree another way (bench/chaos freezes it first, then kills it). */
    public ProcessHandle handle() {
        return process.toHandle();
    }

    /** SIGKILL to the process and its children: a crash, not a shutdown. */
    public void kill() {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroyForcibly();
        children.forEach(ProcessHandle::destroyForcibly);
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (ProcessHandle c : children) {
            c.onExit().join();
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            List<ProcessHandle> children = process.descendants().toList();
            process.destroy();
            try {
                if (!process.waitFor(15, java.util.concurrent.TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            children.forEach(ProcessHandle::destroyForcibly);
        }
    }

    @Override
    public String toString() {
        return name + " (log " + log + ")";
    }
}
