package dev.multiarch.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Typed reads from a {@link LocatedYaml} mapping, each failure a {@link ConfigException} with file, line and field.
 * Values may use {@code ${ENV_VAR}} or {@code ${ENV_VAR:-default}}, resolved from {@code env}.
 */
final class Fields {
    private static final Pattern ENV = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

    private final LocatedYaml yaml;
    private final Map<String, String> env;

    Fields(LocatedYaml yaml, Map<String, String> env) {
        this.yaml = yaml;
        this.env = env;
    }

    LocatedYaml yaml() {
        return yaml;
    }

    ConfigException error(String path, String reason) {
        return yaml.error(path, reason);
    }

    JsonNode node(String path) {
        JsonNode n = yaml.root();
        if (path.isEmpty()) {
            return n;
        }
        for (String part : path.split("\\.(?![^\\[]*])")) {
            int b = part.indexOf('[');
            String key = b < 0 ? part : part.substring(0, b);
            n = key.isEmpty() ? n : n.path(key);
            while (b >= 0) {
                int e = part.indexOf(']', b);
                n = n.path(Integer.parseInt(part.substring(b + 1, e)));
                b = part.indexOf('[', e);
            }
        }
        return n;
    }

    static String join(String parent, String key) {
        return parent.isEmpty() ? key : parent + "." + key;
    }

