package dev.multiarch.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.config.ServiceConfig;
import dev.multiarch.config.ServiceConfig.RepositoryRule;
import dev.multiarch.registry.Credentials;
import dev.multiarch.registry.ImageReference;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The repositories: rules: who may build, where each may publish, and whose credentials a build gets. */
class AccessPolicyTest {
    @TempDir
    Path dir;

    private static final AccessPolicy POLICY = AccessPolicy.of(List.of(
            new RepositoryRule("acme/*", List.of("ghcr.io/acme/*", "127.0.0.1:5000/acme/widget"), null),
            new RepositoryRule("team-b/app", List.of("registry.corp/team-b/app"), "corp")));

    private static ImageReference image(String s) {
        return ImageReference.parse(s);
    }

    @Test
    void repositoryMatchingNoEntry_isRefused_withHowToAllowIt() {
        var d = assertInstanceOf(AccessPolicy.Decision.Refused.class, POLICY.mayBuild("mallory/app"));
        assertEquals(
                "repository mallory/app is not allowed to build here: no entry of the coordinator's repositories:"
                        + " list matches it. An operator allows it in config.yaml with\n  repositories:\n"
                        + "    - match: mallory/app\n      images: [<registry>/<path>/*]",
                d.message());
    }

    @Test
    void repositoryNamingAnotherTeamsImage_isRefused_namingRepositoryImageAndWhatIsAllowed() {
        var d = assertInstanceOf(
                AccessPolicy.Decision.Refused.class,
                POLICY.mayPublish("acme/site", image("registry.corp/team-b/app:latest")));
        assertEquals(
                "repository acme/site may not publish to registry.corp/team-b/app: the coordinator's repositories:"
                        + " entry 'acme/*' allows only ghcr.io/acme/*, 127.0.0.1:5000/acme/widget",
                d.message());
    }

    @Test
    void starInARepositoryPattern_staysWithinOneSegment_andCaseIsIgnored() {
        assertTrue(AccessPolicy.repoMatches("acme/*", "Acme/Site"));
        assertFalse(AccessPolicy.repoMatches("acme/*", "acme/site/extra"));
        assertFalse(AccessPolicy.repoMatches("acme/*", "acme-evil/site"));
        assertFalse(AccessPolicy.repoMatches("acme/*", "acmex/site"));
        assertTrue(AccessPolicy.repoMatches("*/app", "anyone/app"));
        assertTrue(AccessPolicy.repoMatches("acme/web-*", "acme/web-shop"));
        assertFalse(AccessPolicy.repoMatches("acme/web-*", "acme/api-shop"));
    }

    @Test
    void starInAnImagePattern_isOneOrMoreWholeSegments_onTheSameRegistry() {
        assertTrue(AccessPolicy.imageMatches("ghcr.io/acme/*", image("ghcr.io/acme/app")));
        assertTrue(AccessPolicy.imageMatches("ghcr.io/acme/*", image("ghcr.io/acme/tools/cli:1.0")));
        assertFalse(AccessPolicy.imageMatches("ghcr.io/acme/*", image("ghcr.io/acme")));
        assertFalse(AccessPolicy.imageMatches("ghcr.io/acme/*", image("ghcr.io/acme-evil/app")));
        assertFalse(AccessPolicy.imageMatches("ghcr.io/acme/*", image("evil.io/acme/app")));
        assertFalse(AccessPolicy.imageMatches("ghcr.io/acme/*", image("ghcr.io.evil.io/acme/app")));
        assertTrue(AccessPolicy.imageMatches("127.0.0.1:5000/acme/widget", image("127.0.0.1:5000/acme/widget")));
        assertFalse(AccessPolicy.imageMatches("127.0.0.1:5000/acme/widget", image("127.0.0.1:5001/acme/widget")));
        assertFalse(AccessPolicy.imageMatches("127.0.0.1:5000/acme/widget", image("127.0.0.1:5000/acme/widget2")));
    }

    @Test
    void dockerHubSpellings_areOneRegistry() {
        assertTrue(AccessPolicy.imageMatches("docker.io/acme/*", image("acme/app")));
        assertTrue(AccessPolicy.imageMatches("index.docker.io/acme/*", image("docker.io/acme/app")));
        assertTrue(AccessPolicy.imageMatches("docker.io/nginx", image("nginx")));
    }

