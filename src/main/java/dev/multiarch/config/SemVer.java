package dev.multiarch.config;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Semantic Versioning 2.0.0 version, as git tags spell it ({@code v1.2.3}, {@code 1.2.3-rc.1+build.5}), ordered by
 * SemVer precedence (build metadata ignored; a prerelease sorts before its release).
 */
public record SemVer(int major, int minor, int patch, String prerelease, String build) implements Comparable<SemVer> {
    private static final Pattern P = Pattern.compile(
            "^v?(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(?:-([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?(?:\\+([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?$");

    /**
     * Longer versions (prerelease included) are not taken as versions: the store keeps 100 characters of a version,
     * and a Docker tag, which the version becomes, holds 128.
     */
    static final int MAX_VERSION = 100;

    public static Optional<SemVer> parse(String s) {
        Matcher m = P.matcher(s == null ? "" : s.trim());
        if (!m.matches()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new SemVer(
                            Integer.parseInt(m.group(1)),
                            Integer.parseInt(m.group(2)),
                            Integer.parseInt(m.group(3)),
                            m.group(4) == null ? "" : m.group(4),
                            m.group(5) == null ? "" : m.group(5)))
                    .filter(v -> v.version().length() <= MAX_VERSION);
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    public boolean isPrerelease() {
        return !prerelease.isEmpty();
    }

    /** {@code 1.2.3} or {@code 1.2.3-rc.1}; build metadata is dropped ({@code +} is not valid in a tag). */
    public String version() {
        return major + "." + minor + "." + patch + (prerelease.isEmpty() ? "" : "-" + prerelease);
    }

    @Override
    public int compareTo(SemVer o) {
        int c = Integer.compare(major, o.major);
        if (c == 0) {
            c = Integer.compare(minor, o.minor);
        }
        if (c == 0) {
            c = Integer.compare(patch, o.patch);
        }
        if (c != 0) {
            return c;
        }
        if (prerelease.isEmpty() || o.prerelease.isEmpty()) {
            return prerelease.isEmpty() ? (o.prerelease.isEmpty() ? 0 : 1) : -1;
        }
        String[] a = prerelease.split("\\.");
        String[] b = o.prerelease.split("\\.");
        for (int i = 0; i < Math.min(a.length, b.length); i++) {
            boolean an = a[i].matches("\\d+");
            boolean bn = b[i].matches("\\d+");
            int r = an && bn ? compareNumbers(a[i], b[i]) : an ? -1 : bn ? 1 : a[i].compareTo(b[i]);
            if (r != 0) {
                return r;
            }
        }
        return Integer.compare(a.length, b.length);
    }

    /**
     * Numeric identifiers of any length, by value: a tag may carry {@code -rc.99999999999999999999}, which no
     * {@code long} holds.
     */
    private static int compareNumbers(String a, String b) {
        String x = a.replaceFirst("^0+(?=.)", "");
        String y = b.replaceFirst("^0+(?=.)", "");
        return x.length() != y.length() ? Integer.compare(x.length(), y.length()) : x.compareTo(y);
    }

    @Override
    public String toString() {
        return version();
    }
}
