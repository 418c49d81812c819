package dev.multiarch.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The image tags a git tag gives under an image's rules: the union of what every matching rule gives, in rule
 * order, with the version (when the git tag is a SemVer) that floating tags are compared by.
 */
public record TagPlan(List<TagRule.PlannedTag> tags, Optional<SemVer> version) {
    /**
     * Git itself sets no limit, but a ref name longer than this is no release name; refusing it here bounds the work
     * every tag rule does, whoever pushed the tag.
     */
    public static final int MAX_GIT_TAG = 255;

    /**
     * @throws ConfigException when no rule gives any tag, or the git tag is missing or longer than
     *     {@value #MAX_GIT_TAG} characters
     */
    public static TagPlan of(String gitTag, List<TagRule> rules) {
        checkGitTag(gitTag);
        Map<String, TagRule.PlannedTag> out = new LinkedHashMap<>();
        for (TagRule r : rules) {
            r.apply(gitTag)
                    .ifPresent(ts -> ts.forEach(t -> {
                        if (!t.tag().isEmpty()) {
                            out.merge(
                                    t.tag(),
                                    t,
                                    (a, b) -> new TagRule.PlannedTag(a.tag(), a.floating() || b.floating()));
                        }
                    }));
        }
        if (out.isEmpty()) {
            throw new ConfigException(
                    RepoConfig.FILE,
                    0,
                    "tags",
                    "no tag rule matches the git tag '" + gitTag
                            + "' (the default rule, semver, wants tags like v1.2.3; add 'ref' to publish any tag as is)");
        }
        return new TagPlan(new ArrayList<>(out.values()), SemVer.parse(gitTag));
    }

    /** The git tag, when a tag rule may read it. */
    static String checkGitTag(String gitTag) {
        if (gitTag == null || gitTag.isEmpty()) {
            throw new ConfigException(RepoConfig.FILE, 0, "tags", "there is no git tag to make image tags from");
        }
        if (gitTag.length() > MAX_GIT_TAG) {
            throw new ConfigException(
                    RepoConfig.FILE,
                    0,
                    "tags",
                    "the git tag '" + gitTag.substring(0, 40) + "…' is " + gitTag.length()
                            + " characters long; tags are made only from git tags of at most " + MAX_GIT_TAG
                            + " characters");
        }
        return gitTag;
    }

    public List<String> names() {
        return tags.stream().map(TagRule.PlannedTag::tag).toList();
    }
}
