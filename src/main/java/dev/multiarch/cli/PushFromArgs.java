package dev.multiarch.cli;

import dev.multiarch.config.PushSpec;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/** {@code multiarch push from-args}: one source per platform, named by a template (manifest-tool's words). */
final class PushFromArgs implements Command {
    @Override
    public List<String> words() {
        return List.of("push", "from-args");
    }

    @Override
    public String summary() {
        return "Push a list of images named by a template, one per platform.";
    }

    @Override
    public String arguments() {
        return "";
    }

    @Override
    public Options options() {
        return PushFlow.options()
                .addOption(Option.builder()
                        .longOpt("platforms")
                        .hasArgs()
                        .required()
                        .argName("os/arch[/variant],…")
                        .desc("Platforms, comma-separated, e.g. linux/amd64,linux/arm/v7")
                        .build())
                .addOption(Option.builder()
                        .longOpt("template")
                        .hasArg()
                        .required()
                        .argName("PATTERN")
                        .desc("Source image name; OS, ARCH and VARIANT are replaced, e.g. reg/img:ARCH-VARIANT")
                        .build())
                .addOption(Option.builder()
                        .longOpt("target")
                        .hasArg()
                        .required()
                        .argName("REF")
                        .desc("The list's name, e.g. reg/img:1.0")
                        .build())
                .addOption(Option.builder()
                        .longOpt("tags")
                        .hasArgs()
                        .argName("TAG,…")
                        .desc("More tags for the list, comma-separated.")
                        .build())
                .addOption(Option.builder()
                        .longOpt("annotation")
                        .hasArg()
                        .argName("KEY=VALUE")
                        .desc("An annotation for the index (OCI only); repeat for more, e.g."
                                + " --annotation org.opencontainers.image.source=https://github.com/acme/app")
                        .build());
    }

    @Override
    public int run(CommandLine cl, PrintWriter out, PrintWriter err) {
        if (!cl.getArgList().isEmpty()) {
            throw new UsageException("unexpected argument '" + cl.getArgList().get(0) + "'");
        }
        PushSpec spec = PushSpec.fromArgs(
                PushFlow.commaList(cl, "platforms"),
                cl.getOptionValue("template"),
                cl.getOptionValue("target"),
                PushFlow.commaList(cl, "tags"));
        Map<String, String> annotations = new LinkedHashMap<>();
        String[] given = cl.getOptionValues("annotation");
        for (String a : given == null ? new String[0] : given) {
            int eq = a.indexOf('=');
            if (eq <= 0) {
                throw new UsageException("--annotation wants KEY=VALUE, got '" + a + "'");
            }
            annotations.put(a.substring(0, eq), a.substring(eq + 1));
        }
        if (!annotations.isEmpty()) {
            spec = new PushSpec(spec.image(), spec.tags(), spec.sources(), annotations);
        }
        return PushFlow.push(cl, spec, out, err);
    }
}
