package dev.multiarch.cli;

import dev.multiarch.config.PushSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/** {@code multiarch push from-spec FILE}: manifest-tool's YAML spec, unchanged. */
final class PushFromSpec implements Command {
    @Override
    public List<String> words() {
        return List.of("push", "from-spec");
    }

    @Override
    public String summary() {
        return "Push the list a manifest-tool YAML spec describes to its image and every tag.";
    }

    @Override
    public String arguments() {
        return "FILE";
    }

    @Override
    public Options options() {
        return PushFlow.options();
    }

    @Override
    public int run(CommandLine cl, PrintWriter out, PrintWriter err) {
        if (cl.getArgList().size() != 1) {
            throw new UsageException(
                    "push from-spec takes one spec file, got " + cl.getArgList().size());
        }
        Path file = Path.of(cl.getArgList().get(0));
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read spec " + file + ": " + e.getMessage(), e);
        }
        return PushFlow.push(cl, PushSpec.parse(file.toString(), text), out, err);
    }
}
