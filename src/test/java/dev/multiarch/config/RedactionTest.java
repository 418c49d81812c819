package dev.multiarch.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RedactionTest {
    @Test
    void secretNames_anyCase_anywhereInTheName() {
        for (String name : List.of(
                "NPM_TOKEN",
                "github_token",
                "DB_PASSWORD",
                "passwd",
                "API_KEY",
                "SSH_PRIVATE",
                "AWS_CREDENTIALS",
                "BASIC_AUTH",
                "client_secret",
                "PrivateRepo")) {
            assertTrue(Redaction.isSecret(name, "x"), name);
        }
        for (String name : List.of("VERSION", "TARGETARCH", "GO_VERSION", "BUILD_DATE", "COMMIT")) {
            assertFalse(Redaction.isSecret(name, "1.2.3"), name);
        }
    }

    @Test
    void credentialLookingValues_whateverTheName() {
        for (String value : List.of(
                "ghp_1234567890abcdefghijABCDEFGHIJ123456",
                "gho_16C7e42F292c6912E7710c838347Ae178B4a",
                "ghs_abcdefghijklmnop",
                "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
                "glpat-xxxxxxxxxxxxxxxxxxxx",
                "AKIAIOSFODNN7EXAMPLE",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "c2VjcmV0LXRoYXQtaXMtbG9uZy1lbm91Z2g9PQ==")) {
            assertTrue(Redaction.isSecret("ANY", value), value);
        }
        for (String value : List.of(
                "1.2.3",
                "https://downloads.example.com/tool/1.2.3/tool-linux-amd64.tar.gz",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "debian:bookworm-slim",
                "ghp_",
                "--enable-feature-x --with-y")) {
            assertFalse(Redaction.isSecret("ANY", value), value);
        }
    }

    @Test
    void commandLine_showsSecretArgsAsNameStars_andKeepsTheRest() {
        Map<String, String> args = new LinkedHashMap<>();
        args.put("VERSION", "1.2.3");
        args.put("NPM_TOKEN", "npm-abc");
        args.put("AUTH", "1");
        args.put("X", "ghp_1234567890abcdefghijABCDEFGHIJ123456");
        Redaction r = Redaction.forBuildArgs(args);
        assertEquals(3, r.hidden());
        assertEquals(
                "$ buildah bud --build-arg VERSION=1.2.3 --build-arg NPM_TOKEN=*** --build-arg AUTH=*** "
                        + "--build-arg X=*** /src",
                r.apply("$ buildah bud --build-arg VERSION=1.2.3 --build-arg NPM_TOKEN=npm-abc --build-arg AUTH=1 "
                        + "--build-arg X=ghp_1234567890abcdefghijABCDEFGHIJ123456 /src"));
    }

    @Test
    void secretValues_areHiddenWhereverTheBuildPrintsThem() {
        Redaction r = Redaction.forBuildArgs(Map.of("DB_PASSWORD", "correct horse battery"));
        assertEquals("connecting with *** to db", r.apply("connecting with correct horse battery to db"));
        assertEquals("--build-arg DB_PASSWORD=*** .", r.apply("--build-arg DB_PASSWORD=correct horse battery ."));
        assertEquals("STEP 2/3: RUN echo ok", r.apply("STEP 2/3: RUN echo ok"));
    }

    @Test
    void noBuildArgs_changesNothing() {
        assertEquals("a=b", Redaction.forBuildArgs(Map.of()).apply("a=b"));
        assertEquals("VERSION=1", Redaction.forBuildArgs(Map.of("VERSION", "1")).apply("VERSION=1"));
    }
}
