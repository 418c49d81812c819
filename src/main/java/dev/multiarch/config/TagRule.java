package dev.multiarch.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One rule turning a git tag into image tags.
 * <ul>
 *   <li>{@code semver}: docker/metadata-action's defaults: {@code v1.2.3} → {@code 1.2.3}, {@code 1.2}, {@code 1},
 *       {@code latest} (for 0.x, no bare {@code 0}); a prerelease gets only its own version.</li>
 *   <li>{@code ref}: the git tag itself.</li>
 *   <li>{@code match}: a regular expression on the git tag; its {@code tags} templates use groups
 *       {@code {1}}…{@code {9}} (Docker Hub's {@code {\1}} also works) and {@code {sourceref}}.</li>
 * </ul>
 */
public sealed interface TagRule {
    /** The image tags this rule gives for a git tag, or empty when it does not apply. */
    Optional<List<PlannedTag>> apply(String gitTag);

    /**
     * @param floating true for tags that follow the newest version ({@code latest}, {@code 1}, {@code 1.2}): they never
     *                 move backwards to an older version
     */
    record PlannedTag(String tag, boolean floating) {}

    record Semver() implements TagRule {
        @Override
        public Optional<List<PlannedTag>> apply(String gitTag) {
            Optional<SemVer> v = SemVer.parse(gitTag);
            if (v.isEmpty()) {
                return Optional.empty();
            }
            SemVer s = v.get();
            List<PlannedTag> out = new ArrayList<>();
            out.add(new PlannedTag(s.version(), false));
            if (!s.isPrerelease()) {
                out.add(new PlannedTag(s.major() + "." + s.minor(), true));
                if (s.major() > 0) {
                    out.add(new PlannedTag(String.valueOf(s.major()), true));
                }
                out.add(new PlannedTag("latest", true));
            }
            return Optional.of(out);
        }
    }

    record Ref() implements TagRule {
        @Override
        public Optional<List<PlannedTag>> apply(String gitTag) {
            return Optional.of(List.of(new PlannedTag(sanitize(gitTag), false)));
        }
    }

    record Match(Pattern pattern, List<String> templates) implements TagRule {
        @Override
        public Optional<List<PlannedTag>> apply(String gitTag) {
            Matcher m = pattern.matcher(gitTag);
            if (!m.find()) {
                return Optional.empty();
            }
            List<PlannedTag> out = new ArrayList<>();
            for (String t : templates) {
                String r = t.replace("{sourceref}", gitTag);
                for (int g = 1; g <= 9; g++) {
                    String value = g <= m.groupCount() && m.group(g) != null ? m.group(g) : "";
                    r = r.replace("{" + g + "}", value).replace("{\\" + g + "}", value);
                }
                out.add(new PlannedTag(sanitize(r), r.equals("latest")));
            }
            return Optional.of(out);
        }
    }

    /** Docker tags allow {@code [A-Za-z0-9_.-]}, up to 128, not starting with '.' or '-'. */
    static String sanitize(String s) {
        String t = s.replaceAll("[^A-Za-z0-9_.-]", "-");
        while (t.startsWith(".") || t.startsWith("-")) {
            t = t.substring(1);
        }
        return t.length() > 128 ? t.substring(0, 128) : t;
    }
}
