package dev.multiarch.runner;

import dev.multiarch.base.Json;
import dev.multiarch.dispatch.Protocol;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The runner's layer cache: one buildah image storage per repository, image and platform ({@code cache/<scope>/} in
 * the work directory), kept between jobs so that {@code buildah bud --layers} finds the steps an earlier build of that
 * image on that platform made. A scope per platform because buildah 1.28 does not check a cached step's platform (it
 * would hand an arm64 build the amd64 result of a {@code COPY} of the same file); a scope per repository and image so
 * that one repository's builds never run into another's leftovers, even when both may publish the same image: each
 * scope is a storage root of its own, so a {@code FROM localhost/multiarch-last-build} (or any other name in a storage)
 * finds only its own scope's images.
 *
 * <p>Jobs of one scope may run at once (containers/storage locks its own files, as for concurrent podman and buildah
 * processes); each holds the scope's read lock while its build uses the storage, and a shared file lock
 * ({@code .locks/<scope>.lock}) that runner processes sharing one work directory see too. {@link #prune} removes the
 * least recently used scopes while their total size is over {@code cache-size}, taking each one's write lock and an
 * exclusive file lock without waiting (a scope in use, by this process or another, is skipped). A scope is removed by renaming it first, so a runner killed mid-removal leaves
 * a {@code .removing-*} directory that the next start deletes, never half a storage that buildah would use.
 *
 * <p>Sizes are measured by walking a scope after each job that used it (the sum of its files' sizes, vfs keeping a
 * whole copy of the file system per layer) and remembered in the scope's {@code size} file, so pruning does not walk
 * every scope.
 */
final class CacheScopes {
    private static final Logger LOG = Logger.getLogger(CacheScopes.class.getName());
    private static final String LAST_USED = "last-used";
    private static final String SIZE = "size";
    private static final String REMOVING = ".removing-";

    private final Path root;
    private final long maxBytes;
    private final Clock clock;
    private static final String LOCKS = ".locks";
    private final ConcurrentHashMap<String, ScopeLock> locks = new ConcurrentHashMap<>();

    /**
     * One scope's locks: in this process a read-write lock (jobs read, pruning writes); across processes sharing the
     * work directory a POSIX record lock on {@code .locks/<scope>.lock}, shared while any job of this process uses the
     * scope, exclusive while pruning removes it. The lock file lives outside the scope's directory, which removal
     * renames and deletes, so a job waiting for it never ends up holding the lock of a storage that is gone. The JVM
     * allows one lock per file region per process (a second throws {@link OverlappingFileLockException}), hence the
     * count of this process's users.
     */
    private final class ScopeLock {
        final ReentrantReadWriteLock rw = new ReentrantReadWriteLock();
        private final String name;
        private FileChannel channel;
        private int users;

        ScopeLock(String name) {
            this.name = name;
        }

        private FileChannel open() throws IOException {
            Path dir = Files.createDirectories(root.resolve(LOCKS));
            return FileChannel.open(
                    dir.resolve(name + ".lock"),
                    StandardOpenOption.CREATE,
                    StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
        }

        /** Shared with other processes' jobs; waits while another process removes the scope. */
        synchronized void share() throws IOException {
            if (users == 0) {
                FileChannel c = open();
                try {
                    c.lock(0, Long.MAX_VALUE, true);
                } catch (IOException | RuntimeException e) {
                    c.close();
                    throw e;
                }
                channel = c;
            }
            users++;
        }

        synchronized void unshare() {
            if (--users == 0) {
                closeQuietly(channel);
                channel = null;
            }
        }

        /**
         * Exclusive, without waiting; null when a job of another process holds the scope. Called with {@link #rw}'s
         * write lock held, so no job of this process does.
         */
        synchronized FileChannel exclusive() {
            FileChannel c = null;
            try {
                c = open();
                if (c.tryLock(0, Long.MAX_VALUE, false) != null) {
                    return c;
                }
            } catch (IOException | OverlappingFileLockException e) {
                LOG.fine(() -> "cannot lock the cache scope " + name + ": " + e.getMessage());
            }
            closeQuietly(c);
            return null;
        }
    }

    private static void closeQuietly(FileChannel c) {
        if (c != null) {
            try {
                c.close(); // releases its lock
            } catch (IOException ignored) {
                // nothing held any more either way
            }
        }
    }

    /** @param maxBytes {@code cache-size}: above this total, least recently used scopes go */
    CacheScopes(Path root, long maxBytes, Clock clock) {
        this.root = root;
        this.maxBytes = maxBytes;
        this.clock = clock;
    }

    /**
     * A job's hold on its scope's storage; closing it lets pruning remove the scope again.
     *
     * @param fresh the storage was made for this job: this runner never built the image for the platform (or removed
     *              what it had)
     */
    record Lease(String name, Path storage, Runnable release, boolean fresh) implements AutoCloseable {
        @Override
        public void close() {
            release.run();
        }
    }

    /** What is on disk for one scope. */
    record Scope(String name, Path dir, FileTime lastUsed, long size) {}

    /**
     * The scope of one repository's builds of an image for a platform: its storage, held until the lease is closed.
     *
     * @param repository the tenant ({@code owner/name}, compared in lower case): two repositories allowed to publish
     *                   the same image never share a storage, so neither reaches the other's steps or last build
     */
    Lease acquire(String repository, String image, String platform) throws IOException {
        String name = name(repository, image, platform);
        ScopeLock scope = lockOf(name);
        Lock lock = scope.rw.readLock();
        lock.lock();
        try {
            scope.share();
        } catch (IOException | RuntimeException e) {
            lock.unlock();
            throw e;
        }
        Runnable release = () -> {
            scope.unshare();
            lock.unlock();
        };
        try {
            Path dir = root.resolve(name);
            boolean fresh = !Files.isDirectory(dir.resolve("storage"));
            Files.createDirectories(dir.resolve("storage"));
            Path about = dir.resolve("scope.json");
            if (!Files.exists(about)) {
                var n = Json.MAPPER
                        .createObjectNode()
                        .put("repository", repository.toLowerCase(java.util.Locale.ROOT))
                        .put("image", image)
                        .put("platform", platform);
                Files.write(about, Json.MAPPER.writeValueAsBytes(n));
            }
            Path used = dir.resolve(LAST_USED);
            if (!Files.exists(used)) {
                Files.createFile(used);
            }
            Files.setLastModifiedTime(used, FileTime.from(clock.instant()));
            return new Lease(name, dir.resolve("storage"), release, fresh);
        } catch (IOException | RuntimeException e) {
            release.run();
            throw e;
        }
    }

    /** A scope's directory name: {@link Protocol#cacheScope}, which the coordinator computes for a job too. */
    static String name(String repository, String image, String platform) {
        return Protocol.cacheScope(repository, image, platform);
    }

    private ScopeLock lockOf(String name) {
        return locks.computeIfAbsent(name, ScopeLock::new);
    }

    /** Measures a scope's size now and remembers it; returns it. */
    long measure(String name) {
        Path dir = root.resolve(name);
        long size = sizeOf(dir);
        try {
            Files.writeString(dir.resolve(SIZE), Long.toString(size));
        } catch (IOException e) {
            LOG.fine(() -> "cannot record the size of " + dir + ": " + e.getMessage());
        }
        return size;
    }

    /** Every scope on disk, least recently used first. */
    List<Scope> scopes() {
        List<Scope> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (var dirs = Files.list(root)) {
            for (Path d : dirs.toList()) {
                String name = d.getFileName().toString();
                if (name.startsWith(".") || !Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                FileTime used;
                try {
                    used = Files.getLastModifiedTime(d.resolve(LAST_USED));
                } catch (IOException e) {
                    used = FileTime.fromMillis(0);
                }
                long size;
                try {
                    size = Long.parseLong(Files.readString(d.resolve(SIZE)).trim());
                } catch (IOException | NumberFormatException e) {
                    size = measure(name);
                }
                out.add(new Scope(name, d, used, size));
            }
        } catch (IOException e) {
            LOG.warning(() -> "cannot list the layer cache " + root + ": " + e.getMessage());
        }
        out.sort(Comparator.comparing(Scope::lastUsed).thenComparing(Scope::name));
        return out;
    }

    /**
     * The names of the scopes holding a storage, most recently used first, at most {@code max}: what a poll reports
     * ({@link Protocol.Poll#cacheScopes}). Reads each scope's {@code last-used} time only, never measures: a runner asks
     * before every poll.
     */
    List<String> recent(int max) {
        record Used(String name, FileTime at) {}
        List<Used> found = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (var dirs = Files.list(root)) {
            for (Path d : dirs.toList()) {
                String name = d.getFileName().toString();
                if (name.startsWith(".") || !Files.isDirectory(d.resolve("storage"), LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                try {
                    found.add(new Used(name, Files.getLastModifiedTime(d.resolve(LAST_USED))));
                } catch (IOException e) {
                    // made just now, or being removed: not worth a preference
                }
            }
        } catch (IOException e) {
            LOG.fine(() -> "cannot list the layer cache " + root + ": " + e.getMessage());
        }
        found.sort(Comparator.comparing(Used::at).reversed().thenComparing(Used::name));
        return found.stream().limit(max).map(Used::name).toList();
    }

    /**
     * Removes least recently used scopes not in use until the total is at most {@code cache-size}.
     *
     * @return the names of the scopes removed
     */
    List<String> prune(Consumer<String> log) {
        List<Scope> all = scopes();
        long total = all.stream().mapToLong(Scope::size).sum();
        List<String> removed = new ArrayList<>();
        for (Scope s : all) {
            if (total <= maxBytes) {
                break;
            }
            ScopeLock scope = lockOf(s.name());
            Lock w = scope.rw.writeLock();
            if (!w.tryLock()) {
                continue; // a job of this runner uses it
            }
            Path away = null;
            String what = describe(s);
            try {
                FileChannel held = scope.exclusive();
                if (held == null) {
                    continue; // a job of another runner process sharing the work directory uses it
                }
                try {
                    away = moveAway(s.dir());
                } finally {
                    closeQuietly(held);
                }
            } finally {
                w.unlock();
            }
            if (away != null) {
                // Out of the scope's name: jobs may make it again while this deletes what it held.
                deleteTree(away);
                total -= s.size();
                removed.add(s.name());
                log.accept("layer cache: removed " + what + " (least recently used; the cache held "
                        + mib(total + s.size()) + " of " + mib(maxBytes) + ")");
            }
        }
        return removed;
    }

    private static String describe(Scope s) {
        try {
            var n = Json.MAPPER.readTree(s.dir().resolve("scope.json").toFile());
            return n.path("image").asText() + " " + n.path("platform").asText() + " ("
                    + n.path("repository").asText() + "), " + mib(s.size());
        } catch (IOException e) {
            return s.name() + ", " + mib(s.size());
        }
    }

    static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    /** Deletes what a removal cut short (a runner killed mid-way). */
    void removeLeftovers() {
        if (!Files.isDirectory(root)) {
            return;
        }
        try (var dirs = Files.list(root)) {
            for (Path d : dirs.toList()) {
                if (d.getFileName().toString().startsWith(REMOVING)) {
                    LOG.info(() -> "removing " + d + ", left by an interrupted cache removal");
                    deleteTree(d);
                }
            }
        } catch (IOException e) {
            LOG.warning(() -> "cannot list " + root + ": " + e.getMessage());
        }
    }

    /**
     * Renamed first (atomic), then deleted by the caller: never half a storage under a scope's name.
     *
     * @return where it went; null when it could not be moved
     */
    private static Path moveAway(Path dir) {
        Path away = dir.resolveSibling(REMOVING + dir.getFileName() + "-" + System.nanoTime());
        try {
            Files.move(dir, away, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.warning(() -> "cannot remove the cache scope " + dir + ": " + e.getMessage());
            return null;
        }
        return away;
    }

    static void deleteTree(Path dir) {
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                    Files.deleteIfExists(f);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path f, IOException e) {
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (NoSuchFileException ignored) {
            // already gone
        } catch (IOException e) {
            LOG.warning(() -> "cannot delete " + dir + ": " + e.getMessage());
        }
    }

    /** The sizes of the regular files under {@code dir}, links not followed. */
    static long sizeOf(Path dir) {
        long[] total = {0};
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes a) {
                    if (a.isRegularFile()) {
                        total[0] += a.size();
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path f, IOException e) {
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            LOG.fine(() -> "cannot measure " + dir + ": " + e.getMessage());
        }
        return total[0];
    }
}
