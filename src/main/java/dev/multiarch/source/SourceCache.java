package dev.multiarch.source;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Bare mirrors of the repositories builds come from, one per clone URL, under one directory: a commit is fetched once
 * ({@code --depth 1}) and every job of it checks it out from there, side by side. A runner keeps one under its work
 * directory for trusted jobs; an untrusted job gets one of its own in its job directory, deleted with it (see
 * SECURITY.md). The coordinator reads {@code .multiarch.yaml} through one ({@link Git.FileReader}).
 *
 * <p>A mirror's directory is named by the SHA-256 of its clone URL: a URL never becomes a path. {@link Mirror} says
 * how a mirror stays sound with concurrent jobs and a runner killed mid-fetch.
 */
public final class SourceCache implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SourceCache.class.getName());

    /** Commits kept per mirror: older ones lose their ref, and git's gc their objects. */
    static final int KEEP_PER_MIRROR = 32;

    /**
     * What a checkout cost.
     *
     * @param fetched  the commit was fetched now (false: it was in the cache, or borrowed from a local source)
     * @param fetch    waiting for the mirror and fetching (near zero when cached)
     * @param checkout writing the tree into the job's directory
     * @param whole    the whole tree was written (a context of {@code .}, or one reached through a symlink), not only
     *                 the build context and Dockerfile
     */
    public record Checkout(boolean fetched, Duration fetch, Duration checkout, boolean whole) {}

    private final Path root;
    private final int keep;
    private final Map<String, Mirror> mirrors = new ConcurrentHashMap<>();
    /** When each commit was last checked out (a counter, not a clock): the newest are advertised first. */
    private final Map<String, Long> lastUsed = new ConcurrentHashMap<>();

    private final AtomicLong uses = new AtomicLong();

    /** git-lfs: looked up on PATH; tests name one that is not there. */
    private volatile String lfsProgram = Lfs.PROGRAM;

    /** Runs {@code program} as git-lfs from now on (tests: a runner without it). */
    void lfsProgram(String program) {
        this.lfsProgram = program;
        mirrors.clear();
    }

    /**
     * Opens (or starts) the cache under {@code root}: removes what a killed runner left half made or half deleted,
     * and reads which commits each mirror holds. For a directory only this cache uses (an untrusted job's, a
     * coordinator's); a runner's, which another runner process sharing the work directory may open too, goes through
     * {@link #forProcess}.
     */
    public SourceCache(Path root) {
        this(root, KEEP_PER_MIRROR);
    }

    /** The lock file that says a live process uses a cache directory. */
    static final String OWNER_LOCK = ".in-use.lock";

    /** Where the caches of further processes sharing {@code root} live: {@code root/also-1}, {@code root/also-2}, … */
    static final String ALSO = "also-";

    /**
     * The cache of this process under {@code root}, which other processes (runners sharing one work directory) may
     * use at the same time: each live process holds a file lock on the directory it uses, {@code root} itself for the
     * first, {@code root/also-N} for the next. A cache is cleaned (what a killed runner left half made) and evicted
     * only by the process that holds it, and a mirror's held commits are known to that process alone, so two processes
     * never write one mirror (each fetches for itself, which is what one cache per process costs). The lock is held
     * until the process ends.
     */
    public static SourceCache forProcess(Path root) {
        for (int n = 0; n < 64; n++) {
            Path dir = n == 0 ? root : root.resolve(ALSO + n);
            if (lock(dir)) {
                if (n > 0) {
                    int slot = n;
                    LOG.info(
                            () -> "source cache " + root + " is used by another process; this one uses " + ALSO + slot);
                }
                SourceCache cache = new SourceCache(dir, KEEP_PER_MIRROR);
                cache.locked = dir.toAbsolutePath().normalize();
                return cache;
            }
        }
        throw new Git.GitException("source cache " + root + ": 64 processes use it already");
    }

    /**
     * The directories this process holds, each with its channel kept open (and so locked) as long as it runs. Asked
     * before a lock file is opened: closing a second channel on a file this JVM holds locked would drop that lock
     * (POSIX locks are the process's, see {@link java.nio.channels.FileLock}).
     */
    private static final Map<Path, java.nio.channels.FileChannel> HELD = new ConcurrentHashMap<>();

    /** The directory this cache holds locked ({@link #forProcess}), or null. */
    private Path locked;

    /** Lets another process (or agent) use this cache's directory; the cache is not used after this. */
    @Override
    public void close() {
        if (locked != null) {
            synchronized (SourceCache.class) {
                java.nio.channels.FileChannel ch = HELD.remove(locked);
                if (ch != null) {
                    try {
                        ch.close();
                    } catch (IOException ignored) {
                        // the lock goes with the process anyway
                    }
                }
            }
            locked = null;
        }
    }

    private static synchronized boolean lock(Path dir) {
        Path key = dir.toAbsolutePath().normalize();
        if (HELD.containsKey(key)) {
            return false; // a second agent in this JVM (tests)
        }
        java.nio.channels.FileChannel ch = null;
        try {
            Files.createDirectories(dir);
            ch = java.nio.channels.FileChannel.open(
                    dir.resolve(OWNER_LOCK),
                    java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.WRITE);
            if (ch.tryLock() != null) {
                HELD.put(key, ch);
                return true;
            }
        } catch (IOException e) {
            throw new Git.GitException("source cache " + dir + ": " + e.getMessage());
        }
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing was locked
        }
        return false;
    }

    /** @param keep commits kept per mirror */
    SourceCache(Path root, int keep) {
        this.root = root;
        this.keep = keep;
        if (!Files.isDirectory(root)) {
            return;
        }
        try (var entries = Files.list(root)) {
            for (Path p : entries.toList()) {
                String name = p.getFileName().toString();
                if (name.startsWith(".tmp-") || name.startsWith(".trash-")) {
                    LOG.info(() -> "source cache: removing " + name + ", left by an earlier run");
                    Git.deleteTree(p);
                } else if (name.endsWith(".git") && Files.isDirectory(p)) {
                    Mirror m = mirror(name.substring(0, name.length() - ".git".length()));
                    m.load();
                    m.commits().forEach(c -> lastUsed.put(c, uses.incrementAndGet()));
                }
            }
        } catch (IOException | Git.GitException e) {
            LOG.warning(() -> "source cache " + root + ": " + e.getMessage() + "; mirrors are made again as needed");
        }
    }

    private Mirror mirror(String key) {
        return mirrors.computeIfAbsent(key, k -> new Mirror(root, k, keep, lfsProgram));
    }

    /** The mirror's name: never derived from the URL's text itself (no path from a stranger's string). */
    static String key(CloneUrl url) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256")
                            .digest(url.url().getBytes(StandardCharsets.UTF_8)))
                    .substring(0, 32);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The directory this cache keeps its mirrors in. */
    Path root() {
        return root;
    }

    /** The bare repository that holds {@code url}'s commits (tests). */
    Path mirrorDir(CloneUrl url) {
        return mirror(key(url)).dir();
    }

    /**
     * What a job's checkout writes: its build context and Dockerfile ({@link Selection} says exactly what), or with a
     * context of {@code .} the whole tree. Both paths are relative to the repository's root, as configured; they are
     * checked here (no absolute path, no {@code ..}, {@code .} or empty component, no {@code .git}), whatever checked
     * them before.
     *
     * @param context    the build context's directory ({@code .}: the whole tree)
     * @param dockerfile the Dockerfile, or null
     */
    public record Scope(String context, String dockerfile) {
        public Scope {
            java.util.Objects.requireNonNull(context, "context");
            Selection.components(context, "build context");
            Selection.components(dockerfile, "Dockerfile");
        }

        /** The whole tree. */
        public static Scope whole() {
            return new Scope(".", null);
        }
    }

    /** Writes the whole tree of {@code commit}: {@link #checkout(CloneUrl, String, Path, String, Consumer, Scope)}. */
    public Checkout checkout(CloneUrl url, String commit, Path worktree, String authorization, Consumer<String> log) {
        return checkout(url, commit, worktree, authorization, log, Scope.whole());
    }

    /**
     * Writes what {@code scope} selects of the tree of {@code commit} into {@code worktree} (emptied first; no {@code
     * .git} in it), fetching the commit into the mirror first if no earlier job did, and the Git LFS objects of the
     * files written if no earlier job did.
     *
     * @param authorization an HTTP Authorization header for the fetch (a private repository), or null; it is used for
     *                      this fetch and stored nowhere
     * @param log           git's messages and the cache's own; may be null
     * @throws Git.GitException when the commit is not a full id, the fetch fails, the commit is not in the repository
     *     or the context is a submodule
     */
    public Checkout checkout(
            CloneUrl url, String commit, Path worktree, String authorization, Consumer<String> log, Scope scope) {
        Git.objectId(commit);
        java.util.Objects.requireNonNull(scope, "scope");
        Path index = worktree.resolveSibling(worktree.getFileName() + ".index");
        Checkout c = mirror(key(url)).withCommit(url, commit, authorization, scope, log, (how, fetchNanos) -> {
            long t0 = System.nanoTime();
            boolean whole = mirror(key(url)).checkout(commit, worktree, index, scope);
            return new Checkout(
                    how == Mirror.Obtained.FETCHED,
                    Duration.ofNanos(fetchNanos),
                    Duration.ofNanos(System.nanoTime() - t0),
                    whole);
        });
        lastUsed.put(commit, uses.incrementAndGet());
        return c;
    }

    /** A file's text at {@code commit}, or empty when the commit has no such file. */
    Optional<String> read(CloneUrl url, String commit, String path) {
        Git.objectId(commit);
        Mirror m = mirror(key(url));
        Optional<String> text = m.withCommit(url, commit, null, null, null, (how, nanos) -> m.show(commit, path));
        lastUsed.put(commit, uses.incrementAndGet());
        return text;
    }

    /** The committer time of a commit a checkout brought into this cache (the checkout itself has no .git). */
    public java.time.Instant commitTime(CloneUrl url, String commit) {
        Git.objectId(commit);
        return mirror(key(url)).commitTime(commit);
    }

    /** The commits held, most recently used first, at most {@code max}: what a runner tells the dispatcher. */
    public List<String> commits(int max) {
        List<String> all = new ArrayList<>();
        mirrors.values().forEach(m -> all.addAll(m.commits()));
        List<String> held = new ArrayList<>(all.stream().distinct().toList());
        lastUsed.keySet().retainAll(held);
        held.sort(Comparator.comparingLong((String c) -> lastUsed.getOrDefault(c, 0L))
                .reversed());
        return List.copyOf(held.subList(0, Math.min(max, held.size())));
    }
}
