package dev.multiarch.store;

import dev.multiarch.registry.Digest;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The coordinator's durable state. Blocking (JDBC): call it from a worker thread, never from an event loop. Every
 * method that changes a state checks the state it expects in the same statement or transaction, so that two callers
 * racing (a runner reporting, a lease expiring, a restarted coordinator resuming) cannot both win.
 */
public interface Store extends AutoCloseable {
    BuildRecord createBuild(NewBuild build);

    Optional<BuildRecord> build(long id);

    List<BuildRecord> recentBuilds(int limit);

    List<BuildRecord> buildsIn(BuildState... states);

    /*
     * Builds by their GitHub origin: the trigger JSON's repo, sha, pr and delivery keys, kept in indexed columns
     * when the build is created, so each lookup is one indexed query however old the build.
     */

    /** The builds one webhook delivery asked for (its {@code delivery} id), oldest first. */
    List<BuildRecord> buildsOfDelivery(String deliveryId);

    /** The newest build of {@code commit} from GitHub repository {@code repo}. */
    Optional<BuildRecord> latestBuildOfCommit(String repo, String commit);

    /**
     * The newest build of {@code repo} whose check runs are in GitHub's check suite {@code checkSuite} (recorded by
     * {@link #recordCheckSuite}); one indexed query.
     */
    Optional<BuildRecord> latestBuildOfCheckSuite(String repo, long checkSuite);

    /** The check suite GitHub put the build's check runs in, the first time it is learnt; later calls change nothing. */
    void recordCheckSuite(long buildId, long checkSuite);

    /** The builds of pull request {@code pullRequest} of {@code repo} that are in one of {@code states}, oldest first. */
    List<BuildRecord> buildsOfPullRequest(String repo, int pullRequest, BuildState... states);

    List<JobRecord> jobs(long buildId);

    /** The jobs of several builds in one query (a page of builds), by build id then job id; none for no ids. */
    List<JobRecord> jobsOfBuilds(List<Long> buildIds);

    Optional<JobRecord> job(long jobId);

    /** Moves a build from {@code from} to {@code to} if it is still in {@code from}; true when it moved. */
    boolean moveBuild(long id, BuildState from, BuildState to, String error);

    /**
     * Leases the work after fan-in (verify, publish) of a build in {@code verifying} or {@code publishing} to
     * {@code holder} until {@code until}: true when it was free (never leased, or the lease ran out by {@code now})
     * or already {@code holder}'s (a renewal). A coordinator that dies holding it loses it when it runs out, and
     * another finishes the build.
     */
    boolean leaseFinish(long buildId, String holder, Instant now, Instant until);

    /** Builds in {@code verifying} or {@code publishing} that nobody holds at {@code now}, oldest first. */
    List<Long> unleasedFinishes(Instant now);

    /** Sign-ins under way and signed-in sessions (shared by every coordinator on this store). */
    SessionStore sessions();

    /**
     * Records the published index and the publication record, and moves publishing → published. The record is JSON
     * in one of two shapes, both read back by {@link BuildRecord}'s builder and shown as written by the API: the
     * publisher's outcome (an object with {@code tags} and {@code skipped}), or {@code []} for a build that publishes
     * nothing.
     */
    boolean markPublished(long id, Digest indexDigest, String publicationJson);

    /**
     * Records what publishing did when some registries have the index and at least one does not: moves publishing →
     * failed with {@code error}, keeping the index digest and the tags taken (they are live where it published).
     */
    boolean markPartlyPublished(long id, Digest indexDigest, String publicationJson, String error);

    /**
     * A failed build goes back to publishing (a re-run finishing what is missing); its error is cleared. False when it
     * is not failed (someone else reopened it first).
     */
    boolean reopenPublishing(long id);

    /** One registry a build publishes to and how that went; {@code position} 0 is the build's own image. */
    record Publication(
            long buildId,
            int position,
            String image,
            PublicationState state,
            Digest indexDigest,
            String error,
            Instant updatedAt) {}

