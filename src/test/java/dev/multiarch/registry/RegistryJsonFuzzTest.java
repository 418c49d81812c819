package dev.multiarch.registry;

import static dev.multiarch.testing.Fuzzing.check;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.base.Json;
import dev.multiarch.testing.Fuzzing;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What registries answer: manifests and indexes (any bytes, any Content-Type), image configs, and the Docker
 * {@code config.json} credentials come from.
 * <ul>
 *   <li>{@link Manifest#of} answers or throws IllegalArgumentException; reading an accepted manifest's entries,
 *       config and layers ({@link Descriptor}s) answers or throws IllegalArgumentException (a malformed digest), or
 *       IllegalStateException from {@link Manifest#config()} for a manifest without one;</li>
 *   <li>an image config's platform is read from any JSON without error;</li>
 *   <li>{@link ImageIndex#assemble} of an index's entries answers or throws IllegalArgumentException, and what it
 *       writes reads back as the same entries;</li>
 *   <li>{@link DockerConfig} answers or throws IllegalArgumentException.</li>
 * </ul>
 */
class RegistryJsonFuzzTest {
    /** {@code Content-Type NUL body}, or only the body (the seeds are registry answers as they come). */
    @FuzzTest(maxDuration = "3m")
    void manifest(byte[] data) {
        int nul = indexOf(data, (byte) 0);
        String contentType = nul < 0 ? null : new String(data, 0, nul, StandardCharsets.UTF_8);
        byte[] body = nul < 0 ? data : Arrays.copyOfRange(data, nul + 1, data.length);

        Fuzzing.parse(() -> Json.parse(body), UncheckedIOException.class).ifPresent(Descriptor::platformFromJson);

        Optional<Manifest> parsed = Fuzzing.parse(() -> Manifest.of(body, contentType), IllegalArgumentException.class);
        if (parsed.isEmpty()) {
            return;
        }
        Manifest m = parsed.get();
        check(m.digest().matches(body), "the digest is not of the bytes received");
        check(m.descriptor().size() == body.length, "the descriptor's size is not the bytes'");
        Fuzzing.parse(m::layers, IllegalArgumentException.class);
        Fuzzing.parse(m::config, IllegalArgumentException.class, IllegalStateException.class);
        Optional<List<Descriptor>> entries = Fuzzing.parse(m::entries, IllegalArgumentException.class);
        if (entries.isEmpty() || entries.get().isEmpty()) {
            return;
        }
        Map<String, String> annotations = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it =
                        m.json().path("annotations").fields();
                it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            annotations.put(e.getKey(), e.getValue().asText());
        }
        for (IndexType type : IndexType.values()) {
            Optional<Manifest> index = Fuzzing.parse(
                    () -> ImageIndex.assemble(type, entries.get(), annotations), IllegalArgumentException.class);
            if (index.isPresent()) {
                Manifest again = Manifest.of(index.get().bytes(), index.get().mediaType());
                check(again.isIndex(), "an assembled index is not an index: " + again.mediaType());
                check(
                        again.entries().equals(entries.get()),
                        "entries written as " + new String(again.bytes(), StandardCharsets.UTF_8)
                                + " read back otherwise");
            }
        }
    }

    @FuzzTest(maxDuration = "3m")
    void dockerConfig(byte[] data) {
        Optional<DockerConfig> config =
                Fuzzing.parse(() -> DockerConfig.parse(Path.of("config.json"), data), IllegalArgumentException.class);
        if (config.isEmpty()) {
            return;
        }
        // A credential helper is a program to run: looking up through one would run whatever the input names.
        JsonNode root = Json.parse(data);
        if (root.has("credHelpers") || root.has("credsStore")) {
            return;
        }
        for (String host : List.of("docker.io", "registry.example:5000", "https://index.docker.io/v1/")) {
            Fuzzing.parse(() -> config.get().lookup(host), IllegalArgumentException.class);
        }
    }

    private static int indexOf(byte[] data, byte b) {
        for (int i = 0; i < data.length; i++) {
            if (data[i] == b) {
                return i;
            }
        }
        return -1;
    }
}
