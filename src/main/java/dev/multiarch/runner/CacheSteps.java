package dev.multiarch.runner;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.multiarch.base.Json;
import dev.multiarch.registry.Descriptor;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.registry.Manifest;
import dev.multiarch.registry.MediaType;
import dev.multiarch.registry.RegistryClient;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The steps of a platform's last build that wrote the registry cache, kept beside the cache as the tag
 * {@code multiarch-steps} (an OCI manifest without layers whose config lists buildah's cache keys, in build order).
 *
 * <p>Why: buildah 1.28 looks a step up in the registry cache only while every earlier step was found, and never for
 * an {@code ARG} step (containers/buildah#4315, fixed in 1.29), so a runner without the image in its storage found
 * nothing after {@code ARG TARGETARCH}. Before such a job builds, the runner pulls the images of the last build's
 * steps ({@code buildah pull REPO:KEY}); buildah's own lookup in its storage then finds them, {@code ARG} steps
 * included, as if this runner had built them.
 */
final class CacheSteps {
    private CacheSteps() {}

    static final String TAG = "multiarch-steps";
    /** buildah's cache keys: SHA-256, hex. Anything else read from a registry or a log is ignored. */
    private static final Pattern KEY = Pattern.compile("[0-9a-f]{64}");
    /** More steps than a Dockerfile has. */
    static final int MAX = 256;

    private static final String FIELD = "dev.multiarch.cache.steps";

    /**
     * The key at the end of buildah's "--> Pushing cache REPO:KEY" or "--> Cache pulled from remote REPO:KEY", when
     * REPO is the job's own cache repository. These lines come from the build's output, which the Dockerfile writes
     * too: a build can list keys of its choice, but only in its own cache repository's list, and the keys are only
     * ever used to pull {@code REPO:KEY} from that same repository (of the same image and platform), which that
     * image's builds alone write (the cache must be under the image's own repository).
     */
    static void collect(String line, String repository, Set<String> keys) {
        int colon = line.lastIndexOf(':');
        if (colon < 0) {
            return;
        }
        String key = line.substring(colon + 1).trim();
        String head = line.substring(0, colon);
        if (KEY.matcher(key).matches() && head.endsWith(" " + repository) && keys.size() < MAX) {
            keys.add(key);
        }
    }

    /** Writes the list of {@code keys} as the cache repository's {@link #TAG}. */
    static void write(RegistryClient rc, ImageReference repo, Set<String> keys) {
        ObjectNode config = Json.MAPPER.createObjectNode();
        keys.forEach(config.putArray(FIELD)::add);
        Descriptor d = rc.pushBlob(repo, MediaType.OCI_CONFIG, Json.write(config));
        ObjectNode m = Json.MAPPER.createObjectNode();
        m.put("schemaVersion", 2).put("mediaType", MediaType.OCI_MANIFEST);
        m.putObject("config")
                .put("mediaType", d.mediaType())
                .put("digest", d.digest().toString())
                .put("size", d.size());
        m.putArray("layers");
        rc.putManifest(
                repo.withTag(TAG),
                Manifest.of(Json.write(m), MediaType.OCI_MANIFEST),
                "the layer cache's list of steps");
    }

    /** The keys the cache repository's {@link #TAG} lists; none when it has none. */
    static List<String> read(RegistryClient rc, ImageReference repo) {
        ImageReference ref = repo.withTag(TAG);
        if (rc.head(ref).isEmpty()) {
            return List.of();
        }
        Manifest m = rc.getManifest(ref);
        JsonNode config = rc.getConfig(repo, m.config());
        Set<String> keys = new LinkedHashSet<>();
        for (JsonNode k : config.path(FIELD)) {
            if (KEY.matcher(k.asText()).matches() && keys.size() < MAX) {
                keys.add(k.asText());
            }
        }
        return new ArrayList<>(keys);
    }
}
