package dev.multiarch.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.MVStore;

/**
 * The chunk rewrite H2 does in its background thread, done here because {@code WRITE_DELAY=0} stops that thread:
 * every {@value #PERIOD_MILLIS} ms, while fewer than {@value #FILL_RATE}% of the bytes in the file's chunks are live,
 * the live pages of the sparsest chunks (up to 4 MB) are rewritten into a new chunk ({@link MVStore#compact}, H2's own
 * rewrite, the one its background thread runs with its default {@code AUTO_COMPACT_FILL_RATE} of 90) and committed.
 *
 * <p>Without it a chunk is freed only when every page in it was superseded, and under a burst of inserts nearly every
 * chunk keeps a page or two for good (the leaf that was full when it was written): every chunk stays in the file, and
 * the layout map listing them grows with them (bench/store-bench found it was about half of what each commit
 * writes). H2 rewrites only chunks older than its {@code RETENTION_TIME} (left at its default, 45 s), and frees the
 * emptied ones then; so the file holds about the last 45 s of commits plus the live data, instead of every commit.
 *
 * <p>Nothing here changes what the database holds: a rewritten page holds what it held, and its commit is an ordinary
 * MVStore commit under H2's store lock (what a transaction's commit does). Chunks are never moved ({@code
 * MVStore.compactFile}, which tripped an assertion inside H2 when tried, is not used): the file does not shrink while
 * open, its space is reused; {@code SHUTDOWN COMPACT} on close shrinks it.
 *
 * <p>The thread is never interrupted (H2 closes its file when a thread doing I/O on it is); {@link #close} asks it to
 * stop and waits for the round in progress.
 */
final class H2Compaction implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(H2Compaction.class.getName());
    /** Below this percentage of live bytes in the chunks, chunks are rewritten (H2's AUTO_COMPACT_FILL_RATE). */
    static final int FILL_RATE = 90;

    private static final int WRITE_LIMIT = 4 << 20;
    private static final long PERIOD_MILLIS = 50;

    private final MVStore store;
    private final Thread thread;
    private volatile boolean closed;
    /** Rounds that rewrote chunks, and the largest the file was seen at (for the log line on close). */
    private long rewrites;

    private long largestFile;

    private H2Compaction(MVStore store) {
        this.store = store;
        this.thread = new Thread(this::run, "multiarch-h2-compaction");
        thread.setDaemon(true);
    }

    /** Starts compacting the H2 database {@code ds} opens (an embedded one, in this process). */
    static H2Compaction start(DataSource ds) {
        MVStore mv;
        try (Connection c = ds.getConnection()) {
            mv = ((SessionLocal) c.unwrap(JdbcConnection.class).getSession())
                    .getDatabase()
                    .getStore()
                    .getMvStore();
        } catch (SQLException e) {
            throw new StoreException("cannot reach the H2 store: " + e.getMessage(), e);
        }
        H2Compaction h = new H2Compaction(mv);
        h.thread.start();
        return h;
    }

    private void run() {
        while (!closed) {
            try {
                Thread.sleep(PERIOD_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            if (closed || store.isClosed()) {
                return;
            }
            try {
                largestFile = Math.max(largestFile, store.getFileStore().size());
                if (compactOnce()) {
                    rewrites++;
                }
            } catch (RuntimeException e) {
                if (store.isClosed()) {
                    return;
                }
                LOG.warning("compacting the store's file failed (it is tried again): " + e);
            }
        }
    }

    /** One round: rewrites the sparsest chunks if the file is below the fill rate; true if it did. */
    boolean compactOnce() {
        if (store.getFileStore().getChunksFillRate() >= FILL_RATE || !store.compact(FILL_RATE, WRITE_LIMIT)) {
            return false;
        }
        store.commit();
        return true;
    }

    /**
     * Stops the thread after the round in progress (it is not interrupted), and logs what was written to the file
     * since it was opened: H2 writes about one chunk per commit.
     */
    @Override
    public void close() {
        closed = true;
        try {
            thread.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!store.isClosed()) {
            var f = store.getFileStore();
            java.util.Map<String, String> info = new java.util.HashMap<>();
            f.populateInfo(info::put);
            long writes = Long.parseLong(info.getOrDefault("info.FILE_WRITE", "0"));
            long written = Long.parseLong(info.getOrDefault("info.FILE_WRITE_BYTES", "0"));
            LOG.info(String.format(
                    "H2 file since it was opened: %d writes (about one per commit), %.1f KB each; %d rounds of "
                            + "chunk rewrites; %.1f MB at most, %.1f MB now (%d%% live) before it is compacted",
                    writes,
                    written / 1024.0 / Math.max(1, writes),
                    rewrites,
                    Math.max(largestFile, f.size()) / 1e6,
                    f.size() / 1e6,
                    f.getFillRate()));
        }
    }
}
