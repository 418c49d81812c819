package dev.multiarch.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.MVStore;

/**
 * The housekeeping H2 does in its background thread, done here because {@code WRITE_DELAY=0} stops that thread: every
 * 50 ms, while fewer than {@value #FILL_RATE}% of the bytes in the file's chunks are live, the live pages of the
 * sparsest chunks (up to 4 MB) are rewritten into a new chunk ({@link MVStore#compact}, H2's own rewrite, the one its
 * background thread runs with its default {@code AUTO_COMPACT_FILL_RATE} of 90) and committed. The emptied chunks are
 * then free (the store runs with {@code RETENTION_TIME=0}) and the next commits are written into their space instead
 * of at the end of the file.
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
                compactOnce();
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

    /** Stops the thread after the round in progress (it is not interrupted). */
    @Override
    public void close() {
        closed = true;
        try {
            thread.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
