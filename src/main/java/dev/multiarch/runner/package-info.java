/**
 * The runner agent ({@code multiarch runner --config runner.yaml}): registers with the coordinator, advertises the
 * platforms it builds natively (the host's own, detected) and through QEMU (binfmt_misc, or declared), long-polls for
 * jobs ({@code jobs:} builds at once, one per core by default; a job hands its turn on when its build command ends,
 * so that its export and push overlap the next build: {@link dev.multiarch.runner.BuildPermits}), and for each: checks the exact commit out from its source
 * cache ({@link dev.multiarch.source.SourceCache}: fetched once per commit, not once per platform), builds with a
 * driver (buildah by default, docker buildx as the alternative), audits the ELF programs the build added, pushes the
 * image by digest with multiarch's own registry client (no tag clutter), and reports the digest with the time each
 * step took ({@link dev.multiarch.runner.Steps}) — streaming its log and keeping its lease alive with heartbeats all
 * along. When it polls, it names the commits its cache holds, and the dispatcher prefers it for their jobs. A job
 * without push credentials builds and audits but publishes nothing.
 *
 * <p>What a job touches is a stranger's: its Dockerfile, its build context, its build output. So: programs start in
 * an environment with nothing of the runner's ({@link dev.multiarch.base.ChildEnvironment}); registry credentials are
 * exactly the assignment's, for its image's registry (a 0600 auth file for buildah, deleted after the build), never
 * the runner user's Docker login; the Dockerfile and context must really be inside the checkout (symlinks followed);
 * build args that look like secrets are shown as {@code NAME=***}; the runner's token is kept in a 0600 file replaced
 * atomically. A runner with {@code untrusted-jobs: true} builds pull requests from forks and nothing else, each in a
 * fresh buildah storage and with its own fetch of the commit, both removed after the job (never the runner's source
 * cache); other runners refuse them.
 */
package dev.multiarch.runner;
