package dev.multiarch.store;

import java.util.List;

/**
 * A build to create, with its jobs (platform and timeout). A build whose configuration is invalid is created with no
 * jobs and {@code failedWith} set, so that the failure is recorded and shown like any other.
 *
 * @param untrusted   its source is a stranger's (a fork's pull request): its jobs go to untrusted runners only
 * @param privateRepo its repository is private: pages and the API show it only to people who can read it
 * @param trigger     JSON the trigger wants back (null for none); when it is a GitHub origin (its {@code repo},
 *                    {@code sha}, {@code pr}, {@code delivery}), those are also stored as indexed columns, see
 *                    {@link Store#buildsOfDelivery}
 */
public record NewBuild(
        String repo,
        String cloneUrl,
        String commit,
        String ref,
        String image,
        String spec,
        String tags,
        String version,
        boolean push,
        boolean untrusted,
        boolean privateRepo,
        String trigger,
        List<NewJob> jobs,
        String failedWith) {
    public record NewJob(String platform, long timeoutSeconds) {}
}
