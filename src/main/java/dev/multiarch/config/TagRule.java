package dev.multiarch.config;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One rule turning a git tag into image tags.
 * <ul>
 *   <li>{@code semver}: docker/metadata-action's defaults: {@code v1.2.3} → {@code 1.2.3}, {@code 1.2}, {@code 1},
 *       {@code latest} (for 0.x, no bare {@code 0}); a prerelease gets only its own version.</li>
 *   <li>{@code ref}: the git tag itself.</li>
 *   <li>{@code match}: a regular expression on the git tag; its {@code tags} templates use groups
 *       {@code {1}}…{@code {9}} (Docker Hub's {@code {\1}} also works) and {@code {sourceref}}.</li>
 * </ul>
 * The expressions come from a repository's {@code .multiarch.yaml}, written by anyone who can push to it, and run on
 * the coordinator's event thread. They are RE2 syntax, matched by RE2/J in time linear in the tag: no backtracking,
 * so {@code (a+)+$} cannot stall the coordinator the way {@code java.util.regex} would. RE2 has no backreferences and
 * no lookaround; {@link Match#of} refuses them, and expressions that would expand into a huge program
 * ({@code ((a{1000}){1000}){1000}} runs the compiler out of memory), with a reason a person can act on.
 */
public sealed interface TagRule {
    /**
     * The image tags this rule gives for a git tag, or empty when it does not apply.
     *
     * @throws ConfigException when the git tag is missing or longer than {@value TagPlan#MAX_GIT_TAG} characters
     */
    Optional<List<PlannedTag>> apply(String gitTag);

    /**
     * @param floating true for tags that follow the newest version ({@code latest}, {@code 1}, {@code 1.2}): they never
     *                 move backwards to an older version
     */
    record PlannedTag(String tag, boolean floating) {}

    record Semver() implements TagRule {
        @Override
        public Optional<List<PlannedTag>> apply(String gitTag) {
            Optional<SemVer> v = SemVer.parse(TagPlan.checkGitTag(gitTag));
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
            return Optional.of(List.of(new PlannedTag(sanitize(TagPlan.checkGitTag(gitTag)), false)));
        }
    }

    /** A regular expression (RE2 syntax) and the templates of the tags it gives; make one with {@link #of}. */
    record Match(Pattern pattern, List<String> templates) implements TagRule {
        /** Longer expressions are refused: a tag rule is a line of YAML, not a program. */
        static final int MAX_LENGTH = 1000;
        /**
         * Refused above this many instructions once repetitions are expanded ({@code x{n}} is n copies of x). RE2's
         * own C++ compiler stops at a similar budget; RE2/J has none, so {@code ((a{1000}){1000}){1000}} would use
         * gigabytes. Matching costs at most this times the tag's length (≤ 255).
         */
        static final long MAX_PROGRAM = 20_000;

        public Match {
            templates = List.copyOf(templates);
        }

        /**
         * Compiles a rule's expression.
         *
         * @throws IllegalArgumentException saying why the expression cannot be used (RE2 syntax, no backreferences or
         *     lookaround, bounded size)
         */
        public static Match of(String regex, List<String> templates) {
            return new Match(compile(regex), templates);
        }

        static Pattern compile(String regex) {
            if (regex.length() > MAX_LENGTH) {
                throw new IllegalArgumentException("the regular expression is " + regex.length()
                        + " characters long; at most " + MAX_LENGTH + " are allowed");
            }
            String unsupported = Re2Syntax.unsupported(regex);
            if (unsupported != null) {
                throw new IllegalArgumentException(unsupported);
            }
            long size = Re2Syntax.expandedSize(regex);
            if (size > MAX_PROGRAM) {
                throw new IllegalArgumentException("the regular expression is too large once its repetitions are"
                        + " expanded (about " + size + " steps, at most " + MAX_PROGRAM
                        + "); git tags are at most " + TagPlan.MAX_GIT_TAG + " characters, so smaller counts do");
            }
            Pattern p;
            try {
                p = Pattern.compile(regex);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException(
                        "not a valid regular expression (RE2 syntax): " + e.getDescription() + " in '" + e.getPattern()
                                + "'",
                        e);
            }
            if (p.programSize() > MAX_PROGRAM) {
                throw new IllegalArgumentException("the regular expression is too large (" + p.programSize()
                        + " steps, at most " + MAX_PROGRAM + ")");
            }
            return p;
        }

        @Override
        public Optional<List<PlannedTag>> apply(String gitTag) {
            Matcher m = pattern.matcher(TagPlan.checkGitTag(gitTag));
            if (!m.find()) {
                return Optional.empty();
            }
            List<String> groups = new ArrayList<>();
            for (int g = 0; g <= 9; g++) {
                groups.add(g <= m.groupCount() && m.group(g) != null ? m.group(g) : "");
            }
            List<PlannedTag> out = new ArrayList<>();
            for (String t : templates) {
                String r = expand(t, gitTag, groups);
                out.add(new PlannedTag(sanitize(r), r.equals("latest")));
            }
            return Optional.of(out);
        }

        /**
         * One pass over the template, so that text put in (a group, the git tag) is never read as a placeholder
         * again: a git tag may contain braces.
         */
        private static String expand(String template, String gitTag, List<String> groups) {
            StringBuilder b = new StringBuilder();
            int i = 0;
            while (i < template.length()) {
                if (template.startsWith("{sourceref}", i)) {
                    b.append(gitTag);
                    i += "{sourceref}".length();
                } else if (group(template, i, 3) > 0) {
                    b.append(groups.get(group(template, i, 3)));
                    i += 3;
                } else if (group(template, i, 4) > 0) {
                    b.append(groups.get(group(template, i, 4)));
                    i += 4;
                } else {
                    b.append(template.charAt(i++));
                }
            }
            return b.toString();
        }

        /** The group number of {@code {N}} (width 3) or {@code {\N}} (width 4) at {@code i}, N in 1…9; else 0. */
        private static int group(String t, int i, int width) {
            if (i + width > t.length() || t.charAt(i) != '{' || t.charAt(i + width - 1) != '}') {
                return 0;
            }
            if (width == 4 && t.charAt(i + 1) != '\\') {
                return 0;
            }
            char d = t.charAt(i + width - 2);
            return d >= '1' && d <= '9' ? d - '0' : 0;
        }
    }

    /** Docker tags allow {@code [A-Za-z0-9_.-]}, up to 128, not starting with '.' or '-'. */
    static String sanitize(String s) {
        String t = s.replaceAll("[^A-Za-z0-9_.-]", "-");
        int start = 0;
        while (start < t.length() && (t.charAt(start) == '.' || t.charAt(start) == '-')) {
            start++;
        }
        return t.substring(start, Math.min(t.length(), start + 128));
    }
}
