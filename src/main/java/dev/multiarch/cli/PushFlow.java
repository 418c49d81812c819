package dev.multiarch.cli;

import dev.multiarch.config.PushSpec;
import dev.multiarch.publish.Entry;
import dev.multiarch.publish.IndexPublisher;
import dev.multiarch.publish.SourceResolver;
import dev.multiarch.registry.Descriptor;
import dev.multiarch.registry.IndexType;
import dev.multiarch.registry.MediaType;
import dev.multiarch.registry.RegistryClient;
import java.io.PrintWriter;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/** What both push forms share: their flags, and resolving, publishing and reporting a {@link PushSpec}. */
final class PushFlow {
    private PushFlow() {}

    static Options options() {
        return RegistryFlags.add(new Options())
                .addOption(Option.builder()
                        .longOpt("type")
                        .hasArg()
                        .argName("docker|oci|auto")
                        .desc("List type; auto (default) = Docker list when every child is a Docker v2 manifest, "
                                + "else OCI index.")
                        .build())
                .addOption(Option.builder()
                        .longOpt("append")
                        .desc("Add or replace platforms in the existing list instead of overwriting it.")
                        .build())
                .addOption(Option.builder()
                        .longOpt("ignore-missing")
                        .desc("Warn about source images that do not exist and publish the rest.")
                        .build());
    }

    static int push(CommandLine cl, PushSpec ps, PrintWriter out, PrintWriter err) {
        IndexType type;
        try {
            type = IndexType.parse(cl.getOptionValue("type", "auto"));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        try (RegistryClient client = RegistryFlags.client(cl, ps.image().registry())) {
            List<Entry> entries = new SourceResolver(client)
                    .resolve(ps.image(), ps.sources(), cl.hasOption("ignore-missing"), w -> {
                        err.println("multiarch: warning: " + w);
                        err.flush();
                    });
            IndexPublisher.Result r = new IndexPublisher(client)
                    .publish(ps.image(), ps.tags(), entries, type, ps.annotations(), cl.hasOption("append"));
            // manifest-tool's first line, which scripts parse.
            out.println("Digest: " + r.digest() + " " + r.index().size());
            out.println("Published " + MediaType.shortName(r.mediaType()) + " with "
                    + r.entries().size()
                    + " entries to "
                    + String.join(
                            ", ",
                            r.tags().stream()
                                    .map(t -> r.target().withTag(t).toString())
                                    .toList()));
            for (Descriptor d : r.entries()) {
                out.println("  " + pad(Inspect.platform(d), 28) + " " + d.digest());
            }
            return 0;
        }
    }

    static List<String> commaList(CommandLine cl, String option) {
        String[] values = cl.getOptionValues(option);
        if (values == null) {
            return List.of();
        }
        return java.util.Arrays.stream(values)
                .flatMap(v -> java.util.Arrays.stream(v.split(",")))
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .toList();
    }

    static String pad(String s, int width) {
        return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }
}
