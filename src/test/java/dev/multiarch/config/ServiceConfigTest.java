package dev.multiarch.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** config.yaml's tenancy keys: repositories:, named registries, the admin token, the log limit. */
class ServiceConfigTest {
    private static final String SECRET = "runners: {registration-secret: 0123456789abcdef0123}\n";
    private static final Map<String, String> ENV =
            Map.of("SECRET", "0123456789abcdef0123", "ADMIN", "fedcba9876543210fedc");

    private static ServiceConfig parse(String yaml) {
        return ServiceConfig.parse("config.yaml", yaml, ENV, Path.of("/srv"));
    }

    private static String error(String yaml) {
        return assertThrows(ConfigException.class, () -> parse(yaml)).getMessage();
    }

    @Test
    void github_withoutRepositories_isAStartupError_sayingWhatToAdd() {
        String m = error("""
                runners: {registration-secret: "${SECRET}"}
                github: {webhook-secret: x, token: y}
                """);
        assertTrue(m.startsWith("config.yaml:1: repositories: is required when github: is set"), m);
        assertTrue(m.contains("- match: acme/*"), m);
    }

    @Test
    void github_withAnEmptyRepositoriesList_isTheSameStartupError() {
        for (String empty : List.of("repositories: []\n", "repositories:\n")) {
            String m = error("runners: {registration-secret: \"${SECRET}\"}\n" + empty
                    + "github: {webhook-secret: x, token: y}\n");
            assertTrue(m.contains("repositories: is required when github: is set (and may not be empty)"), m);
            assertTrue(m.contains("- match: acme/*"), m);
        }
    }

    @Test
    void repositories_parsed_withNamedRegistry() {
        ServiceConfig c = parse("""
                server: {admin-token: "${ADMIN}"}
                runners: {registration-secret: "${SECRET}"}
                store: {log-limit: 2MiB}
                registries:
                  - {name: ghcr-acme, host: ghcr.io, username: acme-bot, password: pw}
                repositories:
                  - match: acme/*
                    images: [ghcr.io/acme/*, 127.0.0.1:5000/acme/widget]
                    registry: ghcr-acme
                  - match: widgets/app
                    images: docker.io/widgets/app
                github: {webhook-secret: x, token: y}
                """);
        assertEquals(
                List.of(
                        new ServiceConfig.RepositoryRule(
                                "acme/*", List.of("ghcr.io/acme/*", "127.0.0.1:5000/acme/widget"), "ghcr-acme"),
                        new ServiceConfig.RepositoryRule("widgets/app", List.of("docker.io/widgets/app"), null)),
                c.repositories());
        assertEquals("fedcba9876543210fedc", c.adminToken());
        assertEquals(2L << 20, c.logLimit());
        assertEquals("acme-bot", c.registryNamed("ghcr-acme").orElseThrow().username());
        assertFalse(c.personal(), "a service never uses the ambient Docker config");
        assertFalse(c.toString().contains("fedcba9876543210fedc"));
    }

    @Test
    void badRepositoryEntries_areRefusedWithLineAndReason() {
        String base = "runners: {registration-secret: \"${SECRET}\"}\n";
        assertEquals(
                "config.yaml:3: repositories[0].match: expected owner/name (with * for any name), e.g. acme/*;"
                        + " got 'acme'",
                error(base + "repositories:\n  - match: acme\n    images: [ghcr.io/acme/*]\n"));
        assertTrue(error(base + "repositories:\n  - match: acme/*\n").contains("repositories[0].images: is required"));
        assertTrue(error(base + "repositories:\n  - match: acme/*\n    images: [ghcr.io/acme/app:latest]\n")
                .contains("expected an image repository without tag"));
        assertTrue(error(base + "repositories:\n  - match: acme/*\n    images: [ghcr.io/acme/*]\n"
                        + "    registry: nope\n")
                .contains("no registries: entry is named 'nope'"));
        assertTrue(error(base + "repositories:\n  - {match: a/b, images: [x.io/a/*], surprise: 1}\n")
                .contains("surprise"));
    }

    @Test
    void adminToken_mustBeLong_andNotTheRunnerSecret() {
        assertTrue(error("server: {admin-token: short}\nrunners: {registration-secret: \"${SECRET}\"}\n")
                .contains("server.admin-token: must be at least 16 characters"));
        assertTrue(error("server: {admin-token: \"${SECRET}\"}\nrunners: {registration-secret: \"${SECRET}\"}\n")
                .contains("must differ from runners.registration-secret"));
    }

