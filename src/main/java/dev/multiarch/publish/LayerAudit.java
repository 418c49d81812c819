package dev.multiarch.publish;

import dev.multiarch.platform.ElfMachine;
import dev.multiarch.platform.Platform;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * Reads one image layer (a tar, gzip-compressed or not) and checks the ELF header of every regular file in it against
 * the platform the image claims. Only the first 20 bytes of each file are looked at; the rest streams past. This is
 * what catches an image whose config says arm64 around x86-64 programs ({@code FROM --platform=linux/amd64}, or a
 * {@code COPY} of a prebuilt binary): buildah writes the config from {@code --platform}, not from the contents.
 */
public final class LayerAudit {
    private LayerAudit() {}

    /** A file built for another architecture. */
    public record Mismatch(String path, ElfMachine.Header header) {
        public String describe() {
            return "/" + path.replaceFirst("^\\./", "").replaceFirst("^/", "") + " is " + header.describe();
        }
    }

    /** What one layer held: how many ELF programs and libraries were checked, and which do not fit. */
    public record Result(int elfFiles, List<Mismatch> mismatches) {}

    /**
     * @param layer the layer's bytes as stored (compressed or not); read to the end, not closed
     * @throws IOException when the layer is not a tar (or a compression this reads: gzip, none)
     */
    public static Result audit(InputStream layer, Platform platform) throws IOException {
        InputStream in = new BufferedInputStream(layer, 64 * 1024);
        in.mark(4);
        byte[] magic = in.readNBytes(4);
        in.reset();
        if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
            in = GzipCompressorInputStream.builder()
                    .setInputStream(in)
                    .setDecompressConcatenated(true)
                    .get();
        } else if (magic.length == 4
                && (magic[0] & 0xff) == 0x28
                && (magic[1] & 0xff) == 0xb5
                && (magic[2] & 0xff) == 0x2f
                && (magic[3] & 0xff) == 0xfd) {
            throw new IOException("zstd-compressed layers cannot be audited yet; build with gzip layers");
        }
        int elf = 0;
        List<Mismatch> bad = new ArrayList<>();
        byte[] head = new byte[20];
        TarArchiveInputStream tar = new TarArchiveInputStream(in);
        for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
            if (!e.isFile() || e.getSize() < 20) {
                continue;
            }
            int n = tar.readNBytes(head, 0, head.length);
            Optional<ElfMachine.Header> h = ElfMachine.parse(head, n);
            if (h.isEmpty() || !h.get().loadable()) {
                continue;
            }
            elf++;
            if (!ElfMachine.fits(h.get(), platform) && bad.size() < 20) {
                bad.add(new Mismatch(e.getName(), h.get()));
            }
        }
        in.transferTo(java.io.OutputStream.nullOutputStream());
        return new Result(elf, bad);
    }
}
