package dev.multiarch.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.multiarch.base.Json;
import dev.multiarch.platform.Platform;
import dev.multiarch.registry.Digest;
import dev.multiarch.testing.JsonSchemas;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProvenanceTest {
    private static final Digest IMAGE = new Digest("sha256", "cd".repeat(32));

    private static JsonNode statement(Map<String, String> args) {
        return Json.parse(Provenance.builder(
                        "https://ci.example",
                        IMAGE,
                        "pkg:docker/ghcr.io/acme/app@1.2.3",
                        Platform.parse("linux/arm/v7"))
                .withSource("https://github.com/acme/app", "refs/tags/v1.2.3", "e".repeat(40))
                .withDockerfile("docker/Dockerfile", "docker")
                .withBuildArgs(args)
                .withFormat("oci")
                .withRunner("runner-1a2b", "arm-box", "qemu")
                .withInvocation(
                        "https://ci.example/builds/7",
                        Instant.parse("2024-05-01T10:00:00.123Z"),
                        Instant.parse("2024-05-01T10:03:00Z"))
                .create()
                .statement());
    }

    @Test
    void statement_isValidByTheInTotoAndSlsaSchemas() {
        JsonNode s = statement(Map.of("VERSION", "1.2.3"));
        assertEquals(List.of(), JsonSchemas.errors(JsonSchemas.IN_TOTO_STATEMENT, s));
        assertEquals(List.of(), JsonSchemas.errors(JsonSchemas.SLSA_PROVENANCE, s.path("predicate")));
        assertEquals(Provenance.PREDICATE_TYPE, s.path("predicateType").asText());
        assertEquals("cd".repeat(32), s.at("/subject/0/digest/sha256").asText());
        assertEquals(
                "pkg:docker/ghcr.io/acme/app@1.2.3?platform=linux%2Farm%2Fv7",
                s.at("/subject/0/name").asText());
        JsonNode p = s.path("predicate");
        assertEquals("https://ci.example", p.at("/runDetails/builder/id").asText());
        assertEquals(
                "linux/arm/v7",
                p.at("/buildDefinition/externalParameters/platform").asText());
        assertEquals(
                "docker/Dockerfile",
                p.at("/buildDefinition/externalParameters/dockerfile").asText());
        assertEquals(
                "qemu", p.at("/buildDefinition/internalParameters/emulation").asText());
        assertEquals(
                "runner-1a2b",
                p.at("/buildDefinition/internalParameters/runner/id").asText());
        assertEquals(
                "git+https://github.com/acme/app@refs/tags/v1.2.3",
                p.at("/buildDefinition/resolvedDependencies/0/uri").asText());
        assertEquals(
                "e".repeat(40),
                p.at("/buildDefinition/resolvedDependencies/0/digest/gitCommit").asText());
        assertEquals(
                "2024-05-01T10:00:00.123Z",
                p.at("/runDetails/metadata/startedOn").asText());
    }

    @Test
    void schemas_refuseAStatementMissingWhatSlsaRequires() {
        ObjectNode s = (ObjectNode) statement(Map.of());
        ((ObjectNode) s.at("/predicate/runDetails/builder")).remove("id");
        ((ObjectNode) s.at("/predicate/runDetails/metadata")).put("startedOn", "2024-05-01 10:00");
        List<String> errors = JsonSchemas.errors(JsonSchemas.SLSA_PROVENANCE, s.path("predicate"));
        assertFalse(errors.isEmpty(), "a predicate without builder.id must fail");
        ((ObjectNode) s.at("/subject/0")).remove("digest");
        assertFalse(JsonSchemas.errors(JsonSchemas.IN_TOTO_STATEMENT, s).isEmpty(), "a subject needs a digest");
    }

    @Test
    void secretLookingBuildArgs_areWithheldByName() {
        JsonNode ext = statement(Map.of("NPM_TOKEN", "abc", "VERSION", "1.2.3", "X", "ghp_0123456789abcdefghij"))
                .at("/predicate/buildDefinition/externalParameters");
        assertEquals("1.2.3", ext.at("/buildArgs/VERSION").asText());
        assertFalse(ext.path("buildArgs").has("NPM_TOKEN"));
        assertFalse(ext.path("buildArgs").has("X"));
        assertEquals("[\"NPM_TOKEN\",\"X\"]", ext.path("withheldBuildArgs").toString());
        assertFalse(ext.toString().contains("ghp_"), ext.toString());
        assertTrue(ext.toString().contains("VERSION"));
    }
}