    /** Records (or replaces) one registry's outcome; {@code error} is cut to 2,000 characters. */
    void setPublication(
            long buildId, int position, String image, PublicationState state, Digest indexDigest, String error);

    /** A build's registries in order; none for a build that has not started publishing. */
    List<Publication> publications(long buildId);

    /** Queued jobs, oldest first. */
    List<JobRecord> queuedJobs();

    /**
     * The queued jobs of the next {@code builds} builds with queued jobs after build {@code afterBuildId}, by build
     * then job: the queue a page at a time, so that placing a few waiting runners reads a few builds, not the whole
     * queue (one index range, V13).
     */
    List<JobRecord> queuedJobsOfBuilds(long afterBuildId, int builds);

    /**
     * Asks to be told when jobs may have been queued (a build created, a lease expired and its job queued again) by
     * this process or, on a shared PostgreSQL store, by another coordinator ({@code LISTEN}/{@code NOTIFY}): a
     * runner long-polling one coordinator then gets a job queued through another at once. The listener runs on a
     * store thread and must return quickly.
     */
    Subscription onJobsQueued(Runnable listener);

    /** Ends a subscription. */
    interface Subscription extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Leases a queued job to a runner (attempt + 1, lease until {@code expires}); moves its build to running.
     * Empty when someone else took it first, or is taking it now: a job another coordinator is claiming is skipped
     * ({@code FOR UPDATE SKIP LOCKED}), not waited for.
     */
    Optional<JobRecord> claimJob(long jobId, String runnerId, Instant expires);

    /** Extends a lease; false when the job is no longer this runner's (expired and re-queued, cancelled). */
    boolean heartbeat(long jobId, String runnerId, int attempt, Instant expires);

    /**
     * Records a runner's result for the attempt it holds. On success, when every job of the build has now succeeded,
     * moves the build running → verifying in the same transaction and says so. On failure, fails the build and
     * cancels its other jobs (a build with a failed platform publishes nothing).
     */
    Completion completeJob(long jobId, String runnerId, int attempt, JobResult result);

    /** What {@link #completeJob} did. */
    enum Completion {
        STALE,
        RECORDED,
        BUILD_READY,
        BUILD_FAILED
    }

    /** One step of a job attempt and how long it took (the queue wait, a runner's fetch, build, push…, a verify). */
    record StepTime(long jobId, int attempt, String step, long millis) {}

    /**
     * Adds step times to a job attempt, after those it has; a step it has already keeps its time. The queue wait is
     * recorded by {@link #claimJob} itself, as step {@code queue}.
     *
     * @param millis step → milliseconds, in the order the steps ran
     */
    void recordTimings(long jobId, int attempt, Map<String, Long> millis);

    /** The step times of every attempt of the jobs of these builds, in the order they were recorded. */
    List<StepTime> timings(List<Long> buildIds);

    /**
     * Returns expired leases to the queue (attempt + 1 on the next claim); a job that has had {@code maxAttempts}
     * attempts fails instead, with its build. Returns the jobs it touched.
     */
    List<JobRecord> expireLeases(Instant now, int maxAttempts);

    /** Marks a platform failed after the fact (verification) and the build failed. */
    void failVerification(long buildId, long jobId, String error);

    /** Cancels a build that has not finished, and its unfinished jobs. */
    boolean cancelBuild(long buildId, String reason);

    /**
     * Appends to a job attempt's log, keeping at most {@code keepBytes} (UTF-8) of it: when the total would pass that,
     * the oldest chunks are dropped (a chunk larger than the limit keeps its end), so the tail, where builds fail,
     * survives, and the amount cut is remembered for the marker that {@link #logs} and {@link #logTail} show.
     */
    void appendLog(long jobId, int attempt, String text, long keepBytes);

    /**
     * A job's log after {@code afterSeq}, at most {@code maxChunks} chunks, oldest first. Where the beginning of an
     * attempt was cut, a marker chunk with {@code seq} 0 says how much, ahead of that attempt's first chunk.
     */
    List<LogChunk> logs(long jobId, long afterSeq, int maxChunks);

