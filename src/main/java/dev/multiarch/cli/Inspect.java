package dev.multiarch.cli;

import dev.multiarch.registry.Descriptor;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.registry.Manifest;
import dev.multiarch.registry.MediaType;
import dev.multiarch.registry.RegistryClient;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/** {@code multiarch inspect REF [--raw]}: a table of a list's entries, or the JSON the registry holds. */
final class Inspect implements Command {
    @Override
    public List<String> words() {
        return List.of("inspect");
    }

    @Override
    public String summary() {
        return "Show a list's entries (platform, digest, size, media type, layers), or --raw JSON.";
    }

    @Override
    public String arguments() {
        return "REF";
    }

    @Override
    public Options options() {
        return RegistryFlags.add(new Options())
                .addOption(Option.builder()
                        .longOpt("raw")
                        .desc("Print the manifest exactly as the registry holds it.")
                        .build());
    }

    @Override
    public int run(CommandLine cl, PrintWriter out, PrintWriter err) {
        if (cl.getArgList().size() != 1) {
            throw new UsageException(
                    "inspect takes one image reference, got " + cl.getArgList().size());
        }
        ImageReference ref = ImageReference.parse(cl.getArgList().get(0));
        try (RegistryClient client = RegistryFlags.client(cl, ref.registry())) {
            Manifest m = client.getManifest(ref);
            if (cl.hasOption("raw")) {
                out.println(new String(m.bytes(), StandardCharsets.UTF_8));
                return 0;
            }
            out.println("Name:       " + ref);
            out.println("Digest:     " + m.digest());
            out.println("Media type: " + m.mediaType() + " (" + m.size() + " bytes)");
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"#", "PLATFORM", "DIGEST", "SIZE", "MEDIA TYPE", "LAYERS"});
            if (m.isIndex()) {
                List<Descriptor> entries = m.entries();
                out.println("Entries:    " + entries.size());
                int i = 1;
                for (Descriptor d : entries) {
                    rows.add(row(client, ref, i++, d));
                }
            } else if (m.isImage()) {
                rows.add(imageRow(1, m.descriptor().withPlatform(client.configPlatform(ref, m)), m));
            } else {
                out.println("(neither a list nor an image manifest; use --raw)");
            }
            printTable(out, rows);
            return 0;
        }
    }

    private static String[] row(RegistryClient client, ImageReference ref, int i, Descriptor d) {
        if (!MediaType.isImageManifest(d.mediaType())) {
            return new String[] {
                String.valueOf(i), platform(d), d.digest().toString(), "-", MediaType.shortName(d.mediaType()), "-"
            };
        }
        return imageRow(i, d, client.getManifest(ref.withDigest(d.digest())));
    }

    private static String[] imageRow(int i, Descriptor d, Manifest m) {
        List<Descriptor> layers = m.layers();
        long total = m.config().size();
        for (Descriptor l : layers) {
            total += Math.max(0, l.size());
        }
        return new String[] {
            String.valueOf(i),
            platform(d),
            d.digest().toString(),
            human(total),
            MediaType.shortName(d.mediaType()),
            String.valueOf(layers.size())
        };
    }

    /** The platform column: the platform, or what an attestation manifest describes. */
    static String platform(Descriptor d) {
        if (d.isAttestation()) {
            String of = d.attests() == null
                    ? "?"
                    : d.attests().substring(0, Math.min(19, d.attests().length()));
            return "attestation of " + of;
        }
        return d.platform() == null ? "-" : d.platform().format();
    }

    static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        double v = bytes;
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    private static void printTable(PrintWriter out, List<String[]> rows) {
        int[] w = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int c = 0; c < r.length; c++) {
                w[c] = Math.max(w[c], r[c].length());
            }
        }
        for (String[] r : rows) {
            StringBuilder b = new StringBuilder();
            for (int c = 0; c < r.length; c++) {
                b.append(c == r.length - 1 ? r[c] : PushFlow.pad(r[c], w[c] + 2));
            }
            out.println(b.toString().stripTrailing());
        }
    }
}
