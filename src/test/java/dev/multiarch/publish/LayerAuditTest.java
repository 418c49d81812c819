package dev.multiarch.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.platform.ElfMachine;
import dev.multiarch.platform.Platform;
import dev.multiarch.testing.TestImages;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.Test;

/** The ELF audit over layers made here from Debian's real busybox binaries for each architecture. */
class LayerAuditTest {
    private static byte[] layer(boolean gzip, String... debArchAndPath) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (var out = gzip ? new GzipCompressorOutputStream(bytes) : bytes;
                TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (int i = 0; i < debArchAndPath.length; i += 2) {
                byte[] content = debArchAndPath[i].equals("script")
                        ? "#!/bin/sh\necho hi\n".repeat(3).getBytes()
                        : Files.readAllBytes(TestImages.busybox(debArchAndPath[i]));
                TarArchiveEntry e = new TarArchiveEntry(debArchAndPath[i + 1]);
                e.setSize(content.length);
                e.setMode(0755);
                tar.putArchiveEntry(e);
                tar.write(content);
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    @Test
    void matchingArchitecture_passes() throws IOException {
        LayerAudit.Result r = LayerAudit.audit(
                new ByteArrayInputStream(layer(true, "arm64", "bin/busybox", "script", "usr/local/bin/run.sh")),
                Platform.parse("linux/arm64/v8"));
        assertEquals(1, r.elfFiles());
        assertTrue(r.mismatches().isEmpty());
    }

    @Test
    void everyArchitecture_isRecognisedFromItsHeader() throws IOException {
        String[][] cases = {
            {"amd64", "linux/amd64"},
            {"arm64", "linux/arm64"},
            {"armhf", "linux/arm/v7"},
            {"armel", "linux/arm/v6"},
            {"ppc64el", "linux/ppc64le"},
            {"s390x", "linux/s390x"}
        };
        for (String[] c : cases) {
            LayerAudit.Result r =
                    LayerAudit.audit(new ByteArrayInputStream(layer(false, c[0], "bin/busybox")), Platform.parse(c[1]));
            assertEquals(1, r.elfFiles(), c[1]);
            assertTrue(r.mismatches().isEmpty(), c[1] + ": " + r.mismatches());
        }
    }

    @Test
    void foreignBinary_isNamedWithItsRealArchitecture() throws IOException {
        String longPath = "opt/" + "deep/".repeat(30) + "tool";
        LayerAudit.Result r = LayerAudit.audit(
                new ByteArrayInputStream(layer(true, "arm64", "bin/busybox", "amd64", longPath, "s390x", "bin/other")),
                Platform.parse("linux/arm64"));
        assertEquals(3, r.elfFiles());
        assertEquals(2, r.mismatches().size());
        assertEquals(
                "/" + longPath + " is x86-64 (ELF64 LSB, e_machine 62)",
                r.mismatches().get(0).describe());
        assertEquals(
                "/bin/other is IBM S/390 (ELF64 MSB, e_machine 22)",
                r.mismatches().get(1).describe());
    }

    @Test
    void compatibleArchitectures_areAccepted() throws IOException {
        assertTrue(
                LayerAudit.audit(
                                new ByteArrayInputStream(layer(true, "armhf", "bin/arm32")),
                                Platform.parse("linux/arm64"))
                        .mismatches()
                        .isEmpty(),
                "arm64 runs 32-bit ARM");
        assertEquals(
                1,
                LayerAudit.audit(
                                new ByteArrayInputStream(layer(true, "arm64", "bin/a64")),
                                Platform.parse("linux/arm/v7"))
                        .mismatches()
                        .size(),
                "but not the other way round");
    }

    @Test
    void notATar_isAnError() {
        assertThrows(
                IOException.class,
                () -> LayerAudit.audit(
                        new ByteArrayInputStream(new byte[] {0x1f, (byte) 0x8b, 1, 2, 3}),
                        Platform.parse("linux/amd64")));
    }

    @Test
    void elfHeader_parsesClassOrderAndMachine() throws IOException {
        byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(TestImages.busybox("s390x")), 20);
        ElfMachine.Header h = ElfMachine.parse(head, 20).orElseThrow();
        assertEquals(2, h.elfClass());
        assertEquals(false, h.littleEndian());
        assertEquals("s390x", h.architecture().orElseThrow());
        assertTrue(ElfMachine.parse("#!/bin/sh\n0123456789".getBytes(), 20).isEmpty());
    }
}
