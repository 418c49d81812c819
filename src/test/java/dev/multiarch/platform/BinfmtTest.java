package dev.multiarch.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BinfmtTest {
    @TempDir
    Path dir;

    @Test
    void enabledQemuHandlers_becomePlatforms() throws Exception {
        Files.writeString(
                dir.resolve("qemu-aarch64"), "enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\n");
        Files.writeString(dir.resolve("qemu-s390x"), "disabled\ninterpreter /usr/libexec/qemu-binfmt/s390x-binfmt-P\n");
        Files.writeString(dir.resolve("qemu-arm"), "enabled\n");
        Files.writeString(dir.resolve("python3.11"), "enabled\n");
        assertEquals(
                List.of("linux/arm/v5", "linux/arm/v6", "linux/arm/v7", "linux/arm64"),
                Binfmt.detect(dir).stream().map(Platform::shortForm).toList());
    }
}
