package dev.multiarch.runner;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.UUID;

/**
 * Files that hold secrets (the runner's token, a job's registry credentials): readable by the runner's user only
 * from the moment they exist. A {@code chmod} after writing leaves a window in which another user of the host can
 * open the file (and keep it open); creating it 0600 does not.
 */
final class PrivateFiles {
    private PrivateFiles() {}

    static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    /** Creates {@code file} (it must not exist) with mode 0600 and writes {@code bytes}. */
    static void create(Path file, byte[] bytes) throws IOException {
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } catch (UnsupportedOperationException e) {
            throw new IOException("cannot create " + file + " readable by its owner only: not a POSIX file system", e);
        }
        try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.WRITE)) {
            out.write(bytes);
        }
    }

    /**
     * Replaces {@code file} with {@code bytes} at once: a temporary file created 0600 in the same directory, then
     * renamed over it ({@code ATOMIC_MOVE}). A crash leaves the old file or the new one, never half of one.
     */
    static void replace(Path file, byte[] bytes) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            create(tmp, bytes);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Deletes {@code file} if it exists; never throws (called from finally blocks). */
    static void deleteQuietly(Path file) {
        if (file == null) {
            return;
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // the job directory that holds it is deleted next
        }
    }
}
