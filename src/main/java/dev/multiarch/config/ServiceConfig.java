package dev.multiarch.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The coordinator's {@code config.yaml} ({@code multiarch serve --config config.yaml}); the top-level
 * {@code config.yaml} of the repository documents every key. Secrets come in as {@code ${ENV_VAR}} and are never
 * printed: {@link #toString()} redacts them. Made by {@link #parse} or, in code, by {@link #builder()}.
 *
 * @param adminToken          the token that {@code POST /api/builds} and cancel require; null: those are refused
 * @param repositories        who may build and where each may publish; empty only without {@code github:}
 * @param personal            a person's own {@code multiarch build} (coordinator and runner in one process): registries
 *                            not listed take credentials from that person's Docker config, and sources may be local
 *                            checkouts; never true for {@code serve}, which builds other people's repositories
 * @param logLimit            bytes of log kept per job attempt (the tail is kept, the cut is marked)
 * @param allowLocalSources   {@code store.allow-local-sources}: builds may name a local repository (a path or
 *                            {@code file://}) as clone URL; off by default, on in personal mode
 * @param signing             {@code signing:}: the key every published index and image is signed with; empty: unsigned
 * @param database            {@code store.url}: a PostgreSQL database shared by several coordinators; empty: the
 *                            embedded H2 database in {@code dataDir}
 * @param retention           {@code store.retention}: how long webhook deliveries, job logs and sent check reports
 *                            of finished builds are kept (builds and tag owners are kept for good)
 * @param metricsToken        {@code server.metrics-token}: the bearer token {@code GET /metrics} requires; null:
 *                            {@code /metrics} is off (404)
 * @param untrustedRunnerSecret {@code runners.untrusted-registration-secret}: the secret runners for untrusted jobs
 *                            (pull requests from forks) register with; the secret that matched decides a runner's
 *                            trust class, so a host that builds strangers' code never holds {@link #runnerSecret}.
 *                            null: no runner for untrusted jobs can register
 */
public record ServiceConfig(
        String host,
        int port,
        String publicUrl,
        Path dataDir,
        String runnerSecret,
        String adminToken,
        Duration leaseDuration,
        int maxAttempts,
        Duration longPoll,
        List<Registry> registries,
        List<RepositoryRule> repositories,
        boolean personal,
        long logLimit,
        Path sourceCache,
        Optional<GitHubSection> github,
        boolean allowLocalSources,
        Optional<Signing> signing,
        Optional<Database> database,
        Duration retention,
        String metricsToken,
        String untrustedRunnerSecret) {

    private static final Set<String> TOP =
            Set.of("server", "store", "runners", "registries", "repositories", "github", "signing");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    /** A GitHub owner or repository name: letters, digits, '-', '_', '.'; '*' matches within the segment. */
    private static final Pattern REPO_PATTERN = Pattern.compile("[A-Za-z0-9_.*-]+/[A-Za-z0-9_.*-]+");
    /** An image repository pattern: host[:port]/path, lowercase path segments, '*' for one or more segments. */
    private static final Pattern IMAGE_PATTERN =
            Pattern.compile("[A-Za-z0-9.-]+(:[0-9]+)?(/([a-z0-9]+([._-]+[a-z0-9]+)*|\\*))+");

    public static final long DEFAULT_LOG_LIMIT = 16L << 20;
    public static final Duration DEFAULT_RETENTION = Duration.ofDays(30);

    /**
     * A PostgreSQL database for the store ({@code store.url}, {@code store.username}, {@code store.password-env}).
     *
     * @param url      {@code postgresql://host:port/database}
     * @param password read from the environment variable {@code password-env} names; null when none is named
     */
    public record Database(String url, String username, String password) {
        @Override
        public String toString() {
            return "Database[" + url + ", user " + username + (password == null ? "" : ", password <redacted>") + "]";
        }
    }

    /**
     * A registry the coordinator verifies and publishes to, and whose push credentials runners receive.
     *
     * @param name a name {@code repositories[].registry} can refer to; null when the entry has none
     */
    public record Registry(
            String name, String host, boolean insecure, String username, String password, Path dockerConfig) {
        @Override
        public String toString() {
            return "Registry[" + (name == null ? "" : name + ", ") + host + (insecure ? ", insecure" : "")
                    + (username == null ? "" : ", user " + username) + "]";
        }
    }

    /**
     * One {@code repositories:} entry: which GitHub repositories it covers and which image repositories they may
     * publish to.
     *
     * @param match    {@code owner/name}; {@code *} matches within one segment ({@code acme/*})
     * @param images   image repositories ({@code ghcr.io/acme/*}: {@code *} is one or more path segments)
     * @param registry the {@code registries:} entry (by name) whose credentials these builds use; null: by host
     */
    public record RepositoryRule(String match, List<String> images, String registry) {}

    /**
     * {@code signing:}: a cosign key pair's private key (cosign's encrypted format, or PKCS#8) and where its password
     * comes from. The key itself is read when the coordinator starts.
     *
     * @param passwordEnv the environment variable holding the password; null when the key is not encrypted
     * @param password    that variable's value when the file was read (empty when none); never printed
     */
    public record Signing(Path keyFile, String passwordEnv, String password) {
        public char[] passwordChars() {
            return password == null ? new char[0] : password.toCharArray();
        }

        @Override
        public String toString() {
            return "Signing[" + keyFile + (passwordEnv == null ? "" : ", password from $" + passwordEnv) + "]";
        }
    }

    /** The GitHub section, read raw here and interpreted by the GitHub integration. */
    public record GitHubSection(Map<String, String> values) {
        @Override
        public String toString() {
            return "GitHubSection[" + values.keySet() + "]";
        }
    }

    public static Builder builder(Path dataDir, String runnerSecret) {
        return new Builder(dataDir, runnerSecret);
    }

    public static ServiceConfig parse(String file, String text, Map<String, String> env, Path baseDir) {
        Fields f = new Fields(LocatedYaml.parse(file, text), env);
        if (!f.node("").isObject() && !f.node("").isNull()) {
            throw f.error("", "expected a mapping");
        }
        f.onlyKeys("", TOP);
        f.onlyKeys("server", Set.of("host", "port", "public-url", "admin-token", "metrics-token"));
        f.onlyKeys(
                "store",
                Set.of(
                        "path",
                        "source-cache",
                        "log-limit",
                        "allow-local-sources",
                        "url",
                        "username",
                        "password-env",
                        "retention"));
        f.onlyKeys(
                "runners",
                Set.of("registration-secret", "untrusted-registration-secret", "lease", "max-attempts", "long-poll"));
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
        String admin = f.string("server.admin-token", null);
        if (admin != null && admin.length() < 16) {
            throw f.error("server.admin-token", "must be at least 16 characters; use ${MULTIARCH_ADMIN_TOKEN}");
        }
        if (admin != null && admin.equals(secret)) {
            throw f.error(
                    "server.admin-token",
                    "must differ from runners.registration-secret (every runner host holds that one)");
        }
        String untrusted = f.string("runners.untrusted-registration-secret", null);
        if (untrusted != null && untrusted.length() < 16) {
            throw f.error(
                    "runners.untrusted-registration-secret",
                    "must be at least 16 characters (runners for pull requests from forks present it to register);"
                            + " use ${MULTIARCH_UNTRUSTED_RUNNER_SECRET}");
        }
        if (untrusted != null && (untrusted.equals(secret) || untrusted.equals(admin))) {
            throw f.error(
                    "runners.untrusted-registration-secret",
                    "must differ from runners.registration-secret and server.admin-token (the hosts that build"
                            + " forks' code hold it; the registration secret would let them register trusted runners)");
        }
        String metrics = f.string("server.metrics-token", null);
        if (metrics != null && metrics.length() < 16) {
            throw f.error("server.metrics-token", "must be at least 16 characters; use ${MULTIARCH_METRICS_TOKEN}");
        }
        if (metrics != null && (metrics.equals(secret) || metrics.equals(admin) || metrics.equals(untrusted))) {
            throw f.error(
                    "server.metrics-token",
                    "must differ from the runner secrets and the admin token (Prometheus' configuration holds it)");
        }
        List<Registry> registries = registries(f, baseDir);
        List<RepositoryRule> repositories = repositories(f, registries);
        Optional<GitHubSection> github =
                f.has("github") ? Optional.of(new GitHubSection(f.stringMapDeep("github"))) : Optional.empty();
        if (github.isPresent() && (!f.has("repositories") || repositories.isEmpty())) {
            throw f.error(
                    "repositories",
                    "is required when github: is set (and may not be empty): list which repositories may build and the images each may"
                            + " publish to, e.g.\n  repositories:\n    - match: acme/*\n"
                            + "      images: [ghcr.io/acme/*]");
        }
        return builder(data, secret)
                .host(host)
                .port(port)
                .publicUrl(publicUrl)
                .adminToken(admin)
                .metricsToken(metrics)
                .untrustedRunnerSecret(untrusted)
                .leaseDuration(f.duration("runners.lease", Duration.ofSeconds(30)))
                .maxAttempts(f.integer("runners.max-attempts", 3, 1, 20))
                .longPoll(f.duration("runners.long-poll", Duration.ofSeconds(25)))
                .registries(registries)
                .repositories(repositories)
                .logLimit(f.bytes("store.log-limit", DEFAULT_LOG_LIMIT, 64 * 1024))
                .sourceCache(cache)
                .github(github)
                .allowLocalSources(f.bool("store.allow-local-sources", false))
                .signing(signing(f, env, baseDir))
                .database(database(f, env))
                .retention(retention(f))
                .build();
    }

    private static Optional<Signing> signing(Fields f, Map<String, String> env, Path baseDir) {
        if (!f.has("signing")) {
            return Optional.empty();
        }
        f.onlyKeys("signing", Set.of("key-file", "password-env"));
        String file = f.required("signing.key-file");
        String var = f.string("signing.password-env", null);
        String password = "";
        if (var != null) {
            if (!ENV_NAME.matcher(var).matches()) {
                throw f.error(
                        "signing.password-env",
                        "expected the name of an environment variable (e.g. COSIGN_PASSWORD), not its value");
            }
            password = env.get(var);
            if (password == null) {
                throw f.error(
                        "signing.password-env",
                        "environment variable " + var + " is not set; it holds the signing key's password");
            }
        }
        return Optional.of(new Signing(
                baseDir.resolve(file.replaceFirst("^~", System.getProperty("user.home")))
                        .normalize(),
                var,
                password));
    }

    private static Optional<Database> database(Fields f, Map<String, String> env) {
        String url = f.string("store.url", null);
        if (url == null) {
            for (String k : List.of("username", "password-env")) {
                if (f.has("store." + k)) {
                    throw f.error("store." + k, "is only used with store.url (a PostgreSQL database)");
                }
            }
            return Optional.empty();
        }
        if (!url.matches("(jdbc:)?postgresql://[^/?#]+/[^/?#]+([?].*)?")) {
            throw f.error("store.url", "expected postgresql://host:port/database, got '" + url + "'");
        }
        if (url.contains("password=")) {
            throw f.error(
                    "store.url", "must not carry a password: name its environment variable in store.password-env");
        }
        String username = f.required("store.username");
        String passwordEnv = f.string("store.password-env", null);
        String password = null;
        if (passwordEnv != null) {
            password = env.get(passwordEnv);
            if (password == null || password.isEmpty()) {
                throw f.error("store.password-env", "the environment variable " + passwordEnv + " is not set");
            }
        }
        return Optional.of(new Database(url, username, password));
    }

    private static Duration retention(Fields f) {
        Duration d = f.duration("store.retention", DEFAULT_RETENTION);
        if (d.compareTo(Duration.ofHours(1)) < 0) {
            throw f.error("store.retention", "must be at least 1h (deliveries and logs of running builds are needed)");
        }
        return d;
    }

    private static List<Registry> registries(Fields f, Path baseDir) {
        List<Registry> registries = new ArrayList<>();
        Set<String> names = new HashSet<>();
        int n = f.size("registries");
        for (int i = 0; i < n; i++) {
            String at = "registries[" + i + "]";
            f.onlyKeys(at, Set.of("name", "host", "insecure", "username", "password", "docker-config"));
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
            String name = f.string(at + ".name", null);
            if (name != null && !names.add(name)) {
                throw f.error(at + ".name", "'" + name + "' names two registries entries");
            }
            registries.add(new Registry(
                    name, f.required(at + ".host"), f.bool(at + ".insecure", false), user, pass, dockerConfig));
        }
        return List.copyOf(registries);
    }

    private static List<RepositoryRule> repositories(Fields f, List<Registry> registries) {
        List<RepositoryRule> out = new ArrayList<>();
        int n = f.size("repositories");
        for (int i = 0; i < n; i++) {
            String at = "repositories[" + i + "]";
            f.onlyKeys(at, Set.of("match", "images", "registry"));
            String match = f.required(at + ".match");
            if (!REPO_PATTERN.matcher(match).matches()) {
                throw f.error(
                        at + ".match", "expected owner/name (with * for any name), e.g. acme/*; got '" + match + "'");
            }
            List<String> images = f.strings(at + ".images");
            if (images.isEmpty()) {
                throw f.error(at + ".images", "is required: the image repositories these repositories may publish to");
            }
            for (int j = 0; j < images.size(); j++) {
                String image = images.get(j);
                if (!IMAGE_PATTERN.matcher(image).matches() || image.contains("@") || image.indexOf('/') < 0) {
                    throw f.error(
                            at + ".images[" + j + "]",
                            "expected an image repository without tag, e.g. ghcr.io/acme/* or"
                                    + " registry.example:5000/team/app; got '" + image + "'");
                }
            }
            String registry = f.string(at + ".registry", null);
            if (registry != null && registries.stream().noneMatch(r -> registry.equals(r.name()))) {
                throw f.error(
                        at + ".registry",
                        "no registries: entry is named '" + registry + "'; names: "
                                + registries.stream()
                                        .map(Registry::name)
                                        .filter(x -> x != null)
                                        .toList());
            }
            out.add(new RepositoryRule(match, List.copyOf(images), registry));
        }
        return List.copyOf(out);
    }

    public Optional<Registry> registry(String host) {
        return registries.stream().filter(r -> r.host().equalsIgnoreCase(host)).findFirst();
    }

    public Optional<Registry> registryNamed(String name) {
        return registries.stream().filter(r -> name.equals(r.name())).findFirst();
    }

    @Override
    public String toString() {
        return "ServiceConfig[" + host + ":" + port + ", " + publicUrl + ", data " + dataDir
                + database.map(d -> ", store " + d).orElse("") + ", registries "
                + registries + ", " + repositories.size() + " repositories rule(s), runner secret <redacted>"
                + (untrustedRunnerSecret == null ? "" : ", untrusted runner secret <redacted>")
                + (adminToken == null ? ", no admin token" : ", admin token <redacted>")
                + (metricsToken == null ? "" : ", metrics token <redacted>")
                + signing.map(x -> ", " + x).orElse("") + "]";
    }

    /** Required: where data lives and the runner registration secret; everything else has the documented default. */
    public static final class Builder {
        private String host = "127.0.0.1";
        private int port = 8080;
        private String publicUrl;
        private final Path dataDir;
        private final String runnerSecret;
        private String adminToken;
        private Duration leaseDuration = Duration.ofSeconds(30);
        private int maxAttempts = 3;
        private Duration longPoll = Duration.ofSeconds(25);
        private List<Registry> registries = List.of();
        private List<RepositoryRule> repositories = List.of();
        private boolean personal;
        private long logLimit = DEFAULT_LOG_LIMIT;
        private Path sourceCache;
        private Optional<GitHubSection> github = Optional.empty();
        private boolean allowLocalSources;
        private Optional<Signing> signing = Optional.empty();
        private Optional<Database> database = Optional.empty();
        private Duration retention = DEFAULT_RETENTION;
        private String metricsToken;
        private String untrustedRunnerSecret;

        private Builder(Path dataDir, String runnerSecret) {
            this.dataDir = dataDir;
            this.runnerSecret = runnerSecret;
        }

        public Builder host(String h) {
            this.host = h;
            return this;
        }

        public Builder port(int p) {
            this.port = p;
            return this;
        }

        public Builder publicUrl(String u) {
            this.publicUrl = u;
            return this;
        }

        public Builder adminToken(String t) {
            this.adminToken = t;
            return this;
        }

        /** The bearer token {@code GET /metrics} requires; null (the default): {@code /metrics} is off. */
        public Builder metricsToken(String t) {
            this.metricsToken = t;
            return this;
        }

        /** The secret runners for untrusted jobs register with; null (the default): none can register. */
        public Builder untrustedRunnerSecret(String s) {
            this.untrustedRunnerSecret = s;
            return this;
        }

        public Builder leaseDuration(Duration d) {
            this.leaseDuration = d;
            return this;
        }

        public Builder maxAttempts(int n) {
            this.maxAttempts = n;
            return this;
        }

        public Builder longPoll(Duration d) {
            this.longPoll = d;
            return this;
        }

        public Builder registries(List<Registry> r) {
            this.registries = List.copyOf(r);
            return this;
        }

        public Builder repositories(List<RepositoryRule> r) {
            this.repositories = List.copyOf(r);
            return this;
        }

        /** Only for a person's own {@code multiarch build}: see {@link ServiceConfig#personal()}. */
        public Builder personal(boolean b) {
            this.personal = b;
            return this;
        }

        public Builder logLimit(long bytes) {
            this.logLimit = bytes;
            return this;
        }

        public Builder sourceCache(Path p) {
            this.sourceCache = p;
            return this;
        }

        public Builder github(Optional<GitHubSection> g) {
            this.github = g;
            return this;
        }

        /** Clone URLs may name local repositories (tests, a person's own machine); implied by {@link #personal}. */
        public Builder allowLocalSources(boolean b) {
            this.allowLocalSources = b;
            return this;
        }

        public Builder signing(Optional<Signing> s) {
            this.signing = s;
            return this;
        }

        /** A PostgreSQL database instead of the embedded H2 one. */
        public Builder database(Optional<Database> d) {
            this.database = d;
            return this;
        }

        public Builder retention(Duration d) {
            this.retention = d;
            return this;
        }

        public ServiceConfig build() {
            return new ServiceConfig(
                    host,
                    port,
                    (publicUrl == null ? "http://" + host + ":" + port : publicUrl).replaceAll("/+$", ""),
                    dataDir,
                    runnerSecret,
                    adminToken,
                    leaseDuration,
                    maxAttempts,
                    longPoll,
                    registries,
                    repositories,
                    personal,
                    logLimit,
                    sourceCache == null ? dataDir.resolve("sources") : sourceCache,
                    github,
                    allowLocalSources || personal,
                    signing,
                    database,
                    retention,
                    metricsToken,
                    untrustedRunnerSecret);
        }
    }
}
