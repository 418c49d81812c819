package dev.multiarch.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Label values come from closed sets: what others write never becomes a label as written. */
class LabelsTest {
    @Test
    void platform_normalisedAsContainerdDoes_invalidCollapses() {
        assertEquals("linux/arm64", Labels.platform("linux/arm64/v8"));
        assertEquals("linux/arm64", Labels.platform("linux/aarch64"));
        assertEquals("linux/amd64", Labels.platform("linux/x86_64"));
        assertEquals("linux/arm/v7", Labels.platform("linux/armhf"));
        assertEquals("invalid", Labels.platform("linux/acme-secret-project"));
        assertEquals("invalid", Labels.platform("not a platform"));
    }

    @Test
    void event_knownNamesOnly() {
        assertEquals("push", Labels.event("push"));
        assertEquals("pull_request", Labels.event("pull_request"));
        assertEquals("other", Labels.event("acme/secret-repo"));
        assertEquals("other", Labels.event(null));
    }

    @Test
    void githubResource_neverNamesTheRepository() {
        assertEquals("check-runs", Labels.githubResource("/repos/acme/secret/check-runs/42"));
        assertEquals("contents", Labels.githubResource("/repos/acme/secret/contents/.multiarch.yaml"));
        assertEquals("statuses", Labels.githubResource("/api/v3/repos/acme/secret/statuses/" + "a".repeat(40)));
        assertEquals("repository", Labels.githubResource("/repos/acme/secret"));
        assertEquals("repository-other", Labels.githubResource("/repos/acme/secret/acme-secret-thing"));
        assertEquals("installation-token", Labels.githubResource("/app/installations/4711/access_tokens"));
        assertEquals("user", Labels.githubResource("/user"));
        assertEquals("other", Labels.githubResource("/orgs/acme/secret"));
    }

    @Test
    void registryCode_knownCodesAndStatusClasses_elseOther() {
        assertEquals("MANIFEST_UNKNOWN", Labels.registryCode("MANIFEST_UNKNOWN", 404));
        assertEquals("HTTP_5xx", Labels.registryCode("HTTP 502", 502));
        assertEquals("HTTP_4xx", Labels.registryCode("HTTP 418", 418));
        assertEquals("other", Labels.registryCode("ACME_SECRET_REPO_IS_GONE", 400));
    }

    @Test
    void status_numbersOfHttp_elseOther() {
        assertEquals("202", Labels.status(202));
        assertEquals("0", Labels.status(0));
        assertEquals("other", Labels.status(1234));
    }

    @Test
    void step_knownStepsOnly() {
        assertEquals("build", Labels.step("build"));
        assertEquals("other", Labels.step("build-acme-secret"));
    }
}
