package dev.multiarch.runner;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.multiarch.base.Json;
import dev.multiarch.dispatch.Protocol;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;

/**
 * The registry credentials a job's build may pull with ({@code FROM} a private base image in the registry it publishes
 * to): a Docker config JSON ({@code {"auths": {host: {"auth": base64(user:pass)}}}}, which containers/image reads as
 * {@code REGISTRY_AUTH_FILE}), created 0600 in the job directory and deleted after the build. A job without
 * credentials gets one with no entries, so that buildah does not fall back to the host's {@code auth.json} or the
 * runner user's {@code ~/.docker/config.json}.
 */
final class AuthFile {
    private AuthFile() {}

    static final String NAME = "registry-auth.json";

    /** Writes the file for {@code push} (null: none) into {@code dir}; the caller deletes it. */
    static Path write(Path dir, Protocol.PushCredentials push) throws IOException {
        ObjectNode root = Json.MAPPER.createObjectNode();
        ObjectNode auths = root.putObject("auths");
        if (push != null && push.username() != null) {
            ObjectNode entry = auths.putObject(push.registry());
            String secret = push.identityToken() != null ? "" : push.password();
            entry.put(
                    "auth",
                    Base64.getEncoder()
                            .encodeToString((push.username() + ":" + secret).getBytes(StandardCharsets.UTF_8)));
            if (push.identityToken() != null) {
                entry.put("identitytoken", push.identityToken());
            }
        }
        Path f = dir.resolve(NAME);
        PrivateFiles.create(f, Json.MAPPER.writeValueAsBytes(root));
        return f;
    }
}
