package dev.multiarch.platform;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * An image's platform: the {@code platform} object of an index entry. Fields hold what was written (an image
 * config's own spelling); {@link #normalize()} gives the form used for comparisons.
 *
 * @param os           e.g. {@code linux}
 * @param architecture e.g. {@code arm}
 * @param variant      e.g. {@code v7}; empty when absent
 * @param osVersion    {@code os.version} (Windows builds); empty when absent
 * @param osFeatures   {@code os.features}; empty when absent
 * @param features     {@code features} (reserved by OCI; manifest-tool users write {@code sse} here)
 */
public record Platform(
        String os,
        String architecture,
        String variant,
        String osVersion,
        List<String> osFeatures,
        List<String> features) {

    public Platform {
        os = os == null ? "" : os.trim();
        architecture = architecture == null ? "" : architecture.trim();
        variant = variant == null ? "" : variant.trim();
        osVersion = osVersion == null ? "" : osVersion.trim();
        osFeatures = osFeatures == null ? List.of() : List.copyOf(osFeatures);
        features = features == null ? List.of() : List.copyOf(features);
    }

    public static Platform of(String os, String architecture, String variant) {
        return new Platform(os, architecture, variant, "", List.of(), List.of());
    }

    /**
     * Parses {@code os/arch[/variant]} as docker, buildah and manifest-tool accept it. Aliases are kept as written
     * (so {@code linux/aarch64} stays aarch64 here); call {@link #validate()} or {@link #normalize()} as needed.
     *
     * @throws InvalidPlatformException when the text does not have two or three non-empty parts
     */
    public static Platform parse(String text) {
        String t = text == null ? "" : text.trim();
        String[] parts = t.split("/", -1);
        if (parts.length < 2 || parts.length > 3) {
            throw new InvalidPlatformException(
                    t, "platform", "expected os/arch or os/arch/variant, e.g. linux/arm64 or linux/arm/v7");
        }
        for (String p : parts) {
            if (p.isBlank()) {
                throw new InvalidPlatformException(
                        t, "platform", "empty part; expected os/arch or os/arch/variant, e.g. linux/arm/v7");
            }
        }
        return of(parts[0].toLowerCase(), parts[1].toLowerCase(), parts.length == 3 ? parts[2].toLowerCase() : "");
    }

    /**
     * The comparison form: containerd's normalisation (aliases resolved, legacy variant spellings mapped, arm64/v8
     * and amd64/v1 lose their variant, plain arm becomes arm/v7). os.version and features are kept.
     */
    public Platform normalize() {
        String o = os.toLowerCase();
        String a = architecture.toLowerCase();
        String v = variant.toLowerCase();
        String[] resolved = resolveAlias(a, v);
        a = resolved[0];
        v = PlatformTables.VARIANT_ALIASES.getOrDefault(resolved[1], resolved[1]);
        if (v.isEmpty()) {
            v = PlatformTables.DEFAULT_VARIANT.getOrDefault(a, "");
        }
        if (v.equals(PlatformTables.DROPPED_VARIANT.get(a))) {
            v = "";
        }
        return new Platform(o, a, v, osVersion, osFeatures, features);
    }

    /**
     * Checks the platform against the known OS and architecture names and the variant table, after resolving aliases
     * and legacy spellings. Returns the canonical form to write when nothing better is known (aliases resolved, the
     * variant kept as given, e.g. {@code arm64/v8} stays {@code arm64/v8}).
     *
     * @throws InvalidPlatformException naming the bad field and the nearest valid values
     */
    public Platform validate() {
        String o = os.toLowerCase();
        String a = architecture.toLowerCase();
        String v = variant.toLowerCase();
        if (o.isEmpty()) {
            throw new InvalidPlatformException(format(), "os", "is missing; valid values include linux, windows");
        }
        if (!PlatformTables.KNOWN_OS.contains(o)) {
            throw new InvalidPlatformException(
                    format(),
                    "os",
                    "'" + os + "' is not a known OS; nearest valid: "
                            + String.join(", ", Nearest.of(o, PlatformTables.KNOWN_OS)));
        }
        String[] resolved = resolveAlias(a, v);
        a = resolved[0];
        v = resolved[1];
        if (a.isEmpty()) {
            throw new InvalidPlatformException(
                    format(), "architecture", "is missing; valid values include amd64, arm64, arm");
        }
        if (!PlatformTables.KNOWN_ARCH.contains(a)) {
            List<String> names = new ArrayList<>(PlatformTables.KNOWN_ARCH);
            names.addAll(PlatformTables.ARCH_ALIASES.keySet());
            throw new InvalidPlatformException(
                    format(),
                    "architecture",
                    "'" + architecture + "' is not a known architecture; nearest valid: "
                            + String.join(", ", Nearest.of(a, names)));
        }
        v = PlatformTables.VARIANT_ALIASES.getOrDefault(v, v);
        if (!v.isEmpty()) {
            List<String> allowed = PlatformTables.VARIANTS.get(a);
            if (allowed == null) {
                throw new InvalidPlatformException(
                        format(),
                        "variant",
                        "'" + variant + "' is not valid: " + a + " has no variants; drop the variant");
            }
            if (!allowed.contains(v)) {
                String list = allowed.size() <= 6
                        ? String.join(", ", allowed)
                        : String.join(", ", allowed.subList(0, 6)) + ", …";
                throw new InvalidPlatformException(
                        format(), "variant", "'" + variant + "' is not a variant of " + a + "; valid: " + list);
            }
        }
        return new Platform(o, a, v, osVersion, osFeatures, features);
    }

    /**
     * An architecture alias ({@code x86_64}, {@code aarch64}, {@code armhf}, …) as {architecture, variant}: the alias's
     * variant applies only when none was given.
     */
    private static String[] resolveAlias(String arch, String variant) {
        String[] alias = PlatformTables.ARCH_ALIASES.get(arch);
        if (alias == null) {
            return new String[] {arch, variant};
        }
        return new String[] {alias[0], variant.isEmpty() ? alias[1] : variant};
    }

    /** True when both name the same platform once normalised (os.version and features must match too). */
    public boolean matches(Platform other) {
        return key().equals(other.key());
    }

    /** The normalised identity used for equality and duplicate checks: os/arch[/variant] plus os.version. */
    public String key() {
        Platform n = normalize();
        String k = n.shortForm();
        return n.osVersion.isEmpty() ? k : k + "@" + n.osVersion;
    }

    /** {@code os/arch[/variant]} as written. */
    public String shortForm() {
        return variant.isEmpty() ? os + "/" + architecture : os + "/" + architecture + "/" + variant;
    }

    /** A readable form: short form, plus os.version and features when present. */
    public String format() {
        StringBuilder b = new StringBuilder(shortForm());
        if (!osVersion.isEmpty()) {
            b.append(" (os.version ").append(osVersion).append(')');
        }
        if (!osFeatures.isEmpty()) {
            b.append(" os.features=").append(String.join(",", osFeatures));
        }
        if (!features.isEmpty()) {
            b.append(" features=").append(String.join(",", features));
        }
        return b.toString();
    }

    /** True for the {@code unknown/unknown} platform buildx gives attestation manifests. */
    public boolean isUnknown() {
        return "unknown".equals(os) && "unknown".equals(architecture);
    }

    @Override
    public String toString() {
        return format();
    }

    /** Sorts platforms by their normalised short form, for stable output. */
    public static final Comparator<Platform> BY_KEY = Comparator.comparing(Platform::key);

    /** Edit distance ranking for "nearest valid values" in messages. */
    static final class Nearest {
        private Nearest() {}

        static List<String> of(String wrong, java.util.Collection<String> valid) {
            return valid.stream()
                    .sorted(Comparator.<String>comparingInt(c -> distance(wrong, c))
                            .thenComparing(c -> c))
                    .limit(3)
                    .toList();
        }

        static int distance(String a, String b) {
            int[] prev = new int[b.length() + 1];
            int[] cur = new int[b.length() + 1];
            for (int j = 0; j <= b.length(); j++) {
                prev[j] = j;
            }
            for (int i = 1; i <= a.length(); i++) {
                cur[0] = i;
                for (int j = 1; j <= b.length(); j++) {
                    int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                    cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
                }
                int[] t = prev;
                prev = cur;
                cur = t;
            }
            return prev[b.length()];
        }
    }
}
