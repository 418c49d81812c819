package dev.multiarch.platform;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The platform of the machine this process runs on, and what that machine executes without emulation.
 *
 * <p>The architecture comes from {@code uname -m} (read through the JVM's {@code os.arch}, which the kernel reports
 * the same way); for 32-bit ARM the variant comes from the "CPU architecture" line of {@code /proc/cpuinfo}
 * (8 or AArch64 → v8, 7 → v7, 6 → v6, 5… → v5), falling back to {@code uname -m} (armv7l → v7) because under
 * emulation that line may be missing.
 */
public final class HostPlatform {
    private HostPlatform() {}

    /** Detects the current host's platform. */
    public static Platform detect() {
        String cpuinfo = "";
        try {
            cpuinfo = Files.readString(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            // Not Linux, or /proc is not mounted: uname alone decides.
        }
        return fromFacts(System.getProperty("os.name", ""), uname(), cpuinfo);
    }

    /**
     * The pure part of detection, testable with recorded facts.
     *
     * @param osName  the JVM's {@code os.name} ("Linux")
     * @param machine {@code uname -m} ("x86_64", "aarch64", "armv7l", "ppc64le", "s390x"); the JVM's
     *                {@code os.arch} spellings ("amd64") are accepted too
     * @param cpuinfo the text of {@code /proc/cpuinfo}, or empty
     */
    public static Platform fromFacts(String osName, String machine, String cpuinfo) {
        String os = osName.toLowerCase(Locale.ROOT).startsWith("windows")
                ? "windows"
                : osName.toLowerCase(Locale.ROOT).startsWith("mac")
                        ? "darwin"
                        : osName.toLowerCase(Locale.ROOT).replace(" ", "");
        String m = machine.toLowerCase(Locale.ROOT);
        if (m.startsWith("arm") && !m.equals("arm64")) {
            String variant = cpuArchitecture(cpuinfo).orElseGet(() -> variantFromMachine(m));
            return Platform.of(os, "arm", variant);
        }
        String arch =
                switch (m) {
                    case "x86_64", "amd64", "x86-64" -> "amd64";
                    case "aarch64", "arm64" -> "arm64";
                    case "i386", "i486", "i586", "i686", "x86" -> "386";
                    case "ppc64le" -> "ppc64le";
                    case "ppc64" -> "ppc64";
                    case "s390x" -> "s390x";
                    case "riscv64" -> "riscv64";
                    case "loongarch64" -> "loong64";
                    case "mips64" -> "mips64";
                    default -> m;
                };
        return Platform.of(os, arch, "");
    }

    /**
     * What a host of this platform runs natively, best first. An arm64 host runs 32-bit ARM only when its CPU has
     * AArch32, which userspace cannot tell for sure (Graviton 3 and Apple M1 lack it): callers pass what they know,
     * e.g. a runner's declared capability.
     */
    public static List<Platform> runsNatively(Platform host, boolean aarch32) {
        Platform n = host.normalize();
        List<String> table = PlatformTables.NATIVE_RUNS.get(n.shortForm());
        List<Platform> out = new ArrayList<>();
        if (table == null) {
            out.add(n);
            return out;
        }
        for (String s : table) {
            Platform p = Platform.parse(s);
            if (!aarch32 && n.architecture().equals("arm64") && p.architecture().equals("arm")) {
                continue;
            }
            out.add(p);
        }
        return out;
    }

    private static Optional<String> cpuArchitecture(String cpuinfo) {
        for (String line : cpuinfo.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0 || !line.substring(0, colon).trim().equalsIgnoreCase("CPU architecture")) {
                continue;
            }
            String v = line.substring(colon + 1).trim();
            if (v.equals("8") || v.equalsIgnoreCase("AArch64")) {
                return Optional.of("v8");
            }
            if (v.equals("7")) {
                return Optional.of("v7");
            }
            if (v.equals("6")) {
                return Optional.of("v6");
            }
            if (v.startsWith("5")) {
                return Optional.of("v5");
            }
        }
        return Optional.empty();
    }

    private static String variantFromMachine(String m) {
        String v = PlatformTables.VARIANT_ALIASES.get(m);
        return v != null ? v : "v7";
    }

    private static String uname() {
        try {
            // platform uses no other package (so not base.ChildEnvironment): uname needs PATH and nothing else.
            ProcessBuilder pb = new ProcessBuilder("uname", "-m").redirectErrorStream(true);
            String path = System.getenv("PATH");
            pb.environment().clear();
            pb.environment().put("PATH", path == null ? "/usr/bin:/bin" : path);
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (p.waitFor() == 0 && !out.isEmpty()) {
                return out;
            }
        } catch (IOException e) {
            // fall through to the JVM's view
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return System.getProperty("os.arch", "");
    }
}
