package dev.multiarch.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.multiarch.platform.Platform;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** skopeo, the independent judge of what a registry holds. */
public final class Skopeo {
    private Skopeo() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** {@code skopeo --override-os/arch/variant inspect [--config]}: resolves one platform of a list. */
    public static JsonNode inspect(String ref, Platform p, boolean config, String creds) {
        List<String> cmd = new ArrayList<>(List.of("skopeo", "--override-os", p.os(), "--override-arch",
                p.architecture()));
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
        List<String> cmd = new ArrayList<>(List.of("skopeo", "--override-os", p.os(), "--override-arch",
                p.architecture()));
        if (!p.variant().isEmpty()) {
            cmd.addAll(List.of("--override-variant", p.variant()));
        }
        cmd.addAll(List.of("inspect", "--tls-verify=false", "--config", "--raw", "docker://" + ref));
        return Proc.ok(cmd).out();
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
    public static boolean exists(String ref) {
        return Proc.run(List.of("skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + ref), null, 60)
                .exit() == 0;
    }

    public static JsonNode parse(String s) {
        try {
            return JSON.readTree(s);
        } catch (IOException e) {
            throw new IllegalStateException("not JSON: " + s, e);
        }
    }
}
