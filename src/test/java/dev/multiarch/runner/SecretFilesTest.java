package dev.multiarch.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import dev.multiarch.base.Json;
import dev.multiarch.dispatch.Protocol;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretFilesTest {
    @TempDir
    Path dir;

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void identityFile_is0600_andReplacedWhole() throws Exception {
        Path f = dir.resolve("runner-identity.json");
        RunnerAgent.saveIdentity(f, "http://c:8080", false, new Protocol.Registered("runner-1", "token-one"));
        assertEquals("rw-------", mode(f));
        RunnerAgent.saveIdentity(f, "http://c:8080", true, new Protocol.Registered("runner-2", "token-two"));
        assertEquals("rw-------", mode(f), "the replacement was created 0600 too");
        JsonNode n = Json.MAPPER.readTree(f.toFile());
        assertEquals("runner-2", n.path("runnerId").asText());
        assertEquals("token-two", n.path("token").asText());
        assertEquals(true, n.path("untrustedJobs").asBoolean());
        try (var files = Files.list(dir)) {
            assertEquals(List.of(f), files.toList(), "no temporary file left behind");
        }
    }

    @Test
    void identityFile_replacesAWorldReadableOldOne_with0600() throws Exception {
        Path f = dir.resolve("runner-identity.json");
        Files.writeString(f, "{\"token\":\"old\"}");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        RunnerAgent.saveIdentity(f, "http://c:8080", false, new Protocol.Registered("runner-1", "new"));
        assertEquals("rw-------", mode(f));
    }

    @Test
    void privateFile_isCreated0600_neverOverAnExistingFile() throws Exception {
        Path f = dir.resolve("secret");
        PrivateFiles.create(f, "s".getBytes(StandardCharsets.UTF_8));
        assertEquals("rw-------", mode(f));
        assertThrows(FileAlreadyExistsException.class, () -> PrivateFiles.create(f, new byte[0]));
    }

    @Test
    void authFile_holdsTheJobsRegistryOnly_0600() throws Exception {
        Path f = AuthFile.write(
                dir, new Protocol.PushCredentials("registry.example:5000", false, "ci-bot", "s3cret", null));
        assertEquals("rw-------", mode(f));
        JsonNode auths = Json.MAPPER.readTree(f.toFile()).path("auths");
        assertEquals(List.of("registry.example:5000"), iterable(auths));
        assertEquals(
                "ci-bot:s3cret",
                new String(
                        Base64.getDecoder()
                                .decode(auths.path("registry.example:5000")
                                        .path("auth")
                                        .asText()),
                        StandardCharsets.UTF_8));
        PrivateFiles.deleteQuietly(f);
        assertFalse(Files.exists(f));
    }

    @Test
    void authFile_withoutCredentials_isEmpty_soBuildahUsesNoHostLogin() throws Exception {
        for (Protocol.PushCredentials p :
                new Protocol.PushCredentials[] {null, new Protocol.PushCredentials("r", true, null, null, null)}) {
            Path d = Files.createTempDirectory(dir, "job");
            Path f = AuthFile.write(d, p);
            assertEquals("{\"auths\":{}}", Files.readString(f));
            assertEquals("rw-------", mode(f));
        }
    }

    private static List<String> iterable(JsonNode n) {
        List<String> out = new java.util.ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }

    @Test
    void leftoversOfAKilledJob_areRemovedAtStart_withoutFollowingSymlinks() throws Exception {
        Path outside = Files.writeString(dir.resolve("outside.txt"), "keep me");
        Path job = Files.createDirectories(dir.resolve("work/jobs/7-1/src"));
        AuthFile.write(job.getParent(), new Protocol.PushCredentials("r.example", false, "u", "p", null));
        Files.createSymbolicLink(job.resolve("link"), outside);
        JobRunner.removeLeftovers(dir.resolve("work"));
        try (var left = Files.list(dir.resolve("work/jobs"))) {
            assertEquals(List.of(), left.toList(), "the auth file went with its job directory");
        }
        assertEquals("keep me", Files.readString(outside), "a symlink is removed, not what it points to");
    }
}