    /** The end of a job's log: the newest chunks adding up to at most {@code maxBytes}, oldest first, with a marker. */
    List<LogChunk> logTail(long jobId, long maxBytes);

    void addRunner(RunnerRecord runner);

    /**
     * How many there are of each thing, as the metrics gauges show it: read from the database, so every coordinator
     * sharing it reports the same numbers. A handful of indexed counts; still, cache it rather than call it per request.
     *
     * @param builds      builds per state (every state present, zero when none)
     * @param queuedJobs  queued jobs per platform, as stored
     * @param runnersSeen runners that called in since the instant asked about (a poll, a heartbeat, a log chunk)
     * @param runnersBusy runners holding a running job
     * @param runnerPlatforms what the runners seen build, natively or through QEMU (as registered): the platforms whose
     *                    queue is worth showing even when empty
     */
    record Census(
            Map<BuildState, Long> builds,
            Map<String, Long> queuedJobs,
            int runnersSeen,
            int runnersBusy,
            java.util.Set<String> runnerPlatforms) {}

    /** The {@link Census} now; runners count as seen when they called in at or after {@code runnersSeenSince}. */
    Census census(Instant runnersSeenSince);

    Optional<RunnerRecord> runnerByTokenHash(String tokenHash);

    /** The runner registered under {@code id}, if any. */
    Optional<RunnerRecord> runner(String id);

    void touchRunner(String runnerId, Instant at);

    List<RunnerRecord> runners();

    /** The build id and version that last published {@code image:tag}. */
    Optional<TagOwner> tagOwner(String image, String tag);

    void setTagOwner(String image, String tag, long buildId, String version);

    /**
     * Makes build {@code buildId} the owner of {@code image:tag} if the owner is still {@code expectedOwner} (null: the
     * tag has no owner), in one statement: a compare-and-set, so that of several coordinators sharing the store that
     * read the same owner, exactly one claim succeeds. False when another claim came in between (read the owner again
     * and decide anew).
     */
    boolean claimTag(String image, String tag, Long expectedOwner, long buildId, String version);

    /** Who holds a tag: the build that published it last, its version, and the repository it was built from. */
    record TagOwner(long buildId, String version, String repo) {}

    /*
     * The dashboard's reads (pages, badges): each one indexed query (V11's indexes), whatever the store holds.
     */

    /**
     * Which builds a list shows: each non-null field must match exactly; {@code includePrivate} false leaves out
     * builds of private repositories in the query itself (an anonymous viewer's list).
     */
    record BuildFilter(String repo, BuildState state, String ref, boolean includePrivate) {}

    /**
     * A page of builds, newest first: the {@code limit} newest with an id below {@code beforeId} (null: from the
     * newest) that {@code filter} keeps. Keyset pagination: page 500 costs what page 1 does.
     */
    List<BuildRecord> buildsPage(BuildFilter filter, Long beforeId, int limit);

    /** The builds with these ids that exist, by id, in one query; none for no ids. */
    List<BuildRecord> buildsById(java.util.Collection<Long> ids);

    /** The newest build of {@code repo} (exactly as stored), if it publishes and its ref starts with {@code refPrefix}. */
    Optional<BuildRecord> latestBuildOfRepo(String repo, boolean publishingOnly, String refPrefix);

    /** The build of {@code repo} that holds {@code tag} of one of its images, the newest if several do. */
    Optional<BuildRecord> tagHolder(String repo, String tag);

    /** A tag as it stands: the image, the tag and the build whose index it points at. */
    record ImageTag(String image, String tag, long buildId) {}

    /** Every tag of {@code image} (null: of every image), by image then tag; at most {@code limit}. */
    List<ImageTag> imageTags(String image, int limit);

    /** A tag moved to a build's index at {@code movedAt}. */
    record TagMove(String image, String tag, long buildId, String indexDigest, Instant movedAt) {}

    /** Records that {@code image:tag} now points at {@code indexDigest}, published by build {@code buildId}. */
    void recordTagMove(String image, String tag, long buildId, String indexDigest);

