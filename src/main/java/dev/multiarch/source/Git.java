package dev.multiarch.source;

import dev.multiarch.base.ChildEnvironment;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Runs git. Blocking; every failure names the command and what git said.
 *
 * <p>Hardened for sources we do not trust: URLs are checked by {@link CloneUrl} before git runs; every command gets
 * {@code -c protocol.allow=never -c protocol.https.allow=always} (plus the one protocol its URL needs); positional
 * arguments follow {@code --} (or {@code --end-of-options} where {@code --} would start a path list); commits must be
 * full hex object ids; git runs in {@link ChildEnvironment} (nothing of ours inherited); and commands that touch a
 * remote ignore the system and global git configuration ({@code url.*.insteadOf}, credential helpers, LFS filters of
 * the host must not apply to a stranger's repository).
 */
public final class Git {
    private static final long TIMEOUT_SECONDS = 600;

    /** Every git command: no transport but https unless a {@link CloneUrl} adds its own. */
    static final List<String> BASE_PROTOCOLS =
            List.of("-c", "protocol.allow=never", "-c", "protocol.https.allow=always");

    private static final Pattern OBJECT_ID = Pattern.compile("[0-9a-f]{40}|[0-9a-f]{64}");

    private Git() {}

    /** Thrown when git fails or is refused; the message carries git's own last lines. */
    public static final class GitException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public GitException(String message) {
            super(message);
        }
    }

    record Out(int exit, String out, String err) {}

    /**
     * How one git command runs.
     *
     * @param protocols {@code -c} options from {@link #BASE_PROTOCOLS} or {@link CloneUrl#protocolConfig()}
     * @param config    further configuration, given through git's environment ({@code GIT_CONFIG_COUNT}): a
     *                  credential header must not be in argv, where {@code ps} shows it
     * @param hermetic  ignore the system and global git configuration (anything that talks to a remote)
     */
    record Call(
            List<String> protocols,
            List<Map.Entry<String, String>> config,
            boolean hermetic,
            Map<String, String> extra) {
        static final Call LOCAL = new Call(BASE_PROTOCOLS, List.of(), false, Map.of());
        static final Call OWN_REPO = new Call(BASE_PROTOCOLS, List.of(), true, Map.of());

        /**
         * A fetch from {@code url}; the Authorization header, if any, is scoped to that URL ({@code
         * http.<url>.extraHeader}, which git and git-lfs match by scheme, host, port and path prefix): git-lfs adds it
         * per request, so an LFS download link on another host (GitHub's CDN) never carries it. On a redirect to another
         * host, curl (for git) and git-lfs drop an Authorization header themselves.
         */
        static Call fetch(CloneUrl url, String authorization) {
            List<Map.Entry<String, String>> config = new ArrayList<>(FSCK);
            config.addAll(authorizationConfig(url, authorization));
            return new Call(url.protocolConfig(), List.copyOf(config), true, Map.of());
        }

        /** One of our own repositories, with an index file of the caller's ({@code GIT_INDEX_FILE}). */
        static Call withIndex(Path index) {
            return new Call(BASE_PROTOCOLS, List.of(), true, Map.of("GIT_INDEX_FILE", index.toString()));
        }

        Map<String, String> environment() {
            Map<String, String> env = new LinkedHashMap<>(extra);
            env.put("GIT_TERMINAL_PROMPT", "0");
            if (hermetic) {
                env.put("GIT_CONFIG_NOSYSTEM", "1");
                env.put("GIT_CONFIG_GLOBAL", "/dev/null");
            }
            if (!config.isEmpty()) {
                // git >= 2.31 reads config from the environment, and passes it on to what it runs (git-lfs).
                env.put("GIT_CONFIG_COUNT", String.valueOf(config.size()));
                for (int i = 0; i < config.size(); i++) {
                    env.put("GIT_CONFIG_KEY_" + i, config.get(i).getKey());
                    env.put("GIT_CONFIG_VALUE_" + i, config.get(i).getValue());
                }
            }
            return env;
        }
    }

    /**
     * Every object a fetch brings is checked as {@code git fsck} would ({@code fetch.fsckObjects}), so a tree git
     * itself would refuse never reaches the mirror: duplicate or unsorted entries (the index keeps the last of two
     * {@code sub}: a symlink where the listing saw a directory), {@code .git}, {@code ..} or empty names, bad modes.
     * Checks of commit and tag headers (dates, time zones, e-mail addresses) only warn: old repositories carry such
     * commits, and nothing is written from them.
     */
    static final List<Map.Entry<String, String>> FSCK = List.of(
            Map.entry("fetch.fsckObjects", "true"),
            Map.entry("fetch.fsck.badDate", "warn"),
            Map.entry("fetch.fsck.badDateOverflow", "warn"),
            Map.entry("fetch.fsck.badEmail", "warn"),
            Map.entry("fetch.fsck.badTimezone", "warn"),
            Map.entry("fetch.fsck.missingEmail", "warn"),
            Map.entry("fetch.fsck.missingNameBeforeEmail", "warn"),
            Map.entry("fetch.fsck.missingSpaceBeforeDate", "warn"),
            Map.entry("fetch.fsck.missingSpaceBeforeEmail", "warn"),
            Map.entry("fetch.fsck.multipleAuthors", "warn"),
            Map.entry("fetch.fsck.zeroPaddedDate", "warn"),
            Map.entry("fetch.fsck.missingTaggerEntry", "warn"));

    static List<Map.Entry<String, String>> authorizationConfig(CloneUrl url, String authorization) {
        return authorization == null
                ? List.of()
                : List.of(Map.entry("http." + url.url() + ".extraHeader", "Authorization: " + authorization));
    }

    static Out run(Path dir, Consumer<String> log, Call call, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("git");
        cmd.addAll(call.protocols());
        cmd.addAll(List.of(args));
        Raw r = exec(cmd, dir, call.environment(), null, "git " + String.join(" ", args));
        Out o = new Out(r.exit(), new String(r.out(), StandardCharsets.UTF_8), r.err());
        if (log != null && !o.err.isBlank()) {
            log.accept(o.err);
        }
        return o;
    }

    /** What a program printed, as bytes (blob contents). */
    record Raw(int exit, byte[] out, String err) {}

    /**
     * Runs {@code cmd} (git, or git-lfs) in {@link ChildEnvironment} plus {@code env}, with {@code stdin} (or nothing)
     * as its input.
     *
     * @param what the command for messages
     */
    static Raw exec(List<String> cmd, Path dir, Map<String, String> env, byte[] stdin, String what) {
        Path inFile = null;
        try {
            ProcessBuilder pb = ChildEnvironment.apply(new ProcessBuilder(cmd), env);
            if (dir != null) {
                pb.directory(dir.toFile());
            }
            Path outFile = Files.createTempFile("git", ".out");
            Path errFile = Files.createTempFile("git", ".err");
            java.io.File input = new java.io.File("/dev/null");
            if (stdin != null) {
                inFile = Files.createTempFile("git", ".in");
                Files.write(inFile, stdin);
                input = inFile.toFile();
            }
            try {
                Process p = pb.redirectOutput(outFile.toFile())
                        .redirectError(errFile.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(input))
                        .start();
                try {
                    if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                        kill(p);
                        throw new GitException(what + " did not finish in " + TIMEOUT_SECONDS + " s");
                    }
                } catch (InterruptedException e) {
                    // The job was stopped: git must not go on writing into a repository we no longer watch.
                    kill(p);
                    throw e;
                }
                return new Raw(
                        p.exitValue(), Files.readAllBytes(outFile), Files.readString(errFile, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(outFile);
                Files.deleteIfExists(errFile);
                if (inFile != null) {
                    Files.deleteIfExists(inFile);
                }
            }
        } catch (IOException e) {
            throw new GitException("cannot run " + cmd.get(0) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GitException("interrupted while running " + cmd.get(0));
        }
    }

    /** git and what it started (upload-pack, a remote helper). */
    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }

    static Out ok(Path dir, Consumer<String> log, Call call, String... args) {
        Out o = run(dir, log, call, args);
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

    /** A full hex object id (SHA-1 or SHA-256), or a {@link GitException}: never an option, a range or a ref name. */
    static String objectId(String commit) {
        if (commit == null || !OBJECT_ID.matcher(commit).matches()) {
            throw new GitException("'" + (commit == null ? "" : commit.substring(0, Math.min(80, commit.length())))
                    + "' is not a full commit id (40 or 64 lowercase hex digits)");
        }
        return commit;
    }

    /** The HEAD commit of a working tree (the user's own checkout: its configuration applies). */
    public static String head(Path worktree) {
        return ok(worktree, null, Call.LOCAL, "rev-parse", "--verify", "--end-of-options", "HEAD^{commit}")
                .out
                .trim();
    }

    /** Whether a working tree has uncommitted changes to tracked files. */
    public static boolean dirty(Path worktree) {
        return !ok(worktree, null, Call.LOCAL, "status", "--porcelain", "--untracked-files=no")
                .out
                .isBlank();
    }

    /** The URL of a working tree's {@code origin} remote, if it has one. */
    public static Optional<String> originUrl(Path worktree) {
        Out o = run(worktree, null, Call.LOCAL, "remote", "get-url", "origin");
        return o.exit() == 0 && !o.out().isBlank() ? Optional.of(o.out().trim()) : Optional.empty();
    }

    /** Reads single files at a commit, through a {@link SourceCache} (one bare mirror per clone URL). */
    public static final class FileReader {
        private final SourceCache cache;
        private final boolean allowLocal;

        /** Remote sources only: https, and http to loopback. */
        public FileReader(Path cache) {
            this(cache, false);
        }

        /** @param allowLocalSources whether clone URLs may name local repositories (see {@link CloneUrl}) */
        public FileReader(Path cache, boolean allowLocalSources) {
            this.cache = new SourceCache(cache);
            this.allowLocal = allowLocalSources;
        }

        /**
         * The file's text at {@code commit}, or empty when the commit has no such file.
         *
         * @throws GitException when the URL is refused, the commit is not a full id, or git fails
         */
        public Optional<String> read(String cloneUrl, String commit, String path) {
            CloneUrl url = CloneUrl.parse(cloneUrl, allowLocal);
            return cache.read(url, objectId(commit), path);
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
