package dev.multiarch.platform;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The platforms this host runs through QEMU, from the kernel's binfmt_misc registrations
 * ({@code /proc/sys/fs/binfmt_misc/qemu-*}, each "enabled"). qemu-user-static and binfmt-support register them.
 */
public final class Binfmt {
    private Binfmt() {}

    /** binfmt_misc handler name → the platforms it runs (qemu-arm runs every 32-bit ARM variant). */
    static final Map<String, List<String>> HANDLERS = Map.ofEntries(
            Map.entry("qemu-aarch64", List.of("linux/arm64")),
            Map.entry("qemu-arm", List.of("linux/arm/v7", "linux/arm/v6", "linux/arm/v5")),
            Map.entry("qemu-ppc64le", List.of("linux/ppc64le")),
            Map.entry("qemu-ppc64", List.of("linux/ppc64")),
            Map.entry("qemu-s390x", List.of("linux/s390x")),
            Map.entry("qemu-riscv64", List.of("linux/riscv64")),
            Map.entry("qemu-x86_64", List.of("linux/amd64")),
            Map.entry("qemu-i386", List.of("linux/386")),
            Map.entry("qemu-mips64el", List.of("linux/mips64le")),
            Map.entry("qemu-mips64", List.of("linux/mips64")),
            Map.entry("qemu-loongarch64", List.of("linux/loong64")));

    public static List<Platform> detect() {
        return detect(Path.of("/proc/sys/fs/binfmt_misc"));
    }

    static List<Platform> detect(Path dir) {
        List<Platform> out = new ArrayList<>();
        for (Map.Entry<String, List<String>> e : HANDLERS.entrySet()) {
            Path f = dir.resolve(e.getKey());
            try {
                if (Files.isRegularFile(f) && Files.readString(f).startsWith("enabled")) {
                    e.getValue().forEach(p -> out.add(Platform.parse(p)));
                }
            } catch (IOException | RuntimeException ignored) {
                // unreadable: not usable
            }
        }
        out.sort(Platform.BY_KEY);
        return out;
    }
}
