package dev.multiarch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.platform.Platform;
import dev.multiarch.testing.CliRun;
import dev.multiarch.testing.RegistryServer;
import dev.multiarch.testing.Skopeo;
import dev.multiarch.testing.TestImages;
import dev.multiarch.testing.TestImages.Format;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real registry behind htpasswd (bcrypt) Basic auth. */
class AuthIT {
    private static final String USER = "maintainer";
    private static final String PASS = "correct horse battery staple";
    private static RegistryServer registry;
    private static String host;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        registry = RegistryServer.start(USER, PASS);
        host = registry.host();
        for (String arch : new String[] {"linux/amd64", "linux/arm64"}) {
            Platform p = Platform.parse(arch);
            TestImages.push(
                    TestImages.build(p), host + "/private:" + p.architecture(), Format.DOCKER, USER + ":" + PASS);
        }
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    private static String[] push(String target, String... extra) {
        String[] base = {
            "push",
            "from-args",
            "--platforms",
            "linux/amd64,linux/arm64",
            "--template",
            host + "/private:ARCH",
            "--target",
            target
        };
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return all;
    }

    @Test
    void usernamePassword_publishes() {
        CliRun.Result r = CliRun.run(
                push(host + "/private:1", "--username", USER, "--password", PASS, "--docker-cfg", tmp.toString()));
        assertEquals(0, r.exit(), r.toString());
        JsonNode raw = Skopeo.parse(Skopeo.raw(host + "/private:1", USER + ":" + PASS));
        assertEquals(2, raw.get("manifests").size());
    }

    @Test
    void dockerConfigAuths_publishes() throws Exception {
        String auth = Base64.getEncoder().encodeToString((USER + ":" + PASS).getBytes());
        Files.writeString(tmp.resolve("config.json"), "{\"auths\":{\"" + host + "\":{\"auth\":\"" + auth + "\"}}}");
        CliRun.Result r = CliRun.run(push(host + "/private:2", "--docker-cfg", tmp.toString()));
        assertEquals(0, r.exit(), r.toString());
        CliRun.Result inspect = CliRun.run("inspect", "--docker-cfg", tmp.toString(), host + "/private:2");
        assertEquals(0, inspect.exit(), inspect.toString());
        assertTrue(inspect.out().contains("linux/arm64"), inspect.out());
    }

    @Test
    void wrongPassword_failsWithOneLine_withoutTheSecret_andPublishesNothing() {
        CliRun.Result r = CliRun.run(push(
                host + "/private:3", "--username", USER, "--password", "wrong-secret", "--docker-cfg", tmp.toString()));
        assertEquals(1, r.exit(), r.toString());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains("UNAUTHORIZED"), r.err());
        assertTrue(r.err().contains("check the credentials"), r.err());
        assertFalse(r.err().contains("wrong-secret"), r.err());
        assertFalse(existsWithCreds(host + "/private:3"));
    }

    @Test
    void noCredentials_failsWithUnauthorized() {
        CliRun.Result r = CliRun.run("inspect", "--docker-cfg", tmp.toString(), host + "/private:amd64");
        assertEquals(1, r.exit(), r.toString());
        assertTrue(r.err().contains("UNAUTHORIZED"), r.err());
    }

    /** A loopback registry that serves TLS (self-signed): found by its answer to plain HTTP, used like docker does. */
    @Test
    void loopbackRegistryServingTls_isFoundAndUsed() {
        try (RegistryServer tls = RegistryServer.start(null, null, true)) {
            Platform p = Platform.parse("linux/amd64");
            TestImages.push(TestImages.build(p), tls.host() + "/secure:amd64", Format.DOCKER, null);
            CliRun.Result r = CliRun.run(
                    "push",
                    "from-args",
                    "--platforms",
                    "linux/amd64",
                    "--template",
                    tls.host() + "/secure:ARCH",
                    "--target",
                    tls.host() + "/secure:1",
                    "--docker-cfg",
                    tmp.toString());
            assertEquals(0, r.exit(), r.toString());
            CliRun.Result i = CliRun.run("inspect", "--docker-cfg", tmp.toString(), tls.host() + "/secure:1");
            assertTrue(i.out().contains("linux/amd64"), i.toString());
        }
    }

    private static boolean existsWithCreds(String ref) {
        return dev.multiarch.testing.Proc.run(
                                java.util.List.of(
                                        "skopeo",
                                        "inspect",
                                        "--raw",
                                        "--tls-verify=false",
                                        "--creds",
                                        USER + ":" + PASS,
                                        "docker://" + ref),
                                null,
                                60)
                        .exit()
                == 0;
    }
}
