package dev.multiarch.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The rules for annotations a repository writes in {@code .multiarch.yaml} ({@code annotations:}); multiarch writes
 * them on the index, on each platform's manifest and, as labels, in each image's config. OCI image-spec
 * "Annotations": keys and values are strings, {@code org.opencontainers} is reserved for OCI, and
 * {@code org.opencontainers.image.*} is the spec's own namespace (unknown keys there are allowed: consumers must
 * ignore what they do not know).
 * <ul>
 *   <li>A key is 1 to {@value #MAX_KEY} characters of letters, digits, {@code . _ - /}, starting with a letter or
 *       digit (it is also a label name, and goes on buildah's command line as {@code KEY=VALUE});</li>
 *   <li>a value is a single value, possibly empty; never a list, a mapping or null;</li>
 *   <li>{@code org.opencontainers.image.revision} and {@code .created} come from git, {@code .base.name} and
 *       {@code .base.digest} from the build (the runner's layer audit reads them): they cannot be set;</li>
 *   <li>at most {@value #MAX_COUNT} annotations, values of at most {@value #MAX_VALUE} characters.</li>
 * </ul>
 */
public final class Annotations {
    private Annotations() {}

    public static final String PREFIX = "org.opencontainers.image.";
    public static final String SOURCE = PREFIX + "source";
    public static final String REVISION = PREFIX + "revision";
    public static final String VERSION = PREFIX + "version";
    public static final String CREATED = PREFIX + "created";

    static final int MAX_KEY = 128;
    static final int MAX_VALUE = 4096;
    static final int MAX_COUNT = 64;
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/-]*");
    private static final Map<String, String> RESERVED = Map.of(
            REVISION,
            "it is the build's commit",
            CREATED,
            "it is the commit's time",
            PREFIX + "base.name",
            "the build writes it from the Dockerfile's FROM",
            PREFIX + "base.digest",
            "the build writes it from the Dockerfile's FROM");

    /** The {@code annotations:} mapping at {@code path}; empty when absent. */
    static Map<String, String> read(Fields f, String path) {
        JsonNode n = f.node(path);
        Map<String, String> out = new LinkedHashMap<>();
        if (n.isMissingNode() || n.isNull()) {
            return out;
        }
        if (!n.isObject()) {
            throw f.error(
                    path,
                    "expected a mapping of annotation keys to string values, e.g."
                            + " {org.opencontainers.image.title: app}");
        }
        if (n.size() > MAX_COUNT) {
            throw f.error(path, "has " + n.size() + " annotations; at most " + MAX_COUNT);
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey();
            String at = path + "." + key;
            String why = whyNot(key);
            if (why != null) {
                throw f.error(at, why);
            }
            if (e.getValue().isNull()) {
                throw f.error(at, "needs a value (write '' for an empty one)");
            }
            if (!e.getValue().isValueNode()) {
                throw f.error(
                        at, "expected a string value, not a " + (e.getValue().isArray() ? "list" : "mapping"));
            }
            String value = f.interpolate(at, e.getValue().asText());
            if (value.length() > MAX_VALUE) {
                throw f.error(at, "is " + value.length() + " characters long; at most " + MAX_VALUE);
            }
            out.put(key, value);
        }
        return out;
    }

    /** Why a key cannot be used, or null. */
    static String whyNot(String key) {
        if (key.isEmpty() || key.length() > MAX_KEY || !KEY.matcher(key).matches()) {
            return "'" + key + "' is not an annotation key: 1 to " + MAX_KEY
                    + " letters, digits, '.', '_', '-', '/', starting with a letter or digit (reverse domain"
                    + " notation, e.g. com.example.team)";
        }
        String reserved = RESERVED.get(key);
        if (reserved != null) {
            return key + " cannot be set: " + reserved;
        }
        if (key.startsWith("org.opencontainers.") && !key.startsWith(PREFIX)) {
            return "the org.opencontainers namespace is reserved for OCI specifications; of it, only " + PREFIX
                    + "* keys can be set";
        }
        return null;
    }
}