    @Test
    void untrustedRegistrationSecret_optional_fromTheEnvironment_longAndUnlikeTheOtherSecrets_neverPrinted() {
        String trusted = "registration-secret: \"${SECRET}\"";
        assertEquals(null, parse("runners: {" + trusted + "}\n").untrustedRunnerSecret());
        ServiceConfig c = parse("runners: {" + trusted
                + ", untrusted-registration-secret: \"${FORKS}\"}\n".replace("${FORKS}", "forks-runners-0123456789"));
        assertEquals("forks-runners-0123456789", c.untrustedRunnerSecret());
        assertFalse(c.toString().contains("forks-runners-0123456789"), c.toString());
        assertTrue(c.toString().contains("untrusted runner secret <redacted>"), c.toString());
        assertEquals(
                "forks-runners-0123456789",
                ServiceConfig.parse(
                                "config.yaml",
                                "runners: {" + trusted + ", untrusted-registration-secret: \"${FORKS}\"}\n",
                                Map.of("SECRET", "0123456789abcdef0123", "FORKS", "forks-runners-0123456789"),
                                Path.of("/srv"))
                        .untrustedRunnerSecret());
        assertTrue(error("runners: {" + trusted + ", untrusted-registration-secret: short}\n")
                .contains("runners.untrusted-registration-secret: must be at least 16 characters"));
        assertTrue(error("runners: {" + trusted + ", untrusted-registration-secret: \"${SECRET}\"}\n")
                .contains("runners.untrusted-registration-secret: must differ from runners.registration-secret"));
        assertTrue(error("server: {admin-token: \"${ADMIN}\"}\n" + "runners: {" + trusted
                        + ", untrusted-registration-secret: \"${ADMIN}\"}\n")
                .contains("runners.untrusted-registration-secret: must differ"));
        assertTrue(error("server: {metrics-token: forks-runners-0123456789}\n" + "runners: {" + trusted
                        + ", untrusted-registration-secret: forks-runners-0123456789}\n")
                .contains("server.metrics-token: must differ"));
    }

    @Test
    void metricsToken_optional_mustBeLong_andNeitherTheRunnerSecretNorTheAdminToken() {
        String base = "runners: {registration-secret: \"${SECRET}\"}\n";
        assertEquals(null, parse(base).metricsToken());
        ServiceConfig c = parse("server: {metrics-token: prometheus-scrapes-0123}\n" + base);
        assertEquals("prometheus-scrapes-0123", c.metricsToken());
        assertFalse(c.toString().contains("prometheus-scrapes-0123"), c.toString());
        assertTrue(error("server: {metrics-token: short}\n" + base)
                .contains("server.metrics-token: must be at least 16 characters"));
        assertTrue(error("server: {metrics-token: \"${SECRET}\"}\n" + base)
                .contains("server.metrics-token: must differ from the runner secrets and the admin token"));
        assertTrue(error("server: {admin-token: \"${ADMIN}\", metrics-token: \"${ADMIN}\"}\n" + base)
                .contains("server.metrics-token: must differ"));
    }

    @Test
    void logLimit_acceptsSizes_andRefusesNonsense() {
        String base = "runners: {registration-secret: \"${SECRET}\"}\n";
        assertEquals(ServiceConfig.DEFAULT_LOG_LIMIT, parse(base).logLimit());
        assertEquals(512L << 10, parse(base + "store: {log-limit: 512KiB}\n").logLimit());
        assertTrue(error(base + "store: {log-limit: lots}\n").contains("expected a size such as 16MiB"));
        assertTrue(error(base + "store: {log-limit: 1KiB}\n").contains("must be at least 65536 bytes"));
    }

    @Test
    void storeUrl_isPostgreSQL_withThePasswordFromTheNamedVariable_neverPrinted() {
        String base = "runners: {registration-secret: \"${SECRET}\"}\n";
        assertTrue(parse(base).database().isEmpty(), "H2 in store.path by default");
        ServiceConfig c = parse(base + "store: {url: \"postgresql://db.internal:5432/multiarch\", username: ci, "
                + "password-env: ADMIN, retention: 14d}\n");
        ServiceConfig.Database d = c.database().orElseThrow();
        assertEquals("postgresql://db.internal:5432/multiarch", d.url());
        assertEquals("ci", d.username());
        assertEquals("fedcba9876543210fedc", d.password());
        assertFalse(c.toString().contains("fedcba9876543210fedc"), c.toString());
        assertTrue(c.toString().contains("postgresql://db.internal:5432/multiarch"), c.toString());
        assertEquals(java.time.Duration.ofDays(14), c.retention());
        assertEquals(ServiceConfig.DEFAULT_RETENTION, parse(base).retention());
    }

