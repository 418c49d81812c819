/**
 * Where a job is handed to a runner. Runners connect out and long-poll (a runner behind NAT works; the coordinator
 * never connects in). {@link dev.multiarch.dispatch.Dispatcher} matches waiting runners with queued jobs in the order
 * {@link dev.multiarch.dispatch.CriticalPath} gives (older builds first; within a build, the platforms expected to take
 * longest first, so the slowest does not start last): a runner that builds the platform natively is preferred; a
 * QEMU-backed runner gets it only when no native runner is waiting; among runners equally fit, one that says it holds
 * the job's warm layer cache (its {@link dev.multiarch.dispatch.Protocol#cacheScope} among the poll's scopes: buildah
 * finds the last build's steps on disk), then one that says its source cache holds the commit (no fetch). A job handed out is leased in the store; the runner keeps the lease alive with heartbeats, and a
 * lease that runs out returns the job to the queue for another runner (see {@code store}). Trust comes first: an
 * untrusted job (a pull request from a fork) goes only to a runner registered with {@code untrusted-jobs: true}, and
 * such a runner gets nothing else.
 *
 * <p>{@link dev.multiarch.dispatch.Protocol} holds the messages of the runner API, shared by both ends.
 */
package dev.multiarch.dispatch;