    /** The moves of {@code image}'s tags, newest first, at most {@code limit}. */
    List<TagMove> tagMoves(String image, int limit);

    /** The jobs running now, on any runner (the runners page's "current job"). */
    List<JobRecord> runningJobs();

    /**
     * A runner's finished jobs on one platform: how many succeeded and failed, and the median time (claim to
     * result) of those that succeeded, null when none did.
     */
    record RunnerPlatformStats(String runnerId, String platform, long succeeded, long failed, Long medianMillis) {}

    /** Every runner's finished jobs, per platform. */
    List<RunnerPlatformStats> runnerStats();

    /** A webhook delivery as received. */
    record Delivery(
            String hookId,
            String deliveryId,
            String event,
            String payload,
            Instant receivedAt,
            DeliveryState state,
            String note) {}

    /**
     * Stores a delivery; false when (hook id, delivery id) was stored before (a redelivery). The coordinator that
     * stores it holds it for {@link #DELIVERY_CLAIM} (it processes it at once); another takes it over only after that.
     */
    boolean addDelivery(Delivery d);

    /**
     * Stores several deliveries at once (one transaction where the store can): for each, in order, what
     * {@link #addDelivery} would have answered. A delivery repeated within {@code ds} is new only the first time.
     */
    default List<Boolean> addDeliveries(List<Delivery> ds) {
        return ds.stream().map(this::addDelivery).toList();
    }

    /**
     * The directory of a store only this process writes (the embedded H2 store's own): the webhook intake keeps its
     * journal there and acknowledges a delivery once it is appended to it, committing to the store in groups. Empty for
     * a store several coordinators share (PostgreSQL): a delivery is acknowledged only once committed there, so a
     * coordinator that dies strands nothing in a file of its own.
     */
    default java.util.Optional<java.nio.file.Path> journalDir() {
        return java.util.Optional.empty();
    }

    /**
     * Which of {@code keys} are stored: a read, no commit. Needed only where {@link #journalDir} is given (the intake
     * answers a redelivery from it before appending to its journal).
     */
    default Set<DeliveryKey> storedDeliveries(java.util.Collection<DeliveryKey> keys) {
        throw new UnsupportedOperationException("storedDeliveries: only a store with a journal directory answers it");
    }

    /** How long storing a delivery, or {@link #claimDeliveries claiming} one, holds it for one coordinator. */
    java.time.Duration DELIVERY_CLAIM = java.time.Duration.ofSeconds(30);

    /**
     * Claims deliveries still {@code received} whose claim ran out by {@code now} (their coordinator died, or a
     * previous process of this one) for {@code holder} until {@code until}, oldest first; a row another coordinator is claiming is
     * skipped. Each is returned to one caller at a time.
     */
    List<Delivery> claimDeliveries(String holder, Instant now, Instant until, int limit);

    /** A delivery's key: GitHub's hook id and delivery GUID. */
    record DeliveryKey(String hookId, String deliveryId) {}

    /**
     * Claims (again) these deliveries for {@code holder} until {@code until}, each one only if it is still
     * {@code received} and free for {@code holder}: its claim is already {@code holder}'s, or held by no name (the
     * coordinator that stored it, which is the only one to ask while that claim runs), or ran out by {@code now}.
     * Answers the keys claimed; a key missing from the answer was taken over by another coordinator (or processed).
     */
    Set<DeliveryKey> leaseDeliveries(String holder, List<DeliveryKey> keys, Instant now, Instant until);

    /** Keeps holding a delivery until {@code until} (it is being retried later by its holder). */
    void holdDelivery(String hookId, String deliveryId, Instant until);

    List<Delivery> deliveriesIn(DeliveryState state);

    void markDelivery(String hookId, String deliveryId, DeliveryState state, String note);

    /** What processing a delivery came to: its state and a note (see {@link #markDelivery}). */
    record DeliveryMark(String hookId, String deliveryId, DeliveryState state, String note) {}

    /** Several {@link #markDelivery} at once (one transaction where the store can), in order. */
    default void markDeliveries(List<DeliveryMark> marks) {
        marks.forEach(m -> markDelivery(m.hookId(), m.deliveryId(), m.state(), m.note()));
    }

