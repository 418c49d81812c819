package dev.multiarch.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.base.Json;
import dev.multiarch.platform.Platform;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** skopeo, the independent judge of what a registry holds. */
public final class Skopeo {
    private Skopeo() {}

    /** {@code skopeo --override-os/arch/variant inspect [--config]}: resolves one platform of a list. */
    public static JsonNode inspect(String ref, Platform p, boolean config, String creds) {
        List<String> cmd =
                new ArrayList<>(List.of("skopeo", "--override-os", p.os(), "--override-arch", p.architecture()));
        if (!p.variant().isEmpty()) {
            cmd.addAll(List.of("--override-variant", p.variant()));
        }
        cmd.addAll(List.of("inspect", "--tls-verify=false"));
        if (config) {
            cmd.add("--config");
        }
        if (creds != null) {
            cmd.addAll(List.of("--creds", creds));
        }
        cmd.add("docker://" + ref);
        return parse(Proc.ok(cmd).out());
    }

    /** The raw config blob of the image skopeo picks for platform {@code p} out of {@code ref}. */
    public static String rawConfig(String ref, Platform p) {
        List<String> cmd =
                new ArrayList<>(List.of("skopeo", "--override-os", p.os(), "--override-arch", p.architecture()));
        if (!p.variant().isEmpty()) {
            cmd.addAll(List.of("--override-variant", p.variant()));
        }
        cmd.addAll(List.of("inspect", "--tls-verify=false", "--config", "--raw", "docker://" + ref));
        return Proc.ok(cmd).out();
    }

    /**
     * A file's text in the image skopeo picks for platform {@code p} out of {@code ref}: the image is copied to an OCI
     * layout and its layers read top down (later layers win).
     */
    public static String fileInImage(String ref, Platform p, String path) {
        try {
            java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("skopeo-oci");
            List<String> cmd =
                    new ArrayList<>(List.of("skopeo", "--override-os", p.os(), "--override-arch", p.architecture()));
            if (!p.variant().isEmpty()) {
                cmd.addAll(List.of("--override-variant", p.variant()));
            }
            cmd.addAll(List.of("copy", "-q", "--src-tls-verify=false", "docker://" + ref, "oci:" + dir + ":x"));
            Proc.ok(cmd);
            java.nio.file.Path blobs = dir.resolve("blobs").resolve("sha256");
            JsonNode index = Json.MAPPER.readTree(dir.resolve("index.json").toFile());
            JsonNode manifest = Json.MAPPER.readTree(
                    blobs.resolve(index.at("/manifests/0/digest").asText().substring(7))
                            .toFile());
            List<JsonNode> layers = new ArrayList<>();
            manifest.path("layers").forEach(layers::add);
            java.util.Collections.reverse(layers);
            String want = path.replaceFirst("^/", "");
            for (JsonNode l : layers) {
                java.nio.file.Path blob =
                        blobs.resolve(l.path("digest").asText().substring(7));
                try (var in = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(
                        new org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream(
                                java.nio.file.Files.newInputStream(blob)))) {
                    for (var e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                        if (e.getName()
                                .replaceFirst("^\\./", "")
                                .replaceFirst("^/", "")
                                .equals(want)) {
                            String text = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                            Proc.run(List.of("rm", "-rf", dir.toString()), null, 60);
                            return text;
                        }
                    }
                }
            }
            Proc.run(List.of("rm", "-rf", dir.toString()), null, 60);
            throw new IllegalStateException(path + " is not in " + ref + " for " + p.shortForm());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code skopeo list-tags}: the repository's tags; empty when it has none or does not exist. */
    public static List<String> tags(String repo) {
        Proc.Result r = Proc.run(List.of("skopeo", "list-tags", "--tls-verify=false", "docker://" + repo), null, 60);
        if (r.exit() != 0) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        parse(r.out()).path("Tags").forEach(t -> out.add(t.asText()));
        java.util.Collections.sort(out);
        return out;
    }

    /** The manifest bytes exactly as the registry serves them. */
    public static String raw(String ref, String creds) {
        List<String> cmd = new ArrayList<>(List.of("skopeo", "inspect", "--raw", "--tls-verify=false"));
        if (creds != null) {
            cmd.addAll(List.of("--creds", creds));
        }
        cmd.add("docker://" + ref);
        return Proc.ok(cmd).out();
    }

    /** Whether skopeo finds the reference at all. */
    /** The digest of a reference's manifest as the registry serves it (sha256 of the raw bytes). */
    public static String digest(String ref) {
        try {
            return "sha256:"
                    + java.util.HexFormat.of()
                            .formatHex(java.security.MessageDigest.getInstance("SHA-256")
                                    .digest(raw(ref, null).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static boolean exists(String ref) {
        return Proc.run(List.of("skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + ref), null, 60)
                        .exit()
                == 0;
    }

    public static JsonNode parse(String s) {
        try {
            return Json.MAPPER.readTree(s);
        } catch (IOException e) {
            throw new IllegalStateException("not JSON: " + s, e);
        }
    }
}
