package dev.multiarch.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The rows' builders: unset fields are their defaults, a missing required one is named. */
class BuildersTest {
    @Test
    void aNewBuildHasNoJobsAndNoFlagsUnlessGiven() {
        NewBuild b = NewBuild.builder()
                .repo("acme/app")
                .cloneUrl("file:///repo.git")
                .commit("a".repeat(40))
                .ref("refs/heads/main")
                .build();
        assertEquals(
                new NewBuild(
                        "acme/app",
                        "file:///repo.git",
                        "a".repeat(40),
                        "refs/heads/main",
                        null,
                        null,
                        null,
                        null,
                        false,
                        false,
                        false,
                        null,
                        List.of(),
                        null),
                b);
    }

    @Test
    void aMissingRequiredFieldIsNamed() {
        NullPointerException e = assertThrows(NullPointerException.class, () -> NewBuild.builder()
                .repo("acme/app")
                .commit("a".repeat(40))
                .ref("refs/heads/main")
                .build());
        assertEquals("NewBuild: cloneUrl is required", e.getMessage());
        NullPointerException s = assertThrows(NullPointerException.class, () -> BuildRecord.builder()
                .repo("acme/app")
                .cloneUrl("u")
                .commit("c")
                .ref("r")
                .build());
        assertEquals("BuildRecord: state is required", s.getMessage());
    }

    private static BuildRecord published(String publication) {
        return BuildRecord.builder()
                .repo("acme/app")
                .cloneUrl("u")
                .commit("c")
                .ref("r")
                .state(BuildState.PUBLISHED)
                .publication(publication)
                .build();
    }

    @Test
    void thePublicationRecordIsReadOnce_inBothItsShapes() {
        BuildRecord outcome = published(
                "{\"indexDigest\":null,\"tags\":[\"1.0.0\",\"1.0\"],\"skipped\":[\"latest: stays\"],\"signed\":[]}");
        assertEquals(List.of("1.0.0", "1.0"), outcome.publishedTags());
        assertEquals(List.of("latest: stays"), outcome.keptBack());
        BuildRecord nothing = published("[]");
        assertEquals(List.of(), nothing.publishedTags());
        assertEquals(List.of(), nothing.keptBack());
        assertEquals("[]", nothing.publication(), "kept as written: the API shows it");
        assertEquals(List.of(), published(null).publishedTags());
        assertEquals(List.of("(unreadable publication record)"), published("{").keptBack());
    }
}
