package dev.multiarch.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.store.PublicationState;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A publish's outcome as the build's error and the pages see it: a registry's reason is one bounded line. */
class BuildPublisherOutcomeTest {
    @Test
    void registryReason_isOneLine_withoutControlCharacters_andCut() {
        String hostile = "DENIED\n\n# Published!\r\u001b[31m\u202eevil " + "x".repeat(10_000);
        BuildPublisher.Registry r = new BuildPublisher.Registry("quay.io/acme/app", PublicationState.FAILED, hostile);
        assertEquals(BuildPublisher.MAX_ERROR, r.error().length());
        assertTrue(r.error().startsWith("DENIED # Published! [31m evil xxx"), r.error());
        assertTrue(r.error().endsWith("x…"), r.error());
        assertFalse(r.error().chars().anyMatch(c -> Character.isISOControl(c) || c == '\u202e'), r.error());
        BuildPublisher.Outcome o = new BuildPublisher.Outcome(
                "sha256:" + "a".repeat(64),
                List.of("1.0.0"),
                List.of(),
                List.of(),
                List.of(),
                List.of(new BuildPublisher.Registry("ghcr.io/acme/app", PublicationState.PUBLISHED, null), r));
        assertTrue(o.partialSummary().length() < 600, o.partialSummary());
        assertFalse(o.partialSummary().contains("\n"));
        assertEquals(null, new BuildPublisher.Registry("a.io/b", PublicationState.PUBLISHED, null).error());
    }
}
