package dev.multiarch.github;

import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.config.ConfigException;
import dev.multiarch.config.LocatedYaml;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * One event-to-pipeline definition from {@code workflows/*.yaml}, shipped as defaults an operator can change without
 * touching code:
 * <pre>
 * name: release                 # shown in logs
 * enabled: true
 * on: tag                       # tag | branch | pull_request
 * match: ["v*"]                 # globs on the tag, the branch, or (pull_request) the base branch; {default} = default branch
 * publish: true                 # pull_request: same-repository pull requests only; a fork's never publish
 * tags: [edge]                  # branch and pull_request builds: the image tags ({number} = the pull request's)
 * </pre>
 * Tag builds take their tags from the repository's {@code .multiarch.yaml} rules.
 */
public record Workflow(String name, boolean enabled, Kind on, List<String> match, boolean publish, List<String> tags) {
    public enum Kind {
        TAG,
        BRANCH,
        PULL_REQUEST
    }

    private static final Set<String> KEYS = Set.of("name", "enabled", "on", "match", "publish", "tags");

    /** Whether this workflow takes a ref name ({@code v1.2.3}, {@code main}). */
    public boolean matches(String refName, String defaultBranch) {
        for (String glob : match) {
            String g = glob.replace("{default}", defaultBranch == null ? "" : defaultBranch);
            if (glob(g, refName)) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code text} against a glob: {@code *} any run of characters ({@code /} too), {@code ?} one character, anything
     * else itself. No regular expression (the ref comes from a payload): one pass with the last star to fall back to,
     * at most glob length × text length steps, never backtracking over more than one star.
     */
    static boolean glob(String glob, String text) {
        int g = 0;
        int t = 0;
        int star = -1;
        int resume = 0;
        while (t < text.length()) {
            if (g < glob.length() && (glob.charAt(g) == '?' || glob.charAt(g) == text.charAt(t))) {
                g++;
                t++;
            } else if (g < glob.length() && glob.charAt(g) == '*') {
                star = g++;
                resume = t;
            } else if (star >= 0) {
                g = star + 1;
                t = ++resume;
            } else {
                return false;
            }
        }
        while (g < glob.length() && glob.charAt(g) == '*') {
            g++;
        }
        return g == glob.length();
    }

    /** Every {@code *.yaml} in the directory, in name order. */
    public static List<Workflow> load(Path dir) {
        List<Workflow> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            throw new ConfigException(dir.toString(), 0, "", "the workflows directory does not exist");
        }
        try (var files = Files.list(dir)) {
            for (Path f : files.filter(
                            p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
                    .sorted()
                    .toList()) {
                out.add(parse(f.getFileName().toString(), Files.readString(f)));
            }
        } catch (IOException e) {
            throw new ConfigException(dir.toString(), 0, "", "cannot read: " + e.getMessage());
        }
        return out;
    }

    public static Workflow parse(String file, String text) {
        LocatedYaml y = LocatedYaml.parse(file, text);
        JsonNode n = y.root();
        if (!n.isObject()) {
            throw y.error("", "expected a mapping with name, on and match");
        }
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!KEYS.contains(k)) {
                throw y.error(
                        k,
                        "unknown key '" + k + "'; expected one of "
                                + String.join(", ", KEYS.stream().sorted().toList()));
            }
        }
        Kind kind =
                switch (n.path("on").asText("")) {
                    case "tag" -> Kind.TAG;
                    case "branch" -> Kind.BRANCH;
                    case "pull_request" -> Kind.PULL_REQUEST;
                    default -> throw y.error("on", "expected tag, branch or pull_request");
                };
        List<String> match = strings(n.path("match"));
        if (match.isEmpty()) {
            match = List.of("*");
        }
        List<String> tags = strings(n.path("tags"));
        boolean publish = bool(y, n, "publish", kind != Kind.PULL_REQUEST);
        if (kind == Kind.BRANCH && publish && tags.isEmpty()) {
            throw y.error("tags", "a branch workflow that publishes needs tags, e.g. [edge]");
        }
        return new Workflow(n.path("name").asText(file), bool(y, n, "enabled", true), kind, match, publish, tags);
    }

    private static boolean bool(LocatedYaml y, JsonNode n, String key, boolean def) {
        String v = n.path(key).asText("");
        return switch (v) {
            case "" -> def;
            case "true", "yes" -> true;
            case "false", "no" -> false;
            default -> throw y.error(key, "expected true or false");
        };
    }

    private static List<String> strings(JsonNode n) {
        List<String> out = new ArrayList<>();
        if (n.isArray()) {
            n.forEach(x -> out.add(x.asText()));
        } else if (n.isValueNode() && !n.asText().isEmpty()) {
            out.add(n.asText());
        }
        return out;
    }
}
