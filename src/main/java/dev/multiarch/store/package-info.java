/**
 * Durable state: builds, jobs, job logs, runners, tag owners, webhook deliveries and the status outbox, behind one
 * small interface ({@link dev.multiarch.store.Store}) in plain SQL, implemented once ({@link
 * dev.multiarch.store.JdbcStore}) for an embedded H2 file (one coordinator) and for PostgreSQL (several coordinators
 * sharing one database); {@link dev.multiarch.store.Dialect} is the table of the few places the two differ.
 *
 * <p>What must survive a crash is decided here, in single transactions: a job's lease (an expired lease returns the
 * job to the queue, attempt + 1, up to a bound); the last platform's digest and the build's move to
 * {@code verifying} (so exactly one caller fans in); the move to {@code publishing}; and which build owns each tag.
 * Schema changes are numbered SQL files under {@code db/migration}, one history for both databases, applied once each
 * in order of the number in their name ({@link dev.multiarch.store.Migrations}).
 *
 * <p>Staying small: webhook payloads and log chunks are stored deflated ({@link dev.multiarch.store.Deflated}); the
 * deliveries, logs and sent check reports of finished work are deleted after {@code store.retention} ({@link
 * dev.multiarch.store.Retention}); builds and tag owners are kept. H2 writes every commit as a new chunk of its file
 * ({@code WRITE_DELAY=0}: acknowledged means on disk) and frees old chunks only 45 s later, so under a burst of
 * webhooks its file grows with the number of commits (about 33 KB each) rather than with the data; the store runs
 * {@code SHUTDOWN COMPACT} when it closes, which brings the file back to the data it holds.
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
