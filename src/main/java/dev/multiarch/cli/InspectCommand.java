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
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code multiarch inspect REF [--raw]}: a table of a list's entries, or the JSON the registry holds. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show a manifest list's entries (platform, digest, size, media type, layers), or --raw JSON.")
final class InspectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RegistryOptions registry = new RegistryOptions();

    @Parameters(index = "0", paramLabel = "REF", description = "Image reference, e.g. registry/name:tag")
    String reference;

    @Option(names = "--raw", description = "Print the manifest exactly as the registry holds it.")
    boolean raw;

    @Override
    public Integer call() {
        ImageReference ref = ImageReference.parse(reference);
        PrintWriter out = spec.commandLine().getOut();
        try (RegistryClient client = registry.client(ref.registry())) {
            Manifest m = client.getManifest(ref);
            if (raw) {
                out.println(new String(m.bytes(), StandardCharsets.UTF_8));
                out.flush();
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
                Descriptor self = m.descriptor().withPlatform(client.configPlatform(ref, m));
                rows.add(imageRow(1, self, m));
            } else {
                out.println("(not a manifest list or image manifest; use --raw)");
            }
            printTable(out, rows);
            out.flush();
            return 0;
        }
    }

    private static String[] row(RegistryClient client, ImageReference ref, int i, Descriptor d) {
        if (!MediaType.isImageManifest(d.mediaType())) {
            return new String[] {String.valueOf(i), platform(d), d.digest().toString(), "-",
                    MediaType.shortName(d.mediaType()), "-"};
        }
        Manifest child = client.getManifest(ref.withDigest(d.digest()));
        return imageRow(i, d, child);
    }

    private static String[] imageRow(int i, Descriptor d, Manifest m) {
        List<Descriptor> layers = m.layers();
        long total = m.config().size();
        for (Descriptor l : layers) {
            total += Math.max(0, l.size());
        }
        return new String[] {String.valueOf(i), platform(d), d.digest().toString(), human(total),
                MediaType.shortName(d.mediaType()), String.valueOf(layers.size())};
    }

    private static String platform(Descriptor d) {
        if (d.isAttestation()) {
            String of = d.attests() == null ? "?" : d.attests().substring(0, Math.min(19, d.attests().length()));
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
        return String.format("%.1f %s", v, units[u]);
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
                b.append(c == r.length - 1 ? r[c] : String.format("%-" + (w[c] + 2) + "s", r[c]));
            }
            out.println(b.toString().stripTrailing());
        }
    }
}