    void onlyKeys(String path, Set<String> allowed) {
        JsonNode n = node(path);
        if (n.isMissingNode() || n.isNull()) {
            return;
        }
        if (!n.isObject()) {
            throw error(path, "expected a mapping");
        }
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!allowed.contains(k)) {
                throw error(
                        join(path, k),
                        "unknown key '" + k + "'; expected one of "
                                + String.join(", ", allowed.stream().sorted().toList()));
            }
        }
    }

    boolean has(String path) {
        JsonNode n = node(path);
        return !n.isMissingNode() && !n.isNull();
    }

    String string(String path, String def) {
        JsonNode n = node(path);
        if (n.isMissingNode() || n.isNull()) {
            return def;
        }
        if (!n.isValueNode()) {
            throw error(path, "expected a single value");
        }
        return interpolate(path, n.asText());
    }

    String required(String path) {
        String s = string(path, null);
        if (s == null || s.isBlank()) {
            throw error(path, "is required");
        }
        return s;
    }

    boolean bool(String path, boolean def) {
        String s = string(path, null);
        if (s == null) {
            return def;
        }
        return switch (s.toLowerCase()) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw error(path, "expected true or false, got '" + s + "'");
        };
    }

    int integer(String path, int def, int min, int max) {
        String s = string(path, null);
        if (s == null) {
            return def;
        }
        try {
            int v = Integer.parseInt(s.trim());
            if (v < min || v > max) {
                throw error(path, "must be between " + min + " and " + max + ", got " + v);
            }
            return v;
        } catch (NumberFormatException e) {
            throw error(path, "expected a whole number, got '" + s + "'");
        }
    }

    Duration duration(String path, Duration def) {
        String s = string(path, null);
        if (s == null) {
            return def;
        }
        try {
            return parseDuration(s);
        } catch (IllegalArgumentException e) {
            throw error(path, e.getMessage());
        }
    }

    /** Longer durations are refused: nothing here waits a year, and larger ones overflow an Instant downstream. */
    static final Duration MAX_DURATION = Duration.ofDays(366);

    /**
     * {@code 90s}, {@code 30m}, {@code 2h}, {@code 1h30m}, {@code 30d}, {@code 250ms}; a bare number is seconds.
     *
     * @throws IllegalArgumentException with a message for a malformed duration or one over {@link #MAX_DURATION}
     */
    static Duration parseDuration(String s) {
        try {
            Duration d = parseUnbounded(s);
            if (d.compareTo(MAX_DURATION) > 0) {
                throw new ArithmeticException();
            }
            return d;
        } catch (ArithmeticException | NumberFormatException e) {
            // Digits past a long, or a sum past Duration's range: both are far beyond the limit.
            throw new IllegalArgumentException("'" + s + "' is too long; at most 366 days (8784h)");
        }
    }

    private static Duration parseUnbounded(String s) {
        String t = s.trim().toLowerCase();
        if (t.matches("\\d+")) {
            return Duration.ofSeconds(Long.parseLong(t));
        }
        Matcher m = Pattern.compile("(\\d+)(d|h|ms|m|s)").matcher(t);
        Duration d = Duration.ZERO;
        int end = 0;
        while (m.find()) {
            if (m.start() != end) {
                break;
            }
            long v = Long.parseLong(m.group(1));
            d = d.plus(
                    switch (m.group(2)) {
                        case "d" -> Duration.ofDays(v);
                        case "h" -> Duration.ofHours(v);
                        case "m" -> Duration.ofMinutes(v);
                        case "s" -> Duration.ofSeconds(v);
                        default -> Duration.ofMillis(v);
                    });
            end = m.end();
        }
        if (end != t.length() || end == 0) {
            throw new IllegalArgumentException("expected a duration such as 90s, 30m, 1h30m or 30d, got '" + s + "'");
        }
        return d;
    }

    /** A size such as {@code 16MiB}, {@code 512KiB}, {@code 2GiB}, {@code 1000000} (bytes); at least {@code min}. */
    long bytes(String path, long def, long min) {
        String s = string(path, null);
        if (s == null) {
            return def;
        }
        Matcher m = Pattern.compile("(\\d+)\\s*(|b|kib|mib|gib|kb|mb|gb)")
                .matcher(s.trim().toLowerCase());
        if (!m.matches()) {
            throw error(path, "expected a size such as 16MiB, 512KiB or 2GiB, got '" + s + "'");
        }
        long unit =
                switch (m.group(2)) {
                    case "kib" -> 1L << 10;
                    case "mib" -> 1L << 20;
                    case "gib" -> 1L << 30;
                    case "kb" -> 1_000L;
                    case "mb" -> 1_000_000L;
                    case "gb" -> 1_000_000_000L;
                    default -> 1L;
                };
        long v;
        try {
            v = Math.multiplyExact(Long.parseLong(m.group(1)), unit);
        } catch (ArithmeticException | NumberFormatException e) {
            throw error(path, "is too large: '" + s + "'");
        }
        if (v < min) {
            throw error(path, "must be at least " + min + " bytes, got '" + s + "'");
        }
        return v;
    }

    List<String> strings(String path) {
        JsonNode n = node(path);
        List<String> out = new ArrayList<>();
        if (n.isMissingNode() || n.isNull()) {
            return out;
        }
        if (n.isValueNode()) {
            out.add(interpolate(path, n.asText()));
            return out;
        }
        if (!n.isArray()) {
            throw error(path, "expected a list");
        }
        for (int i = 0; i < n.size(); i++) {
            if (!n.get(i).isValueNode()) {
                throw error(path + "[" + i + "]", "expected a single value");
            }
            out.add(interpolate(path + "[" + i + "]", n.get(i).asText()));
        }
        return out;
    }

    Map<String, String> stringMap(String path) {
        JsonNode n = node(path);
        Map<String, String> out = new LinkedHashMap<>();
        if (n.isMissingNode() || n.isNull()) {
            return out;
        }
        if (!n.isObject()) {
            throw error(path, "expected a mapping of names to values");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String p = join(path, e.getKey());
            if (!e.getValue().isValueNode()) {
                throw error(p, "expected a single value");
            }
            out.put(e.getKey(), interpolate(p, e.getValue().asText()));
        }
        return out;
    }

    /** A nested mapping flattened to dotted keys, values interpolated (lists joined with commas). */
    Map<String, String> stringMapDeep(String path) {
        Map<String, String> out = new LinkedHashMap<>();
        flatten(path, node(path), "", out);
        return out;
    }

    private void flatten(String path, JsonNode n, String prefix, Map<String, String> out) {
        if (n.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                flatten(
                        join(path, e.getKey()),
                        e.getValue(),
                        prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(),
                        out);
            }
        } else if (n.isArray()) {
            List<String> items = new ArrayList<>();
            n.forEach(x -> items.add(interpolate(path, x.asText())));
            out.put(prefix, String.join(",", items));
        } else if (!n.isNull() && !n.isMissingNode()) {
            out.put(prefix, interpolate(path, n.asText()));
        }
    }

    /**
     * A path from the file, resolved against {@code baseDir}.
     *
     * @throws ConfigException when the text cannot be a path on this system (a NUL character)
     */
    Path path(String path, Path baseDir, String def) {
        String value = string(path, def);
        try {
            return baseDir.resolve(value).normalize();
        } catch (InvalidPathException e) {
            throw error(path, "'" + value.replace("\0", "\\0") + "' is not a valid path: " + e.getReason());
        }
    }

    int size(String path) {
        JsonNode n = node(path);
        if (n.isMissingNode() || n.isNull()) {
            return 0;
        }
        if (!n.isArray()) {
            throw error(path, "expected a list");
        }
        return n.size();
    }

    String interpolate(String path, String value) {
        Matcher m = ENV.matcher(value);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            String v = env.get(m.group(1));
            if (v == null) {
                v = m.group(2);
            }
            if (v == null) {
                throw error(
                        path,
                        "environment variable " + m.group(1) + " is not set (write ${" + m.group(1)
                                + ":-default} for a default)");
            }
            m.appendReplacement(b, Matcher.quoteReplacement(v));
        }
        m.appendTail(b);
        return b.toString();
    }
}
