package dev.multiarch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.platform.Platform;
import dev.multiarch.testing.CliRun;
import dev.multiarch.testing.RegistryServer;
import dev.multiarch.testing.TestImages;
import dev.multiarch.testing.TestImages.Format;
import dev.multiarch.testing.TokenServer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real registry with distribution's token authentication (how Docker Hub, GHCR, ECR and others work). */
class TokenAuthIT {
    @TempDir
    Path dir;

    @Test
    void bearerTokens_fetchedPerScope_cached_andWrongPasswordRefused() throws Exception {
        try (TokenServer tokens = new TokenServer(dir, "ci-bot", "token-pass");
                RegistryServer registry = RegistryServer.withTokens(tokens)) {
            String host = registry.host();
            for (String arch : List.of("linux/amd64", "linux/arm64")) {
                Platform p = Platform.parse(arch);
                TestImages.push(
                        TestImages.build(p), host + "/team/app:" + p.architecture(), Format.OCI, "ci-bot:token-pass");
            }
            int before = tokens.requests().size();
            CliRun.Result r = CliRun.run(
                    "push",
                    "from-args",
                    "--platforms",
                    "linux/amd64,linux/arm64",
                    "--template",
                    host + "/team/app:ARCH",
                    "--target",
                    host + "/team/app:1.0",
                    "--tags",
                    "1,latest",
                    "--username",
                    "ci-bot",
                    "--password",
                    "token-pass",
                    "--docker-cfg",
                    dir.toString());
            assertEquals(0, r.exit(), r.toString());
            List<String> mine =
                    tokens.requests().subList(before, tokens.requests().size());
            assertTrue(mine.contains("repository:team/app:pull"), mine.toString());
            assertTrue(mine.contains("repository:team/app:pull,push"), mine.toString());
            assertTrue(mine.size() <= 3, "tokens are cached per scope, not fetched per request: " + mine);

            CliRun.Result wrong = CliRun.run(
                    "inspect",
                    "--username",
                    "ci-bot",
                    "--password",
                    "nope",
                    "--docker-cfg",
                    dir.toString(),
                    host + "/team/app:1.0");
            assertEquals(1, wrong.exit(), wrong.toString());
            assertTrue(wrong.err().contains("UNAUTHORIZED"), wrong.err());
            assertTrue(wrong.err().contains("refused the credentials of user 'ci-bot'"), wrong.err());
            assertFalse(wrong.err().contains("nope"), wrong.err());
            CliRun.Result anonymous = CliRun.run("inspect", "--docker-cfg", dir.toString(), host + "/team/app:1.0");
            assertEquals(1, anonymous.exit(), anonymous.toString());
        }
    }
}
