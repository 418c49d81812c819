package dev.multiarch.source;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;

/**
 * One bare repository holding the commits fetched from one clone URL, so that a commit is fetched once and checked
 * out many times (one job per platform).
 *
 * <p>What keeps it sound when jobs run side by side and a runner is killed at any moment:
 *
 * <ul>
 *   <li>It appears whole: made under a temporary name, then renamed into place.
 *   <li>Every write to it (a fetch, the garbage collection git runs after one, our ref updates) happens under the
 *       write lock of this process and a file lock (another process on the same directory), between writing the
 *       marker file {@value #MARKER} and deleting it. A marker found by the next writer means a writer died (or git
 *       was killed) halfway: git's lock files, a half-updated {@code shallow} file, refs we never wrote. The mirror is
 *       then moved aside and made again: one fetch lost, nothing trusted that was half written.
 *   <li>A commit is held when {@code refs/multiarch/commits/<id>} names it. The ref is written after a fetch of that
 *       commit succeeded, and a depth-1 fetch brings the commit's whole tree in one pack, so a held commit can be
 *       checked out. The ref also keeps its objects from git's garbage collection; only the newest {@code keep}
 *       commits keep theirs.
 *   <li>Checkouts read under the read lock: many at once, never while the mirror is made again.
 *   <li>No credential is written: fetches name the URL on the command line (no remote in the configuration), the
 *       {@code Authorization} header reaches git through its environment ({@link Git.Call}), and {@code FETCH_HEAD} is
 *       not written.
 * </ul>
 *
 * <p>For a local source ({@code multiarch build DIR}), the mirror borrows the source's objects
 * ({@code objects/info/alternates}, as {@code git clone --shared} does) instead of packing and copying them: nothing is
 * fetched at all.
 */
final class Mirror {
    static final String REFS = "refs/multiarch/commits/";
    static final String MARKER = "multiarch-writing";

    /** How a commit came to be held. */
    enum Obtained {
        /** Held already: fetched by an earlier job. */
        CACHED,
        /** Fetched now. */
        FETCHED,
        /** Its objects were already there (a local source's, borrowed); only our ref was written. */
        PRESENT
    }

    final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final Path root;
    private final String key;
    private final Path dir;
    private final int keep;
    /** Held commits, oldest first; written under the write lock only. */
    private final LinkedHashSet<String> commits = new LinkedHashSet<>();
    /**
     * The LFS files of held commits whose LFS objects are in the mirror too (an empty list: the commit uses no LFS);
     * written under the write lock only. Not kept on disk: after a restart, the first checkout of a commit looks again
     * (and finds the objects there).
     */
    private final java.util.Map<String, List<Lfs.File>> lfs = new java.util.HashMap<>();
    /** git-lfs: a name looked up on PATH, or a path (tests: one that is not there). */
    private final String lfsProgram;

    private boolean loaded;

    Mirror(Path root, String key, int keep, String lfsProgram) {
        this.lfsProgram = lfsProgram;
        this.root = root;
        this.key = key;
        this.dir = root.resolve(key + ".git");
        this.keep = keep;
    }

    Path dir() {
        return dir;
    }

    /** What {@code use} does with the mirror once the commit is held, under the read lock. */
    @FunctionalInterface
    interface Use<T> {
        T apply(Obtained how, long fetchNanos);
    }

    /**
     * Runs {@code use} with {@code commit} held (fetched first when it is not), under the read lock: other jobs may
     * read at the same time; nobody writes until it returns.
     *
     * @param scope   what a checkout writes: the objects of its Git LFS files are fetched too; null to read one file
     */
    <T> T withCommit(
            CloneUrl url,
            String commit,
            String authorization,
            SourceCache.Scope scope,
            Consumer<String> log,
            Use<T> use) {
        long t0 = System.nanoTime();
        Obtained how = Obtained.CACHED;
        boolean reading = false;
        try {
            lock.readLock().lock();
            reading = true;
            if (!holds(commit, scope)) {
                lock.readLock().unlock();
                reading = false;
                lock.writeLock().lock();
                try {
                    how = obtain(url, commit, authorization, scope, log);
                    // Downgrade: nobody can make the mirror again between the fetch and our read.
                    lock.readLock().lock();
                    reading = true;
                } finally {
                    lock.writeLock().unlock();
                }
            }
            return use.apply(how, System.nanoTime() - t0);
        } finally {
            if (reading) {
                lock.readLock().unlock();
            }
        }
    }

    /**
     * Whether {@code commit} is held, and with a {@code scope} every LFS object of the files it writes is here whole
     * (one a checkout found damaged was deleted: it is fetched again).
     */
    private boolean holds(String commit, SourceCache.Scope scope) {
        if (!loaded || !commits.contains(commit)) {
            return false;
        }
        if (scope == null) {
            return true;
        }
        List<Lfs.File> files = lfs.get(commit);
        return files != null
                && (files.isEmpty()
                        || Lfs.missing(dir, selected(commit, scope, files)).isEmpty());
    }

