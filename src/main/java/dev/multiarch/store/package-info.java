/**
 * Durable state: builds, jobs, job logs, runners, tag owners, webhook deliveries and the status outbox, behind one
 * small interface ({@link dev.multiarch.store.Store}) in plain SQL, implemented once ({@link
 * dev.multiarch.store.JdbcStore}) for an embedded H2 file (one coordinator) and for PostgreSQL (several coordinators
 * sharing one database); {@link dev.multiarch.store.Dialect} is the table of the few places the two differ.
 *
 * <p>{@code JdbcStore} is the one public class: it opens the database, runs the migrations and delegates each data
 * area to a package-private class that holds its SQL and its transactions: {@code Builds} (creation, state moves,
 * the finish lease), {@code Jobs} (claims, leases, completion and fan-in, step times), {@code Logs}, {@code Runners}
 * (and the metrics' census), {@code Tags} (tag owners, tag moves, publications), {@code Deliveries} (webhook
 * deliveries), {@code Reports} (the status outbox), {@code JdbcSessions}, {@code DashboardReads} and {@code
 * Retention}. They share {@code Sql} (one transaction, one run again after losing a race to insert a key, statements
 * with their parameters bound in order) and {@code Rows} (the build and job rows, typed once); {@code Wakeups} tells
 * dispatchers that jobs were queued.
 *
 * <p>What must survive a crash is decided here, in single transactions: a job's lease (an expired lease returns the
 * job to the queue, attempt + 1, up to a bound); the last platform's digest and the build's move to
 * {@code verifying} (so exactly one caller fans in); the move to {@code publishing}; and which build owns each tag.
 * Schema changes are numbered SQL files under {@code db/migration}, one history for both databases, applied once each
 * in order of the number in their name ({@link dev.multiarch.store.Migrations}).
 *
 * <p>Staying small: webhook payloads and log chunks are stored deflated ({@link dev.multiarch.store.Deflated}); the
 * deliveries, logs and sent check reports of finished work are deleted after {@code store.retention} ({@link
 * dev.multiarch.store.Retention}); builds and tag owners are kept.
 *
 * <p>H2's file, and what an acknowledged commit means there ({@link dev.multiarch.store.JdbcStore#embedded}). H2
 * (MVStore) writes every commit as a new chunk and never overwrites a page in place; {@code WRITE_DELAY=0} makes it
 * write the chunk before the commit returns, but H2 does not sync it: it is in the operating system's cache, which
 * survives the process being killed (StoreCrashTest kills a writer with SIGKILL five times and finds every
 * acknowledged delivery) but not necessarily a power cut. A chunk whose pages were all superseded is kept 45 s
 * ({@code RETENTION_TIME}) before its space is reused, and {@code WRITE_DELAY=0} also stops H2's background thread,
 * which would otherwise rewrite chunks that are mostly superseded; so under a burst of webhooks the open file grows
 * with the number of commits (about 33 KB each), not with the data: bench/store-bench measured 11× (8 senders
 * through the webhook intake) to 46× (one sender through the intake: two commits per delivery) the 14.7 MB per
 * 10,000 deliveries the file holds once {@code SHUTDOWN COMPACT} has rewritten it on close.
 *
 * <p>Tried and not adopted (commit dd90fe5 has the code): the file opened {@code O_DSYNC} (every write on the disk
 * before it returns), {@code RETENTION_TIME=0} and a thread running H2's chunk rewrite ({@code MVStore.compact}) every
 * 50 ms kept the open file at 1.6-2.1× its data, at the price of a synchronous write per commit (2-3× fewer
 * deliveries a second). But StoreCrashTest lost acknowledged deliveries once in 40 kills with it (the reopened
 * file was about 150 deliveries older than the last acknowledgement; a SIGKILL leaves the operating system's cache
 * intact, so this is H2's recovery of a file whose freed chunks are reused at once, not a lost write), and never in
 * 25 kills without it. Moving chunks while open ({@code MVStore.compactFile}) tripped an assertion inside H2. For
 * sustained webhook bursts, use PostgreSQL.
 *
 * <p>A GitHub build's origin (repository, commit, pull request, delivery) is kept in indexed columns, read from the
 * trigger JSON when the build is created ({@link dev.multiarch.store.OriginKeys}), so that a redelivery, a re-run or
 * a closed pull request finds its builds in one indexed query however old they are.
 *
 * <p>The dashboard's reads ({@link dev.multiarch.store.DashboardReads}) are indexed the same way (V11): the builds
 * list is a keyset page ({@code id < before}, newest first) under one index per filter, so page 200 costs what page 1
 * does; every move of a tag is kept in {@code tag_moves} (a small row per tag published, kept like builds) for the
 * image page's history.
 */
package dev.multiarch.store;
