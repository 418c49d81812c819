package dev.multiarch.base;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ChildEnvironmentTest {
    private static final Map<String, String> RUNNER_ENV = Map.of(
            "PATH", "/usr/bin:/bin",
            "HOME", "/var/lib/multiarch-runner",
            "LANG", "C.UTF-8",
            "MULTIARCH_RUNNER_SECRET", "registration-secret-0123456789",
            "REGISTRY_PASSWORD", "hunter2",
            "GITHUB_WEBHOOK_SECRET", "wh",
            "AWS_SECRET_ACCESS_KEY", "aws",
            "https_proxy", "http://user:pass@proxy:3128",
            "GIT_SSH_COMMAND", "sh -c 'curl evil'",
            "LD_PRELOAD", "/tmp/evil.so");

    @Test
    void onlyTheAllowListIsInherited_plusWhatTheCallerSets() {
        Map<String, String> env = ChildEnvironment.of(
                RUNNER_ENV, Map.of("GIT_TERMINAL_PROMPT", "0", "REGISTRY_AUTH_FILE", "/job/auth.json"));
        assertEquals(
                Map.of(
                        "PATH", "/usr/bin:/bin",
                        "HOME", "/var/lib/multiarch-runner",
                        "LANG", "C.UTF-8",
                        "GIT_TERMINAL_PROMPT", "0",
                        "REGISTRY_AUTH_FILE", "/job/auth.json"),
                env,
                "no secret, no proxy, no inherited GIT_*/LD_* variable");
    }

    @Test
    void aCallerCannotSetANameOutsideTheAllowList() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> ChildEnvironment.of(RUNNER_ENV, Map.of("MULTIARCH_RUNNER_SECRET", "x")));
        assertTrue(e.getMessage().contains("MULTIARCH_RUNNER_SECRET"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ChildEnvironment.of(RUNNER_ENV, Map.of("LD_PRELOAD", "x")));
    }

    @Test
    void aServiceWithoutPath_stillFindsItsPrograms() {
        assertEquals(
                ChildEnvironment.DEFAULT_PATH,
                ChildEnvironment.of(Map.of(), Map.of()).get("PATH"));
    }

    @Test
    void apply_replacesTheJdksCopyOfOurEnvironment() {
        ProcessBuilder pb = ChildEnvironment.apply(new ProcessBuilder("true"), Map.of("BUILDAH_ISOLATION", "chroot"));
        assertTrue(pb.environment().containsKey("BUILDAH_ISOLATION"));
        for (String name : pb.environment().keySet()) {
            assertTrue(
                    ChildEnvironment.INHERITED.contains(name) || name.equals("BUILDAH_ISOLATION"), name + " was kept");
        }
        if (System.getenv("MULTIARCH_TEST_CANARY") != null) {
            assertTrue(!pb.environment().containsKey("MULTIARCH_TEST_CANARY"));
        }
    }

    @Test
    void credentialHelpers_getWhatTheyNeedToFindTheirStore_neverTheCoordinatorsSecrets() {
        Map<String, String> ours = Map.of(
                "PATH", "/usr/bin",
                "HOME", "/home/svc",
                "DOCKER_CONFIG", "/etc/docker-svc",
                "XDG_RUNTIME_DIR", "/run/user/1000",
                "AWS_PROFILE", "ecr",
                "MULTIARCH_RUNNER_SECRET", "registration-secret-0123456789",
                "MULTIARCH_ADMIN_TOKEN", "admin-0123456789",
                "GITHUB_WEBHOOK_SECRET", "whsec",
                "REG_PASS", "hunter2");
        Map<String, String> env = ChildEnvironment.forCredentialHelper(ours);
        org.junit.jupiter.api.Assertions.assertEquals(
                Map.of(
                        "PATH", "/usr/bin",
                        "HOME", "/home/svc",
                        "DOCKER_CONFIG", "/etc/docker-svc",
                        "XDG_RUNTIME_DIR", "/run/user/1000",
                        "AWS_PROFILE", "ecr"),
                env);
    }
}