    /** The LFS files of {@code files} that a checkout of {@code scope} writes. */
    private List<Lfs.File> selected(String commit, SourceCache.Scope scope, List<Lfs.File> files) {
        if (files.isEmpty()) {
            return files;
        }
        Selection s = Selection.of(dir, commit, scope);
        return s.whole()
                ? files
                : files.stream().filter(f -> s.selects(f.path())).toList();
    }

    /** The LFS files of a commit held with its LFS objects ({@link #withCommit} with a scope). */
    List<Lfs.File> lfsFiles(String commit) {
        List<Lfs.File> files = lfs.get(commit);
        if (files == null) {
            throw new IllegalStateException(commit + " is not held with its LFS objects");
        }
        return files;
    }

    /** Held commits, oldest first. */
    List<String> commits() {
        lock.readLock().lock();
        try {
            return List.copyOf(commits);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Reads the held commits from disk (the runner started again); a mirror left half written holds none. */
    void load() {
        lock.writeLock().lock();
        try {
            if (!loaded && Files.isDirectory(dir) && !Files.exists(dir.resolve(MARKER))) {
                readRefs();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void readRefs() {
        commits.clear();
        lfs.clear();
        Git.Out o = Git.ok(
                dir, null, Git.Call.OWN_REPO, "for-each-ref", "--sort=committerdate", "--format=%(objectname)", REFS);
        o.out().lines().filter(l -> !l.isBlank()).forEach(commits::add);
        loaded = true;
    }

    /** Under the write lock: makes {@code commit} held, repairing the mirror first if a writer died in it. */
    private Obtained obtain(
            CloneUrl url, String commit, String authorization, SourceCache.Scope scope, Consumer<String> log) {
        Path lockFile = root.resolve(key + ".lock");
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new Git.GitException("cannot create the source cache " + root + ": " + e.getMessage());
        }
        // Closing the channel releases the lock; so does the death of this process.
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ch.lock();
            return obtainLocked(url, commit, authorization, scope, log);
        } catch (IOException e) {
            throw new Git.GitException("source cache " + dir + ": " + e.getMessage());
        }
    }

    private Obtained obtainLocked(
            CloneUrl url, String commit, String authorization, SourceCache.Scope scope, Consumer<String> log)
            throws IOException {
        if (Files.exists(dir.resolve(MARKER))) {
            say(
                    log,
                    "source cache: an earlier fetch into this mirror did not finish (runner stopped?); "
                            + "making the mirror again");
            discard();
        }
        if (!Files.isDirectory(dir)) {
            create(url);
        }
        if (!loaded) {
            readRefs();
        }
        if (holds(commit, scope)) {
            return Obtained.CACHED; // another job fetched it while we waited
        }
        Files.writeString(dir.resolve(MARKER), "");
        // From here on, a GitException thrown by Git.run (git killed: timeout, job stopped) leaves the marker: the
        // next writer starts afresh. git that exits by itself has removed its own lock files.
        Obtained how = commits.contains(commit) ? Obtained.CACHED : Obtained.PRESENT;
        String failure = null;
        if (!present(commit)) {
            how = Obtained.FETCHED;
            failure = fetch(url, commit, authorization, log);
        }
        List<Lfs.File> lfsFiles = null;
        if (failure == null && scope != null) {
            try {
                lfsFiles = lfs.get(commit);
                if (lfsFiles == null) {
                    lfsFiles = Lfs.files(dir, commit, root.resolve(".tmp-" + key + "-" + UUID.randomUUID() + ".index"));
                }
                // Only the objects of the files this checkout writes (its build context).
                List<Lfs.File> missing = Lfs.missing(dir, selected(commit, scope, lfsFiles));
                if (!missing.isEmpty()) {
                    say(log, "Git LFS: fetching the content of " + missing.size() + " file(s)");
                    how = Obtained.FETCHED;
                    Set<Lfs.File> notHeld = new HashSet<>(Lfs.missing(dir, lfsFiles));
                    List<Lfs.File> held =
                            lfsFiles.stream().filter(f -> !notHeld.contains(f)).toList();
                    failure = Lfs.fetch(dir, url, commit, authorization, lfsProgram, missing, held, log);
                    if (failure != null) {
                        // A commit that never gets all its objects must not fill the disk a little more each try.
                        Lfs.removePartial(dir);
                        evictLfs();
                    }
                }
            } catch (Git.GitException e) {
                // git-lfs killed (its time ran out, the job stopped): what it left half-written goes too.
                Lfs.removePartial(dir);
                failure = e.getMessage();
            }
        }
        if (failure == null && commits.contains(commit)) {
            if (lfsFiles != null) {
                lfs.put(commit, lfsFiles);
            }
        } else if (failure == null) {
            Git.Out ref = Git.run(dir, null, Git.Call.OWN_REPO, "update-ref", "--no-deref", REFS + commit, commit);
            if (ref.exit() != 0) {
                failure = "cannot record " + commit + " in the source cache: " + Git.lastLines(ref.err());
            } else {
                commits.add(commit);
                if (lfsFiles != null) {
                    lfs.put(commit, lfsFiles);
                }
                evict();
            }
        }
        Files.delete(dir.resolve(MARKER));
        if (failure != null) {
            throw new Git.GitException(failure);
        }
        return how;
    }

    /** The commit object is here (borrowed from a local source, or left by a fetch whose ref we did not write). */
    private boolean present(String commit) {
        return Git.run(dir, null, Git.Call.OWN_REPO, "cat-file", "-e", "--end-of-options", commit + "^{commit}")
                        .exit()
                == 0;
    }

    /**
     * Fetches just that commit, its tree and nothing older ({@code --depth 1}), falling back to every branch and tag
     * for servers that refuse to serve a commit by id. Returns null, or why it failed.
     */
    private String fetch(CloneUrl url, String commit, String authorization, Consumer<String> log) {
        Git.Call call = Git.Call.fetch(url, authorization);
        Git.Out shallow = Git.run(
                dir,
                log,
                call,
                "fetch",
                "-q",
                "--no-tags",
                "--no-write-fetch-head",
                "--depth",
                "1",
                "--",
                url.url(),
                commit);
        if (shallow.exit() == 0 && present(commit)) {
            return null;
        }
        Git.Out full = Git.run(
                dir,
                log,
                call,
                "fetch",
                "-q",
                "--no-tags",
                "--no-write-fetch-head",
                "--prune",
                "--",
                url.url(),
                "+refs/heads/*:refs/multiarch/heads/*",
                "+refs/tags/*:refs/multiarch/tags/*");
        if (full.exit() != 0) {
            return "git fetch " + url + " " + commit + " failed (exit " + full.exit() + "): "
                    + Git.lastLines(full.err().isBlank() ? shallow.err() : full.err());
        }
        return present(commit) ? null : "commit " + commit + " is not in " + url;
    }

    /** Drops the refs of the oldest commits beyond {@code keep}; git's gc removes their objects in its own time. */
    private void evict() {
        List<String> old = new ArrayList<>();
        var it = commits.iterator();
        while (commits.size() - old.size() > keep && it.hasNext()) {
            old.add(it.next());
        }
        for (String c : old) {
            if (Git.run(dir, null, Git.Call.OWN_REPO, "update-ref", "-d", REFS + c)
                            .exit()
                    == 0) {
                commits.remove(c);
                lfs.remove(c);
            }
        }
        if (!old.isEmpty()) {
            evictLfs();
        }
    }

    /**
     * Deletes the LFS objects no held commit needs (git's gc does not know them). A held commit not looked at since the
     * runner started is looked at now; if that fails, nothing is deleted.
     */
    private void evictLfs() {
        Path objects = dir.resolve("lfs/objects");
        if (!Files.isDirectory(objects)) {
            return;
        }
        java.util.Set<String> needed = new java.util.HashSet<>();
        try {
            for (String c : commits) {
                List<Lfs.File> files = lfs.get(c);
                if (files == null) {
                    files = Lfs.files(dir, c, root.resolve(".tmp-" + key + "-" + UUID.randomUUID() + ".index"));
                }
                files.forEach(f -> needed.add(f.oid()));
            }
            try (var walk = Files.walk(objects)) {
                for (Path p : walk.filter(Files::isRegularFile).toList()) {
                    if (!needed.contains(p.getFileName().toString())) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        } catch (IOException | Git.GitException e) {
            // Kept until the next eviction: a disk that holds a little more, never a checkout without its content.
        }
    }

    /** A new, empty mirror, renamed into place once complete. */
    private void create(CloneUrl url) throws IOException {
        Path tmp = root.resolve(".tmp-" + key + "-" + UUID.randomUUID());
        Git.ok(root, null, Git.Call.OWN_REPO, "init", "-q", "--bare", "--", tmp.toString());
        // gc runs inside the fetch, while we hold the locks, never detached into the background.
        Git.ok(tmp, null, Git.Call.OWN_REPO, "config", "gc.autoDetach", "false");
        Optional<Path> objects = localObjects(url);
        if (objects.isPresent()) {
            Files.writeString(tmp.resolve("objects/info/alternates"), objects.get() + "\n");
        }
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        commits.clear();
        lfs.clear();
        loaded = true;
    }

    /**
     * A local source's object directory ({@code DIR/objects} of a bare repository, {@code DIR/.git/objects} of a
     * working tree); empty for remote sources and for anything else (a {@code .git} file: a worktree or submodule,
     * which the fetch handles).
     */
    static Optional<Path> localObjects(CloneUrl url) {
        if (url.kind() != CloneUrl.Kind.LOCAL) {
            return Optional.empty();
        }
        String path = url.url().startsWith("file://") ? url.url().substring("file://".length()) : url.url();
        Path p = Path.of(path);
        for (Path objects : List.of(p.resolve("objects"), p.resolve(".git").resolve("objects"))) {
            if (Files.isDirectory(objects) && Files.isDirectory(objects.resolve("pack"))) {
                try {
                    return Optional.of(objects.toRealPath());
                } catch (IOException e) {
                    return Optional.empty();
                }
            }
        }
        return Optional.empty();
    }

    /** Moves the mirror aside (at once: a new one can be made under its name) and deletes it. */
    private void discard() throws IOException {
        Path trash = root.resolve(".trash-" + key + "-" + UUID.randomUUID());
        Files.move(dir, trash, StandardCopyOption.ATOMIC_MOVE);
        commits.clear();
        lfs.clear();
        loaded = false;
        Git.deleteTree(trash);
    }

    /**
     * Writes what {@code scope} selects of the commit's tree into {@code worktree} (emptied first). Under the read
     * lock, with the commit held. Returns whether the whole tree was written.
     */
    boolean checkout(String commit, Path worktree, Path index, SourceCache.Scope scope) {
        Selection selection = Selection.of(dir, commit, scope);
        try {
            if (Files.exists(worktree)) {
                Git.deleteTree(worktree);
            }
            Files.createDirectories(worktree);
            Files.deleteIfExists(index);
        } catch (IOException e) {
            throw new Git.GitException("cannot prepare " + worktree + ": " + e.getMessage());
        }
        try {
            // A private index: checkouts of one mirror run side by side and leave nothing in it.
            if (selection.whole()) {
                Git.ok(
                        worktree,
                        null,
                        Git.Call.withIndex(index),
                        "--git-dir=" + dir,
                        "--work-tree=" + worktree,
                        "read-tree",
                        "--reset",
                        "-u",
                        "--end-of-options",
                        commit + "^{tree}");
                Lfs.materialize(dir, lfsFiles(commit), worktree);
                return true;
            }
            // The whole index (so that the commit's .gitattributes apply as in a whole checkout: eol, ident), but
            // only the selected paths written, named as literal pathspecs.
            Git.ok(
                    worktree,
                    null,
                    Git.Call.withIndex(index),
                    "--git-dir=" + dir,
                    "read-tree",
                    "--end-of-options",
                    commit + "^{tree}");
            List<String> specs = selection.pathspecs();
            if (!specs.isEmpty()) {
                // No hook: git runs post-checkout after a checkout of paths too (the mirror has none; none ever runs).
                List<String> args = new ArrayList<>(List.of(
                        "-c",
                        "core.hooksPath=/dev/null",
                        "--git-dir=" + dir,
                        "--work-tree=" + worktree,
                        "--literal-pathspecs",
                        "checkout",
                        "-q",
                        "--"));
                args.addAll(specs);
                Git.ok(worktree, null, Git.Call.withIndex(index), args.toArray(String[]::new));
            }
            for (String d : selection.dirs()) {
                try {
                    Files.createDirectories(worktree.resolve(d));
                } catch (IOException e) {
                    throw new Git.GitException("cannot create " + d + " in the checkout: " + e.getMessage());
                }
            }
            Lfs.materialize(
                    dir,
                    lfsFiles(commit).stream()
                            .filter(f -> selection.selects(f.path()))
                            .toList(),
                    worktree);
            return false;
        } finally {
            try {
                Files.deleteIfExists(index);
            } catch (IOException ignored) {
                // in the job directory, which goes with the job
            }
        }
    }

    /** A file's text at a held commit; empty when the commit has no such file. Under the read lock. */
    Optional<String> show(String commit, String path) {
        Git.Out show = Git.run(dir, null, Git.Call.OWN_REPO, "show", "--end-of-options", commit + ":" + path);
        return show.exit() == 0 ? Optional.of(show.out()) : Optional.empty();
    }

    /** The committer time of a commit this mirror holds (what images built from it give as their creation time). */
    java.time.Instant commitTime(String commit) {
        Git.Out show = Git.run(dir, null, Git.Call.OWN_REPO, "show", "-s", "--format=%ct", "--end-of-options", commit);
        try {
            return java.time.Instant.ofEpochSecond(Long.parseLong(show.out().trim()));
        } catch (NumberFormatException e) {
            throw new Git.GitException(
                    "git gave no commit time for " + commit + ": '" + show.out().trim() + "'");
        }
    }

    private static void say(Consumer<String> log, String line) {
        if (log != null) {
            log.accept(line);
        }
    }
}
