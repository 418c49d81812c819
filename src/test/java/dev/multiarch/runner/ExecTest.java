package dev.multiarch.runner;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.multiarch.base.ChildEnvironment;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What buildah (and through it a Dockerfile) gets from the runner's environment: the allow-list, nothing more. */
class ExecTest {
    private static final String CANARY = "MULTIARCH_TEST_CANARY";

    @Test
    void steps_runInTheCleanEnvironment_plusWhatTheJobSets() throws Exception {
        assumeTrue(System.getenv(CANARY) != null, "surefire sets the canary (pom.xml); without it this proves nothing");
        List<String> lines = new ArrayList<>();
        Exec.run(
                "env",
                List.of("env"),
                Map.of("REGISTRY_AUTH_FILE", "/job/registry-auth.json"),
                null,
                lines::add,
                Instant.now().plusSeconds(60),
                new Exec.Stop());
        assertTrue(lines.contains("REGISTRY_AUTH_FILE=/job/registry-auth.json"), lines.toString());
        for (String line : lines.subList(1, lines.size())) {
            String name = line.substring(0, line.indexOf('='));
            assertTrue(
                    ChildEnvironment.INHERITED.contains(name) || name.equals("REGISTRY_AUTH_FILE"),
                    name + " reached the step: " + lines);
        }
    }

    @Test
    void captures_runInTheCleanEnvironmentToo() throws Exception {
        assumeTrue(System.getenv(CANARY) != null, "surefire sets the canary (pom.xml); without it this proves nothing");
        String out = Exec.capture(List.of("env"), Map.of());
        assertFalse(out.contains(CANARY), out);
    }
}
