package dev.multiarch.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;

/**
 * The coordinator's {@code config.yaml} ({@code multiarch serve --config config.yaml}); the top-level
 * {@code config.yaml} of the repository documents every key. Secrets come in as {@code ${ENV_VAR}} and are never
 * printed: {@link #toString()} redacts them.
 */
public record ServiceConfig(
        String host,
        int port,
        String publicUrl,
        Path dataDir,
        String runnerSecret,
        Duration leaseDuration,
        int maxAttempts,
        Duration longPoll,
        List<Registry> registries,
        Path sourceCache,
        Optional<GitHubSection> github) {

    private static final Set<String> TOP = Set.of("server", "store", "runners", "registries", "github");

    /** A registry the coordinator verifies and publishes to, and whose push credentials runners receive. */
    public record Registry(String host, boolean insecure, String username, String password, Path dockerConfig) {
        @Override
        public String toString() {
            return "Registry[" + host + (insecure ? ", insecure" : "") + (username == null ? "" : ", user " + username)
                    + "]";
        }
    }

    /** The GitHub section, read raw here and interpreted by the GitHub integration. */
    public record GitHubSection(Map<String, String> values) {
        @Override
        public String toString() {
            return "GitHubSection[" + values.keySet() + "]";
        }
    }

    public static ServiceConfig parse(String file, String text, Map<String, String> env, Path baseDir) {
        Fields f = new Fields(LocatedYaml.parse(file, text), env);
        if (!f.node("").isObject() && !f.node("").isNull()) {
            throw f.error("", "expected a mapping");
        }
        f.onlyKeys("", TOP);
        f.onlyKeys("server", Set.of("host", "port", "public-url"));
        f.onlyKeys("store", Set.of("path", "source-cache"));
        f.onlyKeys("runners", Set.of("registration-secret", "lease", "max-attempts", "long-poll"));
        String host = f.string("server.host", "127.0.0.1");
        int port = f.integer("server.port", 8080, 0, 65535);
        String publicUrl =
                f.string("server.public-url", "http://" + (host.equals("0.0.0.0") ? "localhost" : host) + ":" + port);
        Path data = f.path("store.path", baseDir, "data");
        Path cache =
                f.path("store.source-cache", baseDir, data.resolve("sources").toString());
        String secret = f.string("runners.registration-secret", null);
        if (secret == null || secret.length() < 16) {
            throw f.error(
                    "runners.registration-secret",
                    "is required and must be at least 16 characters "
                            + "(runners present it to register); use ${MULTIARCH_RUNNER_SECRET}");
        }
        Duration lease = f.duration("runners.lease", Duration.ofSeconds(30));
        int attempts = f.integer("runners.max-attempts", 3, 1, 20);
        Duration longPoll = f.duration("runners.long-poll", Duration.ofSeconds(25));
        List<Registry> registries = new ArrayList<>();
        int n = f.size("registries");
        for (int i = 0; i < n; i++) {
            String at = "registries[" + i + "]";
            f.onlyKeys(at, Set.of("host", "insecure", "username", "password", "docker-config"));
            String dc = f.string(at + ".docker-config", null);
            Path dockerConfig = dc == null
                    ? null
                    : f.path(
                            at + ".docker-config",
                            baseDir,
                            dc.replaceFirst("^~", Matcher.quoteReplacement(System.getProperty("user.home"))));
            String user = f.string(at + ".username", null);
            String pass = f.string(at + ".password", null);
            if ((user == null) != (pass == null)) {
                throw f.error(at, "give both username and password, or neither");
            }
            registries.add(
                    new Registry(f.required(at + ".host"), f.bool(at + ".insecure", false), user, pass, dockerConfig));
        }
        Optional<GitHubSection> github =
                f.has("github") ? Optional.of(new GitHubSection(f.stringMapDeep("github"))) : Optional.empty();
        return new ServiceConfig(
                host,
                port,
                publicUrl.replaceAll("/+$", ""),
                data,
                secret,
                lease,
                attempts,
                longPoll,
                List.copyOf(registries),
                cache,
                github);
    }

    public Optional<Registry> registry(String host) {
        return registries.stream().filter(r -> r.host().equalsIgnoreCase(host)).findFirst();
    }

    @Override
    public String toString() {
        return "ServiceConfig[" + host + ":" + port + ", " + publicUrl + ", data " + dataDir + ", registries "
                + registries + ", runner secret <redacted>]";
    }
}