    /**
     * {@link #addDeliveries} and then {@link #markDeliveries}, in one transaction where the store can: the marks cost
     * no commit of their own. When it throws, none of {@code ds} may be taken as stored (some may be).
     */
    default List<Boolean> addDeliveries(List<Delivery> ds, List<DeliveryMark> marks) {
        List<Boolean> added = addDeliveries(ds);
        markDeliveries(marks);
        return added;
    }

    /**
     * One check's wanted state in the status outbox; {@code body} is the reporter's JSON. {@code claimUnsettled}: a
     * sender claimed it and has recorded no outcome (sent, deferred, dropped) since; read by {@link #dueReports}, whose
     * claims only ever take a report whose claim is gone or ran out, it means that an earlier sender died (or lost its
     * store) while sending it, maybe after GitHub took the request: a check run may exist that the store does not know.
     */
    record Report(
            long buildId,
            String context,
            String body,
            int version,
            int sentVersion,
            String externalId,
            int attempts,
            Instant nextAttempt,
            String lastError,
            boolean claimUnsettled) {}

    /**
     * Records the state wanted for a check (version + 1) unless it is the same as the last one wanted; it is due at once.
     */
    default void wantReport(long buildId, String context, String body) {
        wantReport(buildId, context, body, true);
    }

    /**
     * Records the state wanted for a check (version + 1) unless it is the same as the last one wanted. A final state
     * ({@code settles}) is due at once; one that is not waits out the pace of the version sent before it
     * ({@link #reportSent(long, String, int, String, Instant) pacedUntil}), so that states passing quickly reach
     * GitHub as one request. A retry time after a failure is dropped either way: a new version is tried at once.
     */
    void wantReport(long buildId, String context, String body, boolean settles);

    /**
     * Claims the checks whose wanted state has not reached GitHub and whose retry time has come, for
     * {@link #REPORT_CLAIM}: another caller (another coordinator) gets none of them until {@link #reportSent},
     * {@link #reportDeferred} or {@link #reportDropped} releases them or the claim runs out, so a check run is
     * created once however many coordinators send. The claims are {@code holder}'s.
     */
    List<Report> dueReports(String holder, Instant now, int limit);

    /**
     * Claims a report taken by {@link #dueReports} again until {@code until}, just before sending it (a batch may take
     * longer to send than a claim lasts): true when the claim is still {@code holder}'s; false when another caller
     * took it over after it ran out (that one sends it).
     */
    boolean holdReport(String holder, long buildId, String context, Instant until);

    /** How long {@link #dueReports} holds a report for its caller. */
    java.time.Duration REPORT_CLAIM = java.time.Duration.ofSeconds(30);

    /** Version {@code version} reached GitHub (as {@code externalId}, e.g. a check run id). */
    default void reportSent(long buildId, String context, int version, String externalId) {
        reportSent(buildId, context, version, externalId, null);
    }

    /**
     * Version {@code version} reached GitHub (as {@code externalId}, e.g. a check run id); a later state that does not
     * settle the check is not sent before {@code pacedUntil} (null: no pace).
     */
    void reportSent(long buildId, String context, int version, String externalId, Instant pacedUntil);

    void reportDeferred(long buildId, String context, Instant next, String error);

    /**
     * Version {@code version} will never reach GitHub (its body cannot be read) and is not tried again; {@code why}
     * stays as the last error. A newer wanted state is sent as usual.
     */
    void reportDropped(long buildId, String context, int version, String why);

    List<Report> reports(long buildId);

    /** What {@link #purge} deleted. */
    record Purged(int deliveries, int logChunks, int reports) {}

    /**
     * Deletes what is kept only for a while: webhook deliveries received before {@code before} that were handled,
     * and the log chunks and sent check reports of builds that finished before it. Builds, jobs and tag owners are
     * kept. Idempotent; coordinators sharing a database may call it at the same time (one of them does the work).
     */
    Purged purge(Instant before);

    @Override
    void close();
}
