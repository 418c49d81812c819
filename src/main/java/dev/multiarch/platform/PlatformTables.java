package dev.multiarch.platform;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The data behind parsing, normalising, validating and matching platforms. Every rule is a row here so that it can be
 * read (and corrected) without following branches.
 */
final class PlatformTables {
    private PlatformTables() {}

    /** Go's GOOS values ({@code go tool dist list}), the set manifest-tool validates against. */
    static final Set<String> KNOWN_OS = Set.of(
            "aix",
            "android",
            "darwin",
            "dragonfly",
            "freebsd",
            "illumos",
            "ios",
            "js",
            "linux",
            "netbsd",
            "openbsd",
            "plan9",
            "solaris",
            "wasip1",
            "windows");

    /** Go's GOARCH values ({@code go tool dist list}). */
    static final Set<String> KNOWN_ARCH = Set.of(
            "386",
            "amd64",
            "arm",
            "arm64",
            "loong64",
            "mips",
            "mips64",
            "mips64le",
            "mipsle",
            "ppc64",
            "ppc64le",
            "riscv64",
            "s390x",
            "wasm");

    /**
     * Valid variants per architecture: OCI image-spec v1.1.1 "Platform Variants" (arm v6/v7/v8, arm64 v8 and v8.x,
     * ppc64le powerN, riscv64 profiles, amd64 microarchitecture levels) plus arm v5, which manifest-tool and the
     * docker-library images use. Listed in the order a message should suggest them.
     */
    static final Map<String, List<String>> VARIANTS = Map.of(
            "arm", List.of("v5", "v6", "v7", "v8"),
            "arm64",
                    List.of(
                            "v8", "v8.0", "v8.1", "v8.2", "v8.3", "v8.4", "v8.5", "v8.6", "v8.7", "v8.8", "v8.9", "v9",
                            "v9.0", "v9.1", "v9.2", "v9.3", "v9.4", "v9.5"),
            "ppc64le", List.of("power8", "power9", "power10"),
            "riscv64", List.of("rva20u64", "rva22u64", "rva23u64"),
            "amd64", List.of("v1", "v2", "v3", "v4"));

    /** Architecture aliases and the variant each implies (containerd's normalizeArch); "" means none implied. */
    static final Map<String, String[]> ARCH_ALIASES = Map.ofEntries(
            Map.entry("x86_64", new String[] {"amd64", ""}),
            Map.entry("x86-64", new String[] {"amd64", ""}),
            Map.entry("aarch64", new String[] {"arm64", ""}),
            Map.entry("armhf", new String[] {"arm", "v7"}),
            Map.entry("armel", new String[] {"arm", "v6"}),
            Map.entry("i386", new String[] {"386", ""}),
            Map.entry("i686", new String[] {"386", ""}),
            Map.entry("ppc64el", new String[] {"ppc64le", ""}));

    /** Legacy or kernel spellings of variants ({@code uname -m}, manifest-tool's old examples). */
    static final Map<String, String> VARIANT_ALIASES = Map.ofEntries(
            Map.entry("armv8", "v8"),
            Map.entry("armv8l", "v8"),
            Map.entry("aarch64", "v8"),
            Map.entry("8", "v8"),
            Map.entry("armv7", "v7"),
            Map.entry("armv7l", "v7"),
            Map.entry("armv7hl", "v7"),
            Map.entry("7", "v7"),
            Map.entry("armv6", "v6"),
            Map.entry("armv6l", "v6"),
            Map.entry("6", "v6"),
            Map.entry("armv5", "v5"),
            Map.entry("armv5l", "v5"),
            Map.entry("armv5tel", "v5"),
            Map.entry("armv5tejl", "v5"),
            Map.entry("5", "v5"));

    /**
     * Variants that mean the same as no variant once normalised (containerd: arm64's v8 is dropped, amd64's v1 is
     * dropped); and the default variant a bare architecture means (plain arm is arm/v7).
     */
    static final Map<String, String> DROPPED_VARIANT = Map.of("arm64", "v8", "amd64", "v1");

    static final Map<String, String> DEFAULT_VARIANT = Map.of("arm", "v7");

    /**
     * What a host of one platform runs natively, best first (containerd's platform matchers): amd64 runs 386; an
     * arm64 CPU with AArch32 runs arm v8 down to v5; arm/vN runs down to v5.
     */
    static final Map<String, List<String>> NATIVE_RUNS = Map.of(
            "linux/amd64", List.of("linux/amd64", "linux/386"),
            "linux/arm64", List.of("linux/arm64", "linux/arm/v8", "linux/arm/v7", "linux/arm/v6", "linux/arm/v5"),
            "linux/arm/v8", List.of("linux/arm/v8", "linux/arm/v7", "linux/arm/v6", "linux/arm/v5"),
            "linux/arm/v7", List.of("linux/arm/v7", "linux/arm/v6", "linux/arm/v5"),
            "linux/arm/v6", List.of("linux/arm/v6", "linux/arm/v5"),
            "linux/arm/v5", List.of("linux/arm/v5"));
}
