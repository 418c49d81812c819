package dev.multiarch.cli;

import dev.multiarch.config.PushSpec;
import dev.multiarch.publish.Entry;
import dev.multiarch.publish.IndexPublisher;
import dev.multiarch.publish.SourceResolver;
import dev.multiarch.registry.Descriptor;
import dev.multiarch.registry.IndexType;
import dev.multiarch.registry.MediaType;
import dev.multiarch.registry.RegistryClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code multiarch push from-spec|from-args}: manifest-tool's push, plus {@code --append}. */
@Command(name = "push", description = "Push a manifest list or OCI index built from existing images.",
        mixinStandardHelpOptions = true,
        subcommands = {PushCommand.FromSpec.class, PushCommand.FromArgs.class})
final class PushCommand {

    /** Options of both push forms. */
    static final class Common {
        @Mixin
        RegistryOptions registry = new RegistryOptions();

        @Option(names = "--type", defaultValue = "auto", paramLabel = "docker|oci|auto",
                description = "List type; auto = Docker list when every child is a Docker v2 manifest, else OCI index.")
        String type;

        @Option(names = "--append", description = "Add or replace platforms in the existing list instead of overwriting it.")
        boolean append;

        @Option(names = "--ignore-missing", description = "Warn about source images that do not exist and publish the rest.")
        boolean ignoreMissing;
    }

    @Command(name = "from-spec", mixinStandardHelpOptions = true,
            description = "Push the list described by a manifest-tool YAML spec to its image and every tag.")
    static final class FromSpec implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Common common = new Common();

        @Parameters(index = "0", paramLabel = "FILE", description = "manifest-tool YAML spec")
        Path file;

        @Override
        public Integer call() throws IOException {
            String text;
            try {
                text = Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read spec " + file + ": " + e.getMessage(), e);
            }
            PushSpec ps = PushSpec.parse(file.toString(), text);
            return push(spec, common, ps);
        }
    }

    @Command(name = "from-args", mixinStandardHelpOptions = true,
            description = "Push a list of images named by a template, one per platform.")
    static final class FromArgs implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Common common = new Common();

        @Option(names = "--platforms", required = true, split = ",", paramLabel = "os/arch[/variant]",
                description = "Comma-separated platforms, e.g. linux/amd64,linux/arm/v7")
        List<String> platforms;

        @Option(names = "--template", required = true,
                description = "Source image pattern; OS, ARCH and VARIANT are replaced, e.g. reg/img:ARCH-VARIANT")
        String template;

        @Option(names = "--target", required = true, description = "The list's name, e.g. reg/img:1.0")
        String target;

        @Option(names = "--tags", split = ",", description = "More tags for the list.")
        List<String> tags = List.of();

        @Override
        public Integer call() {
            return push(spec, common, PushSpec.fromArgs(platforms, template, target, tags));
        }
    }

    static int push(CommandSpec spec, Common common, PushSpec ps) {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        IndexType type = IndexType.parse(common.type);
        try (RegistryClient client = common.registry.client(ps.image().registry())) {
            List<Entry> entries = new SourceResolver(client).resolve(ps.image(), ps.sources(), common.ignoreMissing,
                    w -> {
                        err.println("multiarch: warning: " + w);
                        err.flush();
                    });
            IndexPublisher.Result r = new IndexPublisher(client)
                    .publish(ps.image(), ps.tags(), entries, type, ps.annotations(), common.append);
            // manifest-tool's first line, which scripts parse.
            out.println("Digest: " + r.digest() + " " + r.index().size());
            out.println("Published " + MediaType.shortName(r.mediaType()) + " with " + r.entries().size()
                    + " entries to " + String.join(", ", r.tags().stream()
                    .map(t -> r.target().withTag(t).toString()).toList()));
            for (Descriptor d : r.entries()) {
                String p = d.isAttestation() ? "attestation of " + d.attests().substring(0, 19)
                        : d.platform() == null ? "-" : d.platform().format();
                out.printf("  %-28s %s%n", p, d.digest());
            }
            out.flush();
            return 0;
        }
    }
}
