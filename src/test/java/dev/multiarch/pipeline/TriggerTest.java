package dev.multiarch.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class TriggerTest {
    @Test
    void unsetItIsTrustedPublicAndHasNoExplicitTags() {
        Trigger t = Trigger.builder()
                .repo("acme/app")
                .cloneUrl("file:///repo.git")
                .commit("a".repeat(40))
                .ref("refs/tags/v1.0.0")
                .push(true)
                .build();
        assertEquals(List.of(), t.explicitTags());
        assertFalse(t.untrusted());
        assertFalse(t.privateRepo());
        assertEquals(null, t.info());
    }

    @Test
    void aMissingRequiredFieldIsNamed() {
        NullPointerException e = assertThrows(NullPointerException.class, () -> Trigger.builder()
                .repo("acme/app")
                .cloneUrl("u")
                .commit("c")
                .build());
        assertEquals("Trigger: ref is required", e.getMessage());
    }
}
