package dev.multiarch.source;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** Runs git. Blocking; every failure names the command and what git said. */
public final class Git {
    private static final long TIMEOUT_SECONDS = 600;

    private Git() {}

    /** Thrown when git fails; the message carries git's own last lines. */
    public static final class GitException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public GitException(String message) {
            super(message);
        }
    }

    record Out(int exit, String out, String err) {}

    static Out run(Path dir, Consumer<String> log, String... args) {
        return runAuthorized(dir, log, null, args);
    }

    /** @param authorization an HTTP Authorization header for fetches, given to git through its environment */
    static Out runAuthorized(Path dir, Consumer<String> log, String authorization, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("git");
        cmd.addAll(List.of(args));
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd);
            if (dir != null) {
                pb.directory(dir.toFile());
            }
            pb.environment().put("GIT_TERMINAL_PROMPT", "0");
            if (authorization != null) {
                // git >= 2.31 reads config from the environment; argv would show the token to `ps`.
                pb.environment().put("GIT_CONFIG_COUNT", "1");
                pb.environment().put("GIT_CONFIG_KEY_0", "http.extraHeader");
                pb.environment().put("GIT_CONFIG_VALUE_0", "Authorization: " + authorization);
            }
            Path outFile = Files.createTempFile("git", ".out");
            Path errFile = Files.createTempFile("git", ".err");
            try {
                Process p = pb.redirectOutput(outFile.toFile())
                        .redirectError(errFile.toFile())
                        .start();
                if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new GitException(
                            "git " + String.join(" ", args) + " did not finish in " + TIMEOUT_SECONDS + " s");
                }
                Out o = new Out(
                        p.exitValue(),
                        Files.readString(outFile, StandardCharsets.UTF_8),
                        Files.readString(errFile, StandardCharsets.UTF_8));
                if (log != null && !o.err.isBlank()) {
                    log.accept(o.err);
                }
                return o;
            } finally {
                Files.deleteIfExists(outFile);
                Files.deleteIfExists(errFile);
            }
        } catch (IOException e) {
            throw new GitException("cannot run git: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GitException("interrupted while running git");
        }
    }

    static Out ok(Path dir, Consumer<String> log, String... args) {
        return okAuthorized(dir, log, null, args);
    }

    static Out okAuthorized(Path dir, Consumer<String> log, String authorization, String... args) {
        Out o = runAuthorized(dir, log, authorization, args);
        if (o.exit != 0) {
            throw new GitException("git " + String.join(" ", args) + " failed (exit " + o.exit + "): "
                    + lastLines(o.err.isBlank() ? o.out : o.err));
        }
        return o;
    }

    static String lastLines(String s) {
        List<String> lines = s.strip().lines().toList();
        return String.join(" / ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
    }

    /**
     * Checks {@code commit} out into {@code dir} (emptied first): fetches just that commit, falling back to a full
     * fetch for servers that refuse to serve a commit by id.
     */
    public static void checkout(String cloneUrl, String commit, Path dir, Consumer<String> log) {
        checkout(cloneUrl, commit, dir, null, log);
    }

    /** @param authorization an HTTP Authorization header for the fetch (a private repository), or null */
    public static void checkout(String cloneUrl, String commit, Path dir, String authorization, Consumer<String> log) {
        try {
            if (Files.exists(dir)) {
                deleteTree(dir);
            }
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new GitException("cannot prepare " + dir + ": " + e.getMessage());
        }
        ok(dir, log, "init", "-q");
        ok(dir, log, "remote", "add", "origin", cloneUrl);
        Out shallow = runAuthorized(dir, log, authorization, "fetch", "-q", "--depth", "1", "origin", commit);
        if (shallow.exit != 0) {
            okAuthorized(
                    dir,
                    log,
                    authorization,
                    "fetch",
                    "-q",
                    "origin",
                    "+refs/heads/*:refs/remotes/origin/*",
                    "+refs/tags/*:refs/tags/*");
        }
        ok(dir, log, "-c", "advice.detachedHead=false", "checkout", "-q", commit);
        String head = ok(dir, null, "rev-parse", "HEAD").out.trim();
        if (!head.equals(commit) && !head.startsWith(commit)) {
            throw new GitException("checked out " + head + " but " + commit + " was asked for");
        }
    }

    /** The HEAD commit of a working tree. */
    public static String head(Path worktree) {
        return ok(worktree, null, "rev-parse", "HEAD").out.trim();
    }

    /** Whether a working tree has uncommitted changes to tracked files. */
    public static boolean dirty(Path worktree) {
        return !ok(worktree, null, "status", "--porcelain", "--untracked-files=no")
                .out
                .isBlank();
    }

    /** The URL of a working tree's {@code origin} remote, if it has one. */
    public static Optional<String> originUrl(Path worktree) {
        Out o = run(worktree, null, "remote", "get-url", "origin");
        return o.exit() == 0 && !o.out().isBlank() ? Optional.of(o.out().trim()) : Optional.empty();
    }

    /** A cache of bare repositories, one per clone URL, for reading single files at a commit. */
    public static final class FileReader {
        private final Path cache;

        public FileReader(Path cache) {
            this.cache = cache;
        }

        /** The file's text at {@code commit}, or empty when the commit has no such file. */
        public synchronized Optional<String> read(String cloneUrl, String commit, String path) {
            Path repo = cache.resolve(hash(cloneUrl));
            if (!Files.isDirectory(repo)) {
                try {
                    Files.createDirectories(repo);
                } catch (IOException e) {
                    throw new GitException("cannot create " + repo + ": " + e.getMessage());
                }
                ok(repo, null, "init", "-q", "--bare");
            }
            if (run(repo, null, "cat-file", "-e", commit + "^{commit}").exit != 0) {
                Out o = run(repo, null, "fetch", "-q", "--depth", "1", cloneUrl, commit);
                if (o.exit != 0) {
                    ok(repo, null, "fetch", "-q", cloneUrl, "+refs/*:refs/remotes/src/*");
                }
            }
            Out show = run(repo, null, "show", commit + ":" + path);
            if (show.exit != 0) {
                if (run(repo, null, "cat-file", "-e", commit + "^{commit}").exit != 0) {
                    throw new GitException("commit " + commit + " is not in " + cloneUrl);
                }
                return Optional.empty();
            }
            return Optional.of(show.out);
        }

        private static String hash(String s) {
            try {
                return HexFormat.of()
                        .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)))
                        .substring(0, 24);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    static void deleteTree(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
