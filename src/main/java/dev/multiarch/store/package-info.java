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
 * in order of the number in their name ({@link dev.multiarch.store.Migrations}); a new H2 database is made from one
 * script of the schema up to V15 instead ({@code db/h2-baseline-v15.sql}, held to the migrations by a test), then
 * migrated from there.
 *
 * <p>Staying small: webhook payloads and log chunks are stored deflated ({@link dev.multiarch.store.Deflated}); the
 * deliveries, logs and sent check reports of finished work are deleted after {@code store.retention} ({@link
 * dev.multiarch.store.Retention}); builds and tag owners are kept.
 *
 * <p>H2's file, and what an acknowledged commit means there ({@link dev.multiarch.store.JdbcStore#embedded}). H2
 * (MVStore) writes every commit as a new chunk and never overwrites a page in place; {@code WRITE_DELAY=0} makes it
 * write the chunk before the commit returns, but H2 does not sync it: it is in the operating system's cache, which
 * survives the process being killed (StoreCrashTest kills a writer with SIGKILL five times and finds every
 * acknowledged delivery) but not necessarily a power cut.
 *
 * <p>What a commit writes (H2's own counters, {@code INFORMATION_SCHEMA.SETTINGS} {@code info.FILE_WRITE*}, and the
 * chunks of a file read back with {@code MVStoreTool.dump}), before the journal: about 29 KB to store one delivery, 42
 * KB for two with the marks of two earlier ones, 32 KB to mark one; about 45 % of it H2's layout map (an entry per
 * chunk), the rest the changed pages and their paths: an {@code UPDATE} removes and re-adds the row in every index
 * (H2's {@code Table.updateRows}), so a mark or a claim renewal rewrites a leaf in each, not only in the state index.
 * Nearly every chunk keeps a page or two that nothing supersedes, so almost no chunk is freed during a burst: the open
 * file is close to every byte written since the burst began, and what matters is how many bytes a delivery makes H2
 * write, not the 45 s retention. With the webhook journal (below) commits are groups, and the layout map is small.
 *
 * <p>Measured per 10,000 deliveries (2026-11-29, bench/webhook-load at 500 a second for 60 s after a 10 s warm-up:
 * 35,000 deliveries; a 2-core machine shared with other work, load average 1-5). Three denominators: the payloads'
 * JSON as received (74.7 MB per 10,000 with distinct pushes, 68.5 MB with the identical example), the payloads
 * deflated as stored (14.9 MB; 13.4 MB identical) plus 1.0 MB of the rows' other text, and the file after a clean
 * stop ({@code SHUTDOWN COMPACT}, which writes every page LZF-compressed). With the identical example every delivery
 * had before, the clean file (5.0 MB) was a third of the deflated payloads it holds: a page of identical deflated
 * payloads compresses to almost nothing, which no installation's deliveries do. With distinct pushes (WebhookLoad's
 * default now) it is 16.9 MB. Open at the end of the burst: main 60.6 MB with distinct pushes (0.81x the JSON, 4.1x
 * the deflated payloads, 3.6x the clean file; identical 57.7 MB, 11.6x its 5.0 MB clean file); with V16 and {@code
 * COMPRESS=TRUE} 41.4 MB (0.55x the JSON, 2.8x the deflated payloads, 2.5x the clean file of 16.5 MB; V16 alone
 * 47.1 MB, 2.9x; with a 500 ms commit delay 38.3 MB, 2.3x; identical payloads 28.3 MB against a 4.3 MB clean file).
 * So the 2x asked for is not reached at the journal's 150 ms groups; it is by the issue's own measure (payload bytes
 * received), which main met already. CPU per delivery: README, "The store". With both, StoreCrashTest and
 * JournalCrashTest (five kills a run) passed 17 runs each (85 kills each; nothing lost).
 *
 * <p>Where a delivery's bytes went, in a model of the journal's commits on a bare H2 file (bench/H2FileModel.java:
 * 35,000 distinct payloads, groups of 75 each committed with the previous group's marks; it gave main's 212 MB
 * exactly): 6.2 KB written per delivery on main against 1.6 KB of data. V16 (the payload in an insert-only table under a sequence number, so a mark
 * no longer rewrites the leaf holding it) took it to 4.8 KB; {@code COMPRESS=TRUE} to 4.2 KB. What is left is mostly
 * the primary key's index: (hook_id, delivery_id) with GitHub's random GUIDs, so each insert and each mark rewrites a
 * leaf of up to 48 keys somewhere in it: the same model without that index wrote 2.0 KB per delivery (the file open
 * 1.24x the clean one) against 3.7 KB with it (marks left out of both). Larger groups share more of those leaves
 * (with V16 and compression): 150 deliveries a commit 3.6 KB (2.2x), 256 a commit 3.25 KB (1.94x, the 2x asked for),
 * i.e. a 300 or 512 ms commit delay at 500 a second, which the journal's committer decides (the webhook intake's
 * latency, not this package's).
 * Tried and no help: H2's {@code PAGE_SIZE} (1 KB: the same 212 MB; H2 2.3.232's file store splits pages at 48 keys or
 * 16 KB whatever the setting, {@code FileStore.maxPageSize}, and {@code COMPRESS}'s 64 KB page size is not used
 * either). For sustained webhook bursts, use PostgreSQL.
 *
 * <p>The embedded database's pool is HikariCP, as PostgreSQL's is: H2's own {@code JdbcConnectionPool} rolls back
 * every connection handed back to it, and an H2 rollback empties the session's cache of parsed statements ({@code
 * SessionLocal.rollbackTo}), so every query was parsed again on every call. bench/webhook-load: 1,435 µs of
 * coordinator CPU per delivery with it, 1,708 µs before (different machine load; not a controlled comparison).
 *
 * <p>{@code RETENTION_TIME} is not lowered. Reading H2 2.3.232's recovery ({@code RandomAccessStore.readStoreHeader},
 * {@code FileStore.findLastChunkWithCompleteValidChunkSet}): the newest chunk of a killed store is looked for
 * through the store header's chunk, the chain of each chunk's predicted next position from it, and the chunk at
 * the end of the file; the header is rewritten after the chunk write that needs it, and not at all while chunks go
 * to the end of the file. A chunk of that chain freed and overwritten ends the chain early, and the quick recovery
 * then settles on an older chunk whose references are all valid: acknowledged commits gone. That is a likely
 * mechanism for the loss below with {@code RETENTION_TIME=0}; the retention time makes it unlikely (a chunk must be
 * older than 45 s to be reused), and no shorter one could be shown safe.
 *
 * <p>Tried and not adopted (commit dd90fe5 has the code): the file opened {@code O_DSYNC} (every write on the disk
 * before it returns), {@code RETENTION_TIME=0} and a thread running H2's chunk rewrite ({@code MVStore.compact}) every
 * 50 ms kept the open file at 1.6-2.1× its data, at the price of a synchronous write per commit (2-3× fewer
 * deliveries a second). But StoreCrashTest lost acknowledged deliveries once in 40 kills with it (the reopened
 * file was about 150 deliveries older than the last acknowledgement; a SIGKILL leaves the operating system's cache
 * intact, so this is H2's recovery of a file whose freed chunks are reused at once, not a lost write), and never in
 * 25 kills without it. Moving chunks while open ({@code MVStore.compactFile}) tripped an assertion inside H2. The
 * chunk rewrite alone, from a thread, with the 45 s retention (commit 654abaf, backed out): StoreCrashTest 15 runs
 * (75 kills) and 5 kills after 73-77 s of a 4-thread burst lost nothing, but H2 rewrites only chunks older than 45 s
 * and the file did not level off: 300 commits a second for 120 s left 960 MB open with it, 985 MB without (the 260
 * MB webhook-load run above had it).
 *
 * <p>The webhook journal (issues 10 and 11): the embedded store names its directory ({@link
 * dev.multiarch.store.Store#journalDir}; only the coordinator process that opened it writes there) and answers which
 * deliveries it holds with a read ({@link dev.multiarch.store.Store#storedDeliveries}). With those, the GitHub intake
 * acknowledges a delivery once it is appended to a journal file in that directory, a {@code write()} into the operating
 * system's cache, unsynced as H2's own commits are (safe from the process being killed, not necessarily from a power
 * cut), and commits to H2 in groups, so H2 writes a chunk per group instead of per few deliveries and the file grows
 * far less (above, and README, "The store"). PostgreSQL names no directory: several coordinators share it, and one that dies
 * must not strand acknowledged deliveries in a file of its own, so each delivery is committed before its answer there.
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
