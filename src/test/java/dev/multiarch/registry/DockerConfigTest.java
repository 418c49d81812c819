package dev.multiarch.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DockerConfigTest {
    @TempDir
    Path dir;

    private DockerConfig write(String json) throws Exception {
        Files.writeString(dir.resolve("config.json"), json);
        return DockerConfig.load(dir);
    }

    @Test
    void auths_base64UserPass_matchedByHost() throws Exception {
        String auth = Base64.getEncoder().encodeToString("alice:s3cr:et".getBytes());
        DockerConfig c = write("{\"auths\":{\"https://reg.example:5000/v1/\":{\"auth\":\"" + auth + "\"}}}");
        Credentials cr = c.lookup("reg.example:5000").orElseThrow();
        assertEquals("alice", cr.username());
        assertEquals("s3cr:et", cr.password(), "only the first colon separates user and password");
        assertTrue(c.lookup("other.example").isEmpty());
    }

    @Test
    void auths_dockerHubKey() throws Exception {
        String auth = Base64.getEncoder().encodeToString("bob:pw".getBytes());
        DockerConfig c = write("{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"" + auth + "\"}}}");
        assertEquals("bob", c.lookup("docker.io").orElseThrow().username());
    }

    @Test
    void identityToken_isKeptForTheOAuthFlow() throws Exception {
        DockerConfig c = write("{\"auths\":{\"reg.example\":{\"identitytoken\":\"refresh-123\"}}}");
        assertTrue(c.lookup("reg.example").orElseThrow().hasIdentityToken());
    }

    @Test
    void missingFile_meansNoCredentials() {
        assertTrue(DockerConfig.load(dir.resolve("nope.json"))
                .lookup("reg.example")
                .isEmpty());
    }

    @Test
    void malformedFile_isAnErrorNamingIt() throws Exception {
        Files.writeString(dir.resolve("config.json"), "{not json");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DockerConfig.load(dir));
        assertTrue(e.getMessage().contains("config.json"), e.getMessage());
    }

    @Test
    void credentials_toStringHidesSecrets() {
        String s = new Credentials("u", "hunter2", "tok").toString();
        assertFalse(s.contains("hunter2"));
        assertFalse(s.contains("tok"));
    }

    private void helper(String name) throws Exception {
        Path helper = dir.resolve("docker-credential-" + name);
        Files.writeString(helper, """
                #!/bin/sh
                [ "$1" = get ] || exit 3
                read server
                if [ "$server" = "reg.example:5000" ]; then
                  echo '{"ServerURL":"reg.example:5000","Username":"carol","Secret":"from-helper"}'
                elif [ "$server" = "https://index.docker.io/v1/" ]; then
                  echo '{"ServerURL":"x","Username":"<token>","Secret":"refresh-abc"}'
                elif [ "$server" = "broken.example" ]; then
                  echo "keychain locked" >&2; exit 2
                else
                  echo "credentials not found in native keychain"; exit 1
                fi
                """);
        assertTrue(helper.toFile().setExecutable(true));
    }

    @Test
    void credHelpers_perHost_runTheHelperWithTheServerOnStdin() throws Exception {
        helper("mt-test");
        DockerConfig c =
                write("{\"credHelpers\":{\"reg.example:5000\":\"mt-test\"}}").withHelperDirectory(dir);
        Credentials cr = c.lookup("reg.example:5000").orElseThrow();
        assertEquals("carol", cr.username());
        assertEquals("from-helper", cr.password());
        assertTrue(c.lookup("other.example").isEmpty(), "no helper for that host and no auths entry");
    }

    @Test
    void credsStore_coversEveryHost_tokenUsernameMeansIdentityToken() throws Exception {
        helper("mt-store");
        DockerConfig c = write("{\"credsStore\":\"mt-store\"}").withHelperDirectory(dir);
        assertEquals("carol", c.lookup("reg.example:5000").orElseThrow().username());
        Credentials hub = c.lookup("docker.io").orElseThrow();
        assertTrue(hub.hasIdentityToken());
        assertEquals("refresh-abc", hub.identityToken());
        assertTrue(c.lookup("nothing.example").isEmpty(), "'credentials not found' means none");
    }

    @Test
    void credHelper_failure_isAnErrorNamingTheHelper() throws Exception {
        helper("mt-test");
        DockerConfig c = write("{\"credsStore\":\"mt-test\"}").withHelperDirectory(dir);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.lookup("broken.example"));
        assertTrue(e.getMessage().contains("docker-credential-mt-test get failed for broken.example"), e.getMessage());
        assertTrue(e.getMessage().contains("keychain locked"), e.getMessage());
    }

    @Test
    void credHelper_missingProgram_isAnErrorNamingIt() throws Exception {
        DockerConfig c = write("{\"credsStore\":\"does-not-exist\"}");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.lookup("reg.example"));
        assertTrue(e.getMessage().contains("docker-credential-does-not-exist"), e.getMessage());
    }

    @Test
    void credHelper_answerIsKept_notAskedBeforeEveryRequest() throws Exception {
        Path helper = dir.resolve("docker-credential-counting");
        Path calls = dir.resolve("calls");
        Files.writeString(
                helper,
                "#!/bin/sh\nread server\necho x >> '" + calls + "'\necho '{\"Username\":\"AWS\",\"Secret\":\"pw\"}'\n");
        assertTrue(helper.toFile().setExecutable(true));
        DockerConfig c = write("{\"credsStore\":\"counting\"}").withHelperDirectory(dir);
        for (int i = 0; i < 3; i++) {
            assertEquals("AWS", c.lookup("reg.example").orElseThrow().username());
        }
        assertEquals(1, Files.readAllLines(calls).size());
    }
}
