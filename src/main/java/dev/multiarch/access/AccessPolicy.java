package dev.multiarch.access;

import dev.multiarch.config.ServiceConfig;
import dev.multiarch.config.ServiceConfig.RepositoryRule;
import dev.multiarch.registry.ImageReference;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The {@code repositories:} rules of {@code config.yaml}: the first rule whose {@code match} covers a repository
 * decides for it. The rules are enforced whenever {@code github:} is configured (strangers' repositories can then ask
 * for builds), even if the list were empty: then nothing may build. Without {@code github:} and without rules (a
 * person's {@code multiarch build}, builds the admin token asks for) every repository may publish anywhere: the person
 * or the admin token that asked is trusted with that.
 */
public final class AccessPolicy {
    private final List<RepositoryRule> rules;
    private final boolean enforced;

    private AccessPolicy(List<RepositoryRule> rules, boolean enforced) {
        this.rules = rules;
        this.enforced = enforced;
    }

    /** Enforced when {@code github:} is set or any rule is listed; never "allow all" for a GitHub installation. */
    public static AccessPolicy of(ServiceConfig config) {
        return new AccessPolicy(
                config.repositories(),
                config.github().isPresent() || !config.repositories().isEmpty());
    }

    /** Enforced when any rule is listed. */
    public static AccessPolicy of(List<RepositoryRule> rules) {
        return new AccessPolicy(List.copyOf(rules), !rules.isEmpty());
    }

    /** What a repository may do with one image. */
    public sealed interface Decision {
        /** Allowed; {@code rule} is empty when no rules are configured. */
        record Allowed(Optional<RepositoryRule> rule) implements Decision {}

        /** Refused; the message says which repository, which image and what is allowed, or how to allow it. */
        record Refused(String message) implements Decision {}
    }

    public boolean enforced() {
        return enforced;
    }

    /** The rule that covers a repository ({@code owner/name}, compared as GitHub does: ignoring case). */
    public Optional<RepositoryRule> ruleFor(String repository) {
        return rules.stream().filter(r -> repoMatches(r.match(), repository)).findFirst();
    }

    /** Whether {@code repository} may build at all (a rule covers it). */
    public Decision mayBuild(String repository) {
        if (!enforced()) {
            return new Decision.Allowed(Optional.empty());
        }
        Optional<RepositoryRule> rule = ruleFor(repository);
        if (rule.isEmpty()) {
            return new Decision.Refused("repository " + repository + " is not allowed to build here: no entry of the"
                    + " coordinator's repositories: list matches it. An operator allows it in config.yaml with\n"
                    + "  repositories:\n    - match: " + repository + "\n      images: [<registry>/<path>/*]");
        }
        return new Decision.Allowed(rule);
    }

    /** Whether {@code repository} may publish to {@code image} (its tag and digest are ignored). */
    public Decision mayPublish(String repository, ImageReference image) {
        Decision build = mayBuild(repository);
        if (!(build instanceof Decision.Allowed a) || a.rule().isEmpty()) {
            return build;
        }
        RepositoryRule rule = a.rule().get();
        for (String pattern : rule.images()) {
            if (imageMatches(pattern, image)) {
                return build;
            }
        }
        return new Decision.Refused("repository " + repository + " may not publish to " + image.registry() + "/"
                + image.repository() + ": the coordinator's repositories: entry '" + rule.match()
                + "' allows only " + String.join(", ", rule.images()));
    }

    /** {@code owner/name} against {@code acme/*}: '*' matches any run of characters within one segment. */
    static boolean repoMatches(String pattern, String repository) {
        String[] p = pattern.toLowerCase(Locale.ROOT).split("/", -1);
        String[] r = repository.toLowerCase(Locale.ROOT).split("/", -1);
        if (p.length != 2 || r.length != 2) {
            return false;
        }
        return glob(p[0], r[0]) && glob(p[1], r[1]);
    }

    /**
     * {@code ghcr.io/acme/*} against an image: the registry as {@link ImageReference} normalises it (so {@code
     * docker.io}, {@code index.docker.io} are one), then path segments, where a segment {@code *} stands for one or
     * more whole segments and other segments compare exactly.
     */
    static boolean imageMatches(String pattern, ImageReference image) {
        int slash = pattern.indexOf('/');
        if (slash <= 0) {
            return false;
        }
        String host = pattern.substring(0, slash).toLowerCase(Locale.ROOT);
        if (host.equals("index.docker.io") || host.equals("registry-1.docker.io")) {
            host = ImageReference.DOCKER_HUB;
        }
        if (!host.equals(image.registry().toLowerCase(Locale.ROOT))) {
            return false;
        }
        String path = pattern.substring(slash + 1);
        if (host.equals(ImageReference.DOCKER_HUB) && !path.contains("/") && !path.equals("*")) {
            path = "library/" + path;
        }
        return segments(path.split("/"), 0, image.repository().split("/"), 0);
    }

    private static boolean segments(String[] p, int i, String[] s, int j) {
        if (i == p.length) {
            return j == s.length;
        }
        if (p[i].equals("*")) {
            for (int k = j + 1; k <= s.length; k++) {
                if (segments(p, i + 1, s, k)) {
                    return true;
                }
            }
            return false;
        }
        return j < s.length && p[i].equals(s[j]) && segments(p, i + 1, s, j + 1);
    }

    /** '*' matches any run of characters; everything else literally. Linear in practice: one '*' per segment. */
    private static boolean glob(String pattern, String text) {
        int star = pattern.indexOf('*');
        if (star < 0) {
            return pattern.equals(text);
        }
        String head = pattern.substring(0, star);
        String rest = pattern.substring(star + 1);
        if (!text.startsWith(head)) {
            return false;
        }
        for (int k = head.length(); k <= text.length(); k++) {
            if (glob(rest, text.substring(k))) {
                return true;
            }
        }
        return false;
    }
}