    @Test
    void withGitHub_theRulesAreEnforced_evenIfNoneWereListed_soNothingBuilds() {
        ServiceConfig withGitHub = ServiceConfig.builder(Path.of("/srv/data"), "0123456789abcdef0123")
                .github(Optional.of(new ServiceConfig.GitHubSection(Map.of("token", "t"))))
                .build();
        AccessPolicy policy = AccessPolicy.of(withGitHub);
        assertTrue(policy.enforced());
        assertInstanceOf(AccessPolicy.Decision.Refused.class, policy.mayBuild("acme/app"));
        assertInstanceOf(AccessPolicy.Decision.Refused.class, policy.mayPublish("acme/app", image("ghcr.io/acme/app")));
        ServiceConfig apiOnly = ServiceConfig.builder(Path.of("/srv/data"), "0123456789abcdef0123")
                .build();
        assertFalse(AccessPolicy.of(apiOnly).enforced(), "no github: and no rules: the admin token is trusted");
    }

    @Test
    void noRules_allowsEverything_forAPersonsOwnBuild() {
        AccessPolicy open = AccessPolicy.of(List.of());
        assertFalse(open.enforced());
        assertInstanceOf(AccessPolicy.Decision.Allowed.class, open.mayPublish("me/app", image("ghcr.io/any/app")));
    }

    @Test
    void grant_namedRegistryServesOnlyTheRuleThatNamesIt_unnamedServesByHost() {
        ServiceConfig sc = ServiceConfig.builder(dir, "0123456789abcdef")
                .registries(List.of(
                        new ServiceConfig.Registry("corp", "registry.corp", false, "team-b-bot", "b-secret", null),
                        new ServiceConfig.Registry(null, "ghcr.io", false, "acme-bot", "acme-secret", null),
                        new ServiceConfig.Registry(null, "127.0.0.1:5000", true, null, null, null)))
                .build();
        try (Registries r = new Registries(sc)) {
            Registries.Grant teamB = r.grant(image("registry.corp/team-b/app"), POLICY.ruleFor("team-b/app"));
            assertEquals(Optional.of(Credentials.basic("team-b-bot", "b-secret")), teamB.credentials());
            Registries.Grant acmeOnCorp = r.grant(image("registry.corp/team-b/app"), POLICY.ruleFor("acme/site"));
            assertEquals(Optional.empty(), acmeOnCorp.credentials(), "a named entry is not served by host");
            Registries.Grant acme = r.grant(image("ghcr.io/acme/site"), POLICY.ruleFor("acme/site"));
            assertEquals("acme-bot", acme.credentials().orElseThrow().username());
            Registries.Grant local = r.grant(image("127.0.0.1:5000/acme/widget"), POLICY.ruleFor("acme/widget"));
            assertTrue(local.insecure());
            assertEquals(Optional.empty(), local.credentials());
            assertFalse(r.grant(image("ghcr.io/acme/x"), Optional.empty())
                    .toString()
                    .contains("secret"));
        }
    }

    @Test
    void serviceDockerConfig_isNeverConsulted_outsidePersonalMode() throws Exception {
        // HOME points at a Docker config with credentials for ghcr.io; a service must not use them.
        Path home = dir.resolve("home");
        java.nio.file.Files.createDirectories(home.resolve(".docker"));
        java.nio.file.Files.writeString(
                home.resolve(".docker/config.json"),
                "{\"auths\":{\"ghcr.io\":{\"auth\":\""
                        + java.util.Base64.getEncoder().encodeToString("person:pw".getBytes()) + "\"}}}");
        String old = System.getProperty("user.home");
        Map<String, String> env = System.getenv();
        // DockerConfig.defaultLocation() honours DOCKER_CONFIG first; only run the check when it is not set.
        org.junit.jupiter.api.Assumptions.assumeTrue(env.get("DOCKER_CONFIG") == null);
        System.setProperty("user.home", home.toString());
        try {
            ServiceConfig service =
                    ServiceConfig.builder(dir, "0123456789abcdef").build();
            try (Registries r = new Registries(service)) {
                assertEquals(
                        Optional.empty(),
                        r.grant(image("ghcr.io/acme/app"), Optional.empty()).credentials());
            }
            ServiceConfig personal = ServiceConfig.builder(dir, "0123456789abcdef")
                    .personal(true)
                    .build();
            try (Registries r = new Registries(personal)) {
                assertEquals(
                        Optional.of("person"),
                        r.grant(image("ghcr.io/acme/app"), Optional.empty())
                                .credentials()
                                .map(Credentials::username));
            }
        } finally {
            System.setProperty("user.home", old);
        }
    }
}
