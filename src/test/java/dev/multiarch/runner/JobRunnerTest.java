package dev.multiarch.runner;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.dispatch.Protocol;
import dev.multiarch.registry.CredentialSource;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class JobRunnerTest {
    private static final JobRunner.Policy TRUSTED_RUNNER = new JobRunner.Policy(false, false);
    private static final JobRunner.Policy UNTRUSTED_RUNNER = new JobRunner.Policy(true, false);
    private static final Protocol.PushCredentials PUSH =
            new Protocol.PushCredentials("registry.example", false, "ci-bot", "s3cret", null);

    private static Protocol.Assignment job(boolean untrusted, Protocol.PushCredentials push, String sourceAuth) {
        return job(untrusted, push, sourceAuth, null);
    }

    private static Protocol.Assignment job(
            boolean untrusted, Protocol.PushCredentials push, String sourceAuth, Protocol.LayerCache cache) {
        return Protocol.Assignment.builder()
                .jobId(1)
                .buildId(1)
                .attempt(1)
                .platform("linux/amd64")
                .cloneUrl("https://github.com/o/r.git")
                .commit("a".repeat(40))
                .dockerfile("Dockerfile")
                .context(".")
                .image("registry.example/o/r")
                .format("oci")
                .push(push)
                .sourceAuth(sourceAuth)
                .timeoutSeconds(600)
                .heartbeatSeconds(10)
                .untrusted(untrusted)
                .cache(cache)
                .repo("o/r")
                .build();
    }

    private static String refusal(Protocol.Assignment job, JobRunner.Policy policy) {
        return assertThrows(Exec.StepFailed.class, () -> JobRunner.admit(job, policy))
                .getMessage();
    }

    @Test
    void eachRunnerRunsItsOwnTrustClassOnly() {
        assertDoesNotThrow(() -> JobRunner.admit(job(false, PUSH, "Bearer t"), TRUSTED_RUNNER));
        assertDoesNotThrow(() -> JobRunner.admit(job(true, null, null), UNTRUSTED_RUNNER));
        assertTrue(refusal(job(true, null, null), TRUSTED_RUNNER).contains("does not take untrusted jobs"));
        assertTrue(refusal(job(false, null, null), UNTRUSTED_RUNNER).contains("takes only untrusted jobs"));
    }

    @Test
    void untrustedJobToldToWriteTheLayerCache_isRefused_readingIsFine() {
        Protocol.LayerCache write = new Protocol.LayerCache("registry.example/o/r/cache/linux-amd64", false, true);
        Protocol.LayerCache read = new Protocol.LayerCache("registry.example/o/r/cache/linux-amd64", false, false);
        assertTrue(refusal(job(true, null, null, write), UNTRUSTED_RUNNER).contains("write the layer cache"));
        assertDoesNotThrow(() -> JobRunner.admit(job(true, null, null, read), UNTRUSTED_RUNNER));
        assertDoesNotThrow(() -> JobRunner.admit(job(false, PUSH, null, write), TRUSTED_RUNNER));
        Protocol.LayerCache option = new Protocol.LayerCache("--registries-conf=/etc/evil", false, false);
        assertTrue(refusal(job(false, PUSH, null, option), TRUSTED_RUNNER).contains("not a repository"));
    }

    @Test
    void untrustedJobWithCredentials_isRefused() {
        assertTrue(refusal(job(true, PUSH, null), UNTRUSTED_RUNNER).contains("push credentials"));
        assertTrue(refusal(job(true, null, "Bearer ghs_x"), UNTRUSTED_RUNNER).contains("source credentials"));
    }

    @Test
    void pushCredentialsForAnotherRegistry_areRefused() {
        Protocol.PushCredentials elsewhere = new Protocol.PushCredentials("ghcr.io", false, "u", "p", null);
        assertTrue(refusal(job(false, elsewhere, null), TRUSTED_RUNNER).contains("ghcr.io"));
    }

    @Test
    void credentials_areTheAssignmentsOnly_forItsRegistryOnly() {
        CredentialSource c = JobRunner.credentials(PUSH);
        assertEquals("ci-bot", c.lookup("registry.example").orElseThrow().username());
        assertEquals(Optional.empty(), c.lookup("docker.io"), "never another registry, never a login of the runner");
        assertEquals(Optional.empty(), JobRunner.credentials(null).lookup("registry.example"));
        assertEquals(
                Optional.empty(),
                JobRunner.credentials(new Protocol.PushCredentials("registry.example", true, null, null, null))
                        .lookup("registry.example"),
                "no user name: anonymous, not the runner's ~/.docker/config.json");
    }
}
