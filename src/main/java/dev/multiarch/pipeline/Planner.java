package dev.multiarch.pipeline;

import dev.multiarch.access.AccessPolicy;
import dev.multiarch.config.ConfigException;
import dev.multiarch.config.ImageBuild;
import dev.multiarch.config.RepoConfig;
import dev.multiarch.config.TagPlan;
import dev.multiarch.config.TagRule;
import dev.multiarch.platform.Platform;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.store.NewBuild;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Turns a trigger and the repository's {@code .multiarch.yaml} (as of the commit) into builds and jobs. */
public final class Planner {
    private Planner() {}

    /**
     * @param configText the file's text at the commit, or null when the commit has none
     * @param policy     who may build and publish where: a refused repository or image becomes a failed build that
     *                   says why, before any job exists
     * @return one build per image; a single failed build when the file is missing or invalid
     */
    public static List<NewBuild> plan(Trigger trigger, String configText, AccessPolicy policy) {
        // A stranger's source never publishes, whatever asked for it (a workflow with publish: true, a re-run).
        Trigger t = trigger.untrusted()
                        && (trigger.push() || !trigger.explicitTags().isEmpty())
                ? Trigger.builder()
                        .repo(trigger.repo())
                        .cloneUrl(trigger.cloneUrl())
                        .commit(trigger.commit())
                        .ref(trigger.ref())
                        .info(trigger.info())
                        .untrusted(true)
                        .privateRepo(trigger.privateRepo())
                        .build()
                : trigger;
        if (policy.mayBuild(t.repo()) instanceof AccessPolicy.Decision.Refused r) {
            return List.of(failed(t, r.message()));
        }
        if (configText == null) {
            return List.of(failed(
                    t,
                    RepoConfig.FILE + ": not found at " + shortSha(t.commit())
                            + "; add one (see the README) to build this repository"));
        }
        RepoConfig config;
        try {
            config = RepoConfig.parse(RepoConfig.FILE, configText, Map.of());
        } catch (ConfigException e) {
            return List.of(failed(t, e.getMessage()));
        }
        List<NewBuild> out = new ArrayList<>();
        for (ImageBuild ib : config.images()) {
            // Every registry the image goes to is checked on its own: one refused image refuses the build, by name.
            Optional<String> refused = refusal(policy, t.repo(), ib);
            if (refused.isPresent()) {
                out.add(failed(t, refused.get(), ib));
                continue;
            }
            if (cacheRefused(t, ib, policy) instanceof AccessPolicy.Decision.Refused r) {
                out.add(failed(t, r.message(), ib));
                continue;
            }
            List<TagRule.PlannedTag> tags = new ArrayList<>();
            String version = null;
            if (!t.explicitTags().isEmpty()) {
                t.explicitTags().forEach(x -> tags.add(new TagRule.PlannedTag(x, false)));
            } else if (t.ref().startsWith("refs/tags/") && t.push()) {
                TagPlan plan;
                try {
                    plan = TagPlan.of(t.ref().substring("refs/tags/".length()), ib.tagRules());
                } catch (ConfigException e) {
                    out.add(failed(t, e.getMessage(), ib));
                    continue;
                }
                tags.addAll(plan.tags());
                version = plan.version().map(v -> v.version()).orElse(null);
            } else if (t.push()) {
                out.add(failed(
                        t, "nothing to tag: " + t.ref() + " is not a git tag and the workflow gave no tags", ib));
                continue;
            }
            List<NewBuild.NewJob> jobs = new ArrayList<>();
            for (Platform p : ib.platforms()) {
                jobs.add(new NewBuild.NewJob(p, ib.timeoutFor(p).toSeconds()));
            }
            out.add(NewBuild.builder()
                    .repo(t.repo())
                    .cloneUrl(t.cloneUrl())
                    .commit(t.commit())
                    .ref(t.ref())
                    .image(ib.image())
                    .spec(BuildSpec.of(ib).toJson())
                    .tags(BuildSpec.tagsToJson(tags))
                    .version(version)
                    .push(t.push())
                    .untrusted(t.untrusted())
                    .privateRepo(t.privateRepo())
                    .trigger(t.info())
                    .jobs(jobs)
                    .build());
        }
        return out;
    }

    private static Optional<String> refusal(AccessPolicy policy, String repo, ImageBuild ib) {
        List<ImageReference> targets = ib.targets();
        for (ImageReference target : targets) {
            if (policy.mayPublish(repo, target) instanceof AccessPolicy.Decision.Refused r) {
                return Optional.of(
                        targets.size() == 1
                                ? r.message()
                                : "image " + target + " (one of " + targets.size() + " in image:) is refused: "
                                        + r.message());
            }
        }
        return Optional.empty();
    }

    /**
     * The registry layer cache is written with the image's push credentials, so a repository may use only cache
     * repositories it may publish to: each platform's ({@code cache:}'s base repository + {@code /linux-arm64}); and
     * only under its image's own repository ({@link dev.multiarch.config.LayerCache#isUnder}).
     */
    static AccessPolicy.Decision cacheRefused(Trigger t, ImageBuild ib, AccessPolicy policy) {
        // RepoConfig refuses it with the line already; checked again here because the policy below is not enough: a
        // rule covering a whole owner (images: [ghcr.io/acme/*]) also covers the caches of the owner's other images.
        Optional<ImageReference> base = ib.cache().repository();
        if (base.isPresent() && !dev.multiarch.config.LayerCache.isUnder(base.get(), ib.image())) {
            return new AccessPolicy.Decision.Refused("layer cache (cache: in " + RepoConfig.FILE + "): "
                    + base.get() + " is not under the image's own repository " + ib.image()
                    + "; another repository may be another build's cache");
        }
        for (Platform p : ib.platforms()) {
            java.util.Optional<dev.multiarch.registry.ImageReference> repo =
                    ib.cache().forPlatform(p);
            if (repo.isPresent()
                    && policy.mayPublish(t.repo(), repo.get()) instanceof AccessPolicy.Decision.Refused r) {
                return new AccessPolicy.Decision.Refused("layer cache (cache: in " + RepoConfig.FILE + "): "
                        + r.message() + "; set cache: to a repository it may publish to, or cache: false");
            }
        }
        return new AccessPolicy.Decision.Allowed(java.util.Optional.empty());
    }

    /** A build that failed before it had an image: the trigger and why, no jobs. */
    static NewBuild failed(Trigger t, String why) {
        return NewBuild.builder()
                .repo(t.repo())
                .cloneUrl(t.cloneUrl())
                .commit(t.commit())
                .ref(t.ref())
                .push(t.push())
                .untrusted(t.untrusted())
                .privateRepo(t.privateRepo())
                .trigger(t.info())
                .failedWith(why)
                .build();
    }

    private static NewBuild failed(Trigger t, String why, ImageBuild ib) {
        return NewBuild.builder()
                .repo(t.repo())
                .cloneUrl(t.cloneUrl())
                .commit(t.commit())
                .ref(t.ref())
                .image(ib.image())
                .push(t.push())
                .untrusted(t.untrusted())
                .privateRepo(t.privateRepo())
                .trigger(t.info())
                .failedWith(why)
                .build();
    }

    static String shortSha(String sha) {
        return sha.length() > 12 ? sha.substring(0, 12) : sha;
    }
}
