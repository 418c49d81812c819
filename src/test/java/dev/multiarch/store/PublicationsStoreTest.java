package dev.multiarch.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.platform.Platform;
import dev.multiarch.registry.Digest;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.testing.TestDatabases;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** Each registry's publication outcome (V9), a partly published build and its re-run, on H2 and PostgreSQL. */
@ParameterizedClass(name = "{0}")
@EnumSource(TestDatabases.Kind.class)
@ExtendWith(TestDatabases.class)
class PublicationsStoreTest {
    private static final String DIGEST = "sha256:" + "a".repeat(64);

    @Parameter
    TestDatabases.Kind kind;

    @TempDir
    Path dir;

    TestDatabases.TestDatabase db;

    @BeforeEach
    void database(TestDatabases databases) {
        db = databases.fresh(kind, dir);
    }

    /** A build that reached publishing: its one job built. */
    private static BuildRecord publishing(JdbcStore s) {
        BuildRecord b = s.createBuild(NewBuild.builder()
                .repo("acme/app")
                .cloneUrl("file:///repo.git")
                .commit("a".repeat(40))
                .ref("refs/tags/v1.0.0")
                .image(ImageReference.parse("reg-a/acme/app"))
                .spec("{}")
                .tags("[]")
                .version("1.0.0")
                .push(true)
                .jobs(List.of(new NewBuild.NewJob(Platform.parse("linux/amd64"), 600)))
                .build());
        JobRecord j = s.jobs(b.id()).get(0);
        s.claimJob(j.id(), "r1", Instant.now().plusSeconds(60)).orElseThrow();
        assertEquals(
                Store.Completion.BUILD_READY,
                s.completeJob(j.id(), "r1", 1, JobResult.success("sha256:" + "1".repeat(64), "m", 10, 1)));
        assertTrue(s.moveBuild(b.id(), BuildState.VERIFYING, BuildState.PUBLISHING, null));
        return b;
    }

    @Test
    void outcomes_areKeptPerRegistry_inOrder_andReplaced() {
        try (JdbcStore s = db.open()) {
            BuildRecord b = publishing(s);
            assertEquals(List.of(), s.publications(b.id()));
            s.setPublication(b.id(), 1, "reg-b/acme/app", PublicationState.PENDING, null, null);
            s.setPublication(b.id(), 0, "reg-a/acme/app", PublicationState.PUBLISHED, Digest.parse(DIGEST), null);
            s.setPublication(b.id(), 1, "reg-b/acme/app", PublicationState.FAILED, null, "x".repeat(5000));
            List<Store.Publication> p = s.publications(b.id());
            assertEquals(2, p.size());
            assertEquals("reg-a/acme/app", p.get(0).image());
            assertEquals(PublicationState.PUBLISHED, p.get(0).state());
            assertEquals(DIGEST, p.get(0).indexDigest().toString());
            assertNull(p.get(0).error());
            assertEquals(PublicationState.FAILED, p.get(1).state());
            assertEquals(2000, p.get(1).error().length(), "a registry's long answer is cut");
            assertTrue(p.get(1).error().endsWith("…"));
            s.setPublication(b.id(), 1, "reg-b/acme/app", PublicationState.PUBLISHED, Digest.parse(DIGEST), null);
            assertEquals(
                    PublicationState.PUBLISHED, s.publications(b.id()).get(1).state());
            assertNull(s.publications(b.id()).get(1).error());
        }
    }

    @Test
    void partlyPublished_isFailedWithItsIndex_andReopensOnceForARerun() {
        try (JdbcStore s = db.open()) {
            BuildRecord b = publishing(s);
            assertTrue(s.markPartlyPublished(
                    b.id(), Digest.parse(DIGEST), "{\"tags\":[\"1.0.0\"]}", "published to A; B failed: x"));
            BuildRecord failed = s.build(b.id()).orElseThrow();
            assertEquals(BuildState.FAILED, failed.state());
            assertEquals(DIGEST, failed.indexDigest().toString());
            assertEquals("published to A; B failed: x", failed.error());
            assertFalse(s.markPartlyPublished(b.id(), Digest.parse(DIGEST), "{}", "again"), "only from publishing");
            assertTrue(s.reopenPublishing(b.id()));
            assertFalse(s.reopenPublishing(b.id()), "one re-run reopens it, not two");
            BuildRecord again = s.build(b.id()).orElseThrow();
            assertEquals(BuildState.PUBLISHING, again.state());
            assertNull(again.error());
            assertTrue(s.markPublished(b.id(), Digest.parse(DIGEST), "{\"tags\":[\"1.0.0\"]}"));
        }
    }
}