    @Test
    void storeUrl_mistakes_areRefusedWithTheKey() {
        String base = "runners: {registration-secret: \"${SECRET}\"}\n";
        assertTrue(error(base + "store: {url: \"mysql://h/db\", username: u}\n")
                .contains("store.url: expected postgresql://host:port/database"));
        assertTrue(error(base + "store: {url: \"postgresql://h/db\"}\n").contains("store.username: is required"));
        assertTrue(error(base + "store: {url: \"postgresql://h/db\", username: u, password-env: NOPE}\n")
                .contains("the environment variable NOPE is not set"));
        assertTrue(error(base + "store: {url: \"postgresql://h/db?password=x\", username: u}\n")
                .contains("must not carry a password"));
        assertTrue(error(base + "store: {username: u}\n").contains("is only used with store.url"));
        assertTrue(error(base + "store: {retention: 10m}\n").contains("store.retention: must be at least 1h"));
    }

    @Test
    void theShippedConfigYaml_parses_andItsCommentedExamplesToo() throws Exception {
        String text = java.nio.file.Files.readString(Path.of("config.yaml"));
        Map<String, String> env = Map.of(
                "MULTIARCH_RUNNER_SECRET", "0123456789abcdef0123",
                "MULTIARCH_ADMIN_TOKEN", "fedcba9876543210fedc",
                "GITHUB_WEBHOOK_SECRET", "whsec",
                "MULTIARCH_METRICS_TOKEN", "prometheus-0123456789",
                "MULTIARCH_UNTRUSTED_RUNNER_SECRET", "forks-runners-0123456789");
        ServiceConfig plain = ServiceConfig.parse("config.yaml", text, env, Path.of("/srv"));
        assertEquals(8080, plain.port());
        // Uncomment the repositories: example and the admin token, as an operator would.
        String uncommented = text.replace("  # admin-token: ", "  admin-token: ")
                .replace("  # metrics-token: ", "  metrics-token: ")
                .replace("  # untrusted-registration-secret: ", "  untrusted-registration-secret: ")
                .replace("# repositories:\n", "repositories:\n")
                .replace("#   - match: acme/*", "  - match: acme/*")
                .replace("#     images: [localhost:5000/acme/*]", "    images: [localhost:5000/acme/*]");
        ServiceConfig c = ServiceConfig.parse("config.yaml", uncommented, env, Path.of("/srv"));
        assertEquals("fedcba9876543210fedc", c.adminToken());
        assertEquals("prometheus-0123456789", c.metricsToken());
        assertEquals("forks-runners-0123456789", c.untrustedRunnerSecret());
        assertEquals(null, plain.untrustedRunnerSecret());
        assertEquals(List.of("localhost:5000/acme/*"), c.repositories().get(0).images());
    }

    @Test
    void nulInAPath_namesTheLine() {
        ConfigException store = assertThrows(
                ConfigException.class,
                () -> ServiceConfig.parse(
                        "config.yaml", SECRET + "store: {path: \"\\0\"}\n", Map.of(), Path.of("/srv")));
        assertEquals(
                "config.yaml:2: store.path: '\\0' is not a valid path: Nul character not allowed", store.getMessage());
        ConfigException dockerConfig = assertThrows(
                ConfigException.class,
                () -> ServiceConfig.parse(
                        "config.yaml",
                        SECRET + "registries:\n  - host: r.example\n    docker-config: \"a\\0\"\n",
                        Map.of(),
                        Path.of("/srv")));
        assertEquals(4, dockerConfig.line());
        ConfigException workDir = assertThrows(
                ConfigException.class,
                () -> RunnerConfig.parse(
                        "runner.yaml",
                        "coordinator: http://c.example\nregistration-secret: s\nwork-dir: \"\\0\"\n",
                        Map.of(),
                        Path.of("/srv")));
        assertEquals(
                "runner.yaml:3: work-dir: '\\0' is not a valid path: Nul character not allowed", workDir.getMessage());
    }

    @Test
    void endlessLease_isRefused() {
        ConfigException e = assertThrows(
                ConfigException.class,
                () -> ServiceConfig.parse(
                        "config.yaml",
                        "runners: {registration-secret: 0123456789abcdef0123, lease: 99999999999999h}\n",
                        Map.of(),
                        Path.of("/srv")));
        assertEquals(
                "config.yaml:1: runners.lease: '99999999999999h' is too long; at most 366 days (8784h)",
                e.getMessage());
    }
}
