package dev.multiarch.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * "Jobs may have been queued": the store's wake-up for dispatchers ({@link Store#onJobsQueued}). On H2 (one process)
 * the writer tells this process's listeners after its commit. On PostgreSQL the writing transaction sends
 * {@code NOTIFY multiarch_jobs} (delivered to every listening session when, and only if, it commits), and each store
 * keeps one connection in {@code LISTEN multiarch_jobs} on a daemon thread: a build created through coordinator B
 * wakes the dispatcher of coordinator A, whose runners are long-polling there. After (re)connecting, listeners are
 * called once, since notifications sent while no session listened are lost.
 */
final class Wakeups implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Wakeups.class.getName());
    static final String CHANNEL = "multiarch_jobs";
    private static final int POLL_MS = 500;

    private final DataSource ds;
    private final Dialect dialect;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private Thread thread;
    private volatile boolean closed;

    Wakeups(DataSource ds, Dialect dialect) {
        this.ds = ds;
        this.dialect = dialect;
    }

    synchronized Store.Subscription subscribe(Runnable listener) {
        listeners.add(listener);
        if (dialect == Dialect.POSTGRESQL && thread == null && !closed) {
            thread = new Thread(this::listen, "multiarch-store-listen");
            thread.setDaemon(true);
            thread.start();
        }
        return () -> listeners.remove(listener);
    }

    /** Inside the transaction that queued jobs: on PostgreSQL, tell every coordinator when it commits. */
    void announce(Connection c) throws SQLException {
        if (dialect == Dialect.POSTGRESQL) {
            try (Statement s = c.createStatement()) {
                s.execute("NOTIFY " + CHANNEL);
            }
        }
    }

    /** After that transaction committed: on H2, tell this process (PostgreSQL delivers the NOTIFY instead). */
    void committed() {
        if (dialect == Dialect.H2) {
            fire();
        }
    }

    private void fire() {
        for (Runnable l : listeners) {
            try {
                l.run();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "a store wake-up listener failed", e);
            }
        }
    }

    private void listen() {
        while (!closed) {
            try (Connection c = ds.getConnection();
                    Statement s = c.createStatement()) {
                s.execute("LISTEN " + CHANNEL);
                PGConnection pg = c.unwrap(PGConnection.class);
                fire();
                while (!closed) {
                    PGNotification[] got = pg.getNotifications(POLL_MS);
                    if (got != null && got.length > 0) {
                        fire();
                    }
                }
            } catch (SQLException | RuntimeException e) {
                if (!closed) {
                    LOG.log(Level.WARNING, "listening for jobs queued by other coordinators failed; again in 1 s", e);
                    LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1));
                }
            }
        }
    }

    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            closed = true;
            t = thread;
        }
        if (t != null) {
            try {
                t.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
