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
 * dev.multiarch.store.Retention}); builds and tag owners are kept.
 *
 * <p>H2's file, and what an acknowledged commit means there ({@link dev.multiarch.store.JdbcStore#embedded}). H2
 * (MVStore) writes every commit as a new chunk at a free place in its file and never overwrites a page in place;
 * {@code WRITE_DELAY=0} makes it write the chunk before the commit returns. H2 itself never syncs that write, so the
 * file is opened for synchronous writes ({@link dev.multiarch.store.SyncedFiles}, {@code O_DSYNC}): an acknowledged
 * delivery, build or lease is on the disk, and survives the process killed (StoreCrashTest kills a writer with SIGKILL
 * five times and finds every acknowledged delivery) and the machine losing power (as far as the disk honours a synchronous write). A chunk whose pages were all
 * superseded is free, but H2 keeps it 45 s by default ({@code RETENTION_TIME}) in case the writes that superseded it
 * have not reached the disk, so that a power cut leaves an older version intact; under a burst of webhooks the file
 * then grew with the number of commits (about 33 KB each: 335 MB open for 10,000 deliveries committed one by one,
 * 23× the 14.7 MB they take compacted). With every write on the disk before the next one begins, the commit that
 * emptied a chunk is on the disk before anything can reuse its space, so the store sets {@code RETENTION_TIME=0}.
 * Chunks that still hold a little live data are rewritten ({@link dev.multiarch.store.H2Compaction}, the rewrite H2's
 * background thread would do if {@code WRITE_DELAY=0} had not turned it off) so that their space is freed too. The
 * open file stays within twice the data it holds (bench/store-bench: 1.6-2.1× the compacted file, 10,000 and 20,000
 * deliveries, one or eight senders); {@code SHUTDOWN COMPACT} on close rewrites it with only live data. The price is
 * one synchronous disk write per commit, which the webhook intake's batching shares among the deliveries that arrive
 * together.
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
