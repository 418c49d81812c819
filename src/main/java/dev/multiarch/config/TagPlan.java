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
     * @throws ConfigException when no rule gives any tag
     */
    public static TagPlan of(String gitTag, List<TagRule> rules) {
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

    public List<String> names() {
        return tags.stream().map(TagRule.PlannedTag::tag).toList();
    }
}
