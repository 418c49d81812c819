package dev.multiarch.config;

import static dev.multiarch.testing.Fuzzing.check;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.multiarch.testing.Fuzzing;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code .multiarch.yaml} is written by anyone who can push to a repository the App is installed on, and read on the
 * coordinator. {@link RepoConfig#parse} answers or throws {@link ConfigException}; the tag rules it makes turn a git
 * tag (also anyone's) into image tags or a ConfigException, and every tag they give is a valid Docker tag.
 */
class RepoConfigFuzzTest {
    /** What {@code docker tag} accepts (distribution's reference grammar). */
    private static final Pattern DOCKER_TAG = Pattern.compile("[\\w][\\w.-]{0,127}");

    private static final List<String> TAGS = List.of("v1.2.3", "release-1.4", "v0.1.0-rc.1+build.5", "nightly");

    /**
     * The whole file; a first line {@code # tag: NAME} (a YAML comment, so the seed stays the file it is) names one
     * more git tag to plan.
     */
    @FuzzTest(maxDuration = "3m")
    void parse(byte[] data) {
        String text = Fuzzing.text(data);
        Optional<RepoConfig> parsed =
                Fuzzing.parse(() -> RepoConfig.parse(RepoConfig.FILE, text, Map.of()), ConfigException.class);
        if (parsed.isEmpty()) {
            return;
        }
        String extra =
                text.startsWith("# tag: ") ? text.lines().findFirst().orElse("").substring(7) : "v2.0.0";
        for (ImageBuild b : parsed.get().images()) {
            check(!b.platforms().isEmpty(), "an image without platforms: " + b);
            for (String tag : concat(TAGS, extra)) {
                plan(tag, b.tagRules());
            }
        }
    }

    /**
     * One {@code match} rule: the expression, the git tag and the templates, NUL-separated (templates one a line).
     * {@link TagRule.Match#of} answers or throws IllegalArgumentException; applying it answers, or throws
     * ConfigException for a git tag over the limit.
     */
    @FuzzTest(maxDuration = "3m")
    void matchRule(byte[] data) {
        List<String> in = Fuzzing.split(data, 3);
        List<String> templates = in.get(2).lines().toList();
        Optional<TagRule.Match> rule =
                Fuzzing.parse(() -> TagRule.Match.of(in.get(0), templates), IllegalArgumentException.class);
        if (rule.isPresent()) {
            plan(in.get(1), List.of(rule.get(), new TagRule.Semver(), new TagRule.Ref()));
        }
        Optional<SemVer> v = SemVer.parse(in.get(1));
        if (v.isPresent()) {
            for (String other : TAGS) {
                SemVer.parse(other)
                        .ifPresent(o -> check(
                                Integer.signum(v.get().compareTo(o)) == -Integer.signum(o.compareTo(v.get())),
                                "SemVer order is not antisymmetric for " + v.get() + " and " + o));
            }
            check(v.get().compareTo(v.get()) == 0, v.get() + " is not equal to itself");
        }
    }

    private static void plan(String gitTag, List<TagRule> rules) {
        Optional<TagPlan> plan = Fuzzing.parse(() -> TagPlan.of(gitTag, rules), ConfigException.class);
        plan.ifPresent(
                p -> p.names().forEach(t -> check(DOCKER_TAG.matcher(t).matches(), "'" + t + "' is not a Docker tag")));
    }

    private static List<String> concat(List<String> a, String b) {
        List<String> out = new java.util.ArrayList<>(a);
        out.add(b);
        return out;
    }
}
