package dev.multiarch.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import org.h2.store.fs.FilePath;
import org.h2.store.fs.FilePathWrapper;

/**
 * H2's files opened for synchronous writes ({@code O_DSYNC}, {@link java.io.RandomAccessFile}'s mode {@code "rwd"}): a
 * write H2 makes to its file is on the disk when it returns. H2 itself never syncs a commit (with {@code WRITE_DELAY=0}
 * it writes each commit's chunk before the commit returns, but to the operating system's cache; it forces the file
 * only when it closes or compacts it), so without this an acknowledged commit survives the process being killed but
 * not the machine losing power.
 *
 * <p>It is what lets the store set H2's {@code RETENTION_TIME} to 0 (see {@link JdbcStore#embedded(Path)}): H2 keeps a
 * dead chunk for the retention time because the writes that made it dead may still be in the operating system's cache
 * when its space is reused, and a power cut could then leave a file whose last complete version points into
 * overwritten space. With every write on the disk before the next one starts, the version that made a chunk dead is
 * on the disk before anything can overwrite that chunk.
 *
 * <p>An H2 file-system wrapper (H2's documented extension point, {@link FilePath#register}); the URL names it by its
 * prefix, {@code jdbc:h2:multiarch-dsync:/path/name}. Files opened read-only, or already synchronous, are opened as
 * asked.
 */
public final class SyncedFiles extends FilePathWrapper {
    static final String SCHEME = "multiarch-dsync";

    static {
        FilePath.register(new SyncedFiles());
    }

    /** For H2, which makes one per path it wraps. */
    public SyncedFiles() {}

    /** What a database file name starts with to be opened through this (registered once, when first asked). */
    static String prefix() {
        return SCHEME + ":";
    }

    @Override
    public String getScheme() {
        return SCHEME;
    }

    @Override
    public FileChannel open(String mode) throws IOException {
        return getBase().open("rw".equals(mode) ? "rwd" : mode);
    }
}
