package dev.multiarch.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.base.ChildEnvironment;
import dev.multiarch.base.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Credentials from Docker's {@code config.json}, the way docker-cli reads them ("docker login" reference):
 * {@code credHelpers[host]} names a {@code docker-credential-<name>} program for that host; otherwise
 * {@code credsStore} names one for every host; otherwise {@code auths[host].auth} is base64 of {@code user:pass}
 * (or {@code identitytoken}, an OAuth2 refresh token). Keys in {@code auths} may be written with a scheme and path
 * ({@code https://index.docker.io/v1/} is Docker Hub's), so they are compared by host.
 */
public final class DockerConfig implements CredentialSource {
    private static final String HUB_KEY = "https://index.docker.io/v1/";

    private final Path file;
    private final JsonNode root;
    /** Where to look for helper programs before PATH (tests); null for PATH only. */
    private final Path helperDir;
    /**
     * Helper answers, kept {@link #HELPER_ANSWER_LIFE}: the client asks for credentials before every request to a
     * Basic registry (ECR), and a chunked upload makes many; ECR's passwords last 12 h, gcloud's tokens 1 h.
     */
    private final Map<String, HelperAnswer> helperAnswers = new ConcurrentHashMap<>();

    private static final long HELPER_ANSWER_LIFE = TimeUnit.MINUTES.toNanos(5);

    private record HelperAnswer(Optional<Credentials> credentials, long at) {}

    private DockerConfig(Path file, JsonNode root, Path helperDir) {
        this.file = file;
        this.root = root;
        this.helperDir = helperDir;
    }

    /** The same config, looking for {@code docker-credential-*} programs in {@code dir} before PATH. */
    DockerConfig withHelperDirectory(Path dir) {
        return new DockerConfig(file, root, dir);
    }

    /** The default file: {@code $DOCKER_CONFIG/config.json}, else {@code ~/.docker/config.json}. */
    public static Path defaultLocation() {
        String dir = System.getenv("DOCKER_CONFIG");
        return dir != null && !dir.isBlank()
                ? Path.of(dir, "config.json")
                : Path.of(System.getProperty("user.home"), ".docker", "config.json");
    }

    /**
     * Loads a config. {@code path} may be the file or the directory holding {@code config.json} (manifest-tool's
     * {@code --docker-cfg} takes the directory). A missing default file means no credentials; an unreadable or
     * malformed file is an error naming it.
     */
    public static DockerConfig load(Path path) {
        Path f = Files.isDirectory(path) ? path.resolve("config.json") : path;
        if (!Files.exists(f)) {
            return new DockerConfig(f, Json.MAPPER.createObjectNode(), null);
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(f);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read Docker config " + f + ": " + e.getMessage(), e);
        }
        return parse(f, bytes);
    }

    /**
     * @throws IllegalArgumentException when the bytes are not a JSON object, naming the file
     */
    static DockerConfig parse(Path file, byte[] bytes) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(bytes);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read Docker config " + file + ": " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("Docker config " + file + " is not a JSON object");
        }
        return new DockerConfig(file, root, null);
    }

    public Path file() {
        return file;
    }

    @Override
    public Optional<Credentials> lookup(String registry) {
        String host = hostOf(registry);
        String helper =
                findByHost(root.path("credHelpers"), host).map(JsonNode::asText).orElse(null);
        if (helper == null && root.hasNonNull("credsStore")) {
            helper = root.get("credsStore").asText();
        }
        if (helper != null && !helper.isBlank()) {
            Optional<Credentials> fromHelper = helperAnswer(helper, serverUrl(host));
            if (fromHelper.isPresent()) {
                return fromHelper;
            }
        }
        return findByHost(root.path("auths"), host).flatMap(DockerConfig::fromAuthEntry);
    }

    private static Optional<Credentials> fromAuthEntry(JsonNode e) {
        String identity = e.path("identitytoken").asText("");
        String auth = e.path("auth").asText("");
        String user = e.path("username").asText("");
        String pass = e.path("password").asText("");
        if (!auth.isEmpty()) {
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(auth.trim()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException("Docker config: an 'auth' entry is not valid base64");
            }
            int colon = decoded.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("Docker config: an 'auth' entry does not decode to user:password");
            }
            user = decoded.substring(0, colon);
            pass = decoded.substring(colon + 1);
        }
        if (user.isEmpty() && identity.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Credentials(user, pass, identity.isEmpty() ? null : identity));
    }

    private static Optional<JsonNode> findByHost(JsonNode map, String host) {
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (hostOf(e.getKey()).equals(host)) {
                return Optional.of(e.getValue());
            }
        }
        return Optional.empty();
    }

    /** {@code https://index.docker.io/v1/} → {@code docker.io}; {@code http://host:5000/x} → {@code host:5000}. */
    static String hostOf(String key) {
        String k = key.trim().toLowerCase();
        int scheme = k.indexOf("://");
        if (scheme >= 0) {
            k = k.substring(scheme + 3);
        }
        int slash = k.indexOf('/');
        if (slash >= 0) {
            k = k.substring(0, slash);
        }
        return switch (k) {
            case "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com" -> ImageReference.DOCKER_HUB;
            default -> k;
        };
    }

    private static String serverUrl(String host) {
        return host.equals(ImageReference.DOCKER_HUB) ? HUB_KEY : host;
    }

    private Optional<Credentials> helperAnswer(String helper, String serverUrl) {
        String key = helper + " " + serverUrl;
        HelperAnswer a = helperAnswers.get(key);
        if (a == null || System.nanoTime() - a.at() > HELPER_ANSWER_LIFE) {
            a = new HelperAnswer(runHelper(helper, serverUrl), System.nanoTime());
            helperAnswers.put(key, a);
        }
        return a.credentials();
    }

    /**
     * Runs {@code docker-credential-<helper> get} with the server URL on stdin (docker-credential-helpers protocol).
     * "credentials not found" means none; any other failure is an error that names the helper, never a secret.
     */
    private Optional<Credentials> runHelper(String helper, String serverUrl) {
        String program = "docker-credential-" + helper;
        if (helperDir != null && Files.isExecutable(helperDir.resolve(program))) {
            program = helperDir.resolve(program).toString();
        }
        try {
            // Not the coordinator's whole environment (its MULTIARCH_* secrets): what helpers need, and no more.
            Process p = ChildEnvironment.applyForCredentialHelper(new ProcessBuilder(program, "get"))
                    .redirectError(ProcessBuilder.Redirect.PIPE)
                    .start();
            try (OutputStream in = p.getOutputStream()) {
                in.write(serverUrl.getBytes(StandardCharsets.UTF_8));
            }
            byte[] out = p.getInputStream().readAllBytes();
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(program + " get did not answer within 30 s for " + serverUrl);
            }
            String text = new String(out, StandardCharsets.UTF_8).trim();
            if (p.exitValue() != 0) {
                if ((text + err).toLowerCase().contains("credentials not found")) {
                    return Optional.empty();
                }
                String firstLine =
                        (text.isEmpty() ? err : text).lines().findFirst().orElse("no output");
                throw new IllegalStateException(
                        program + " get failed for " + serverUrl + " (exit " + p.exitValue() + "): " + firstLine);
            }
            JsonNode n = Json.MAPPER.readTree(text);
            String user = n.path("Username").asText("");
            String secret = n.path("Secret").asText("");
            if ("<token>".equals(user)) {
                return Optional.of(new Credentials("", "", secret));
            }
            return Optional.of(Credentials.basic(user, secret));
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + program + " for " + serverUrl + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + program, e);
        }
    }
}
