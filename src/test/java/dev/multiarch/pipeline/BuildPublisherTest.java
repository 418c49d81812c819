package dev.multiarch.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.multiarch.config.TagPlan;
import dev.multiarch.config.TagRule;
import dev.multiarch.store.BuildRecord;
import dev.multiarch.store.JdbcStore;
import dev.multiarch.store.NewBuild;
import dev.multiarch.testing.TestDatabases;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** Which tags a build may take, against the tag owners in a real store (H2 and PostgreSQL). */
@ParameterizedClass(name = "{0}")
@EnumSource(TestDatabases.Kind.class)
@ExtendWith(TestDatabases.class)
class BuildPublisherTest {
    @Parameter
    TestDatabases.Kind kind;

    @TempDir
    Path dir;

    TestDatabases.TestDatabase db;

    @BeforeEach
    void database(TestDatabases databases) {
        db = databases.fresh(kind, dir);
    }

    private static BuildRecord build(JdbcStore s, String gitTag) {
        return build(s, gitTag, "acme/app");
    }

    private static BuildRecord build(JdbcStore s, String gitTag, String repo) {
        TagPlan plan = TagPlan.of(gitTag, List.of(new TagRule.Semver()));
        return s.createBuild(new NewBuild(
                repo,
                "u",
                "c",
                "refs/tags/" + gitTag,
                "reg/app",
                "{}",
                BuildSpec.tagsToJson(plan.tags()),
                plan.version().map(Object::toString).orElse(null),
                true,
                false,
                false,
                null,
                List.of(new NewBuild.NewJob("linux/amd64", 60)),
                null));
    }

    private static void own(JdbcStore s, BuildRecord b, List<String> tags) {
        tags.forEach(t -> s.setTagOwner("reg/app", t, b.id(), b.version()));
    }

    @Test
    void backport_doesNotTakeLatestOrMajorOfANewerRelease() {
        try (JdbcStore s = db.open()) {
            BuildPublisher p = new BuildPublisher(s);
            BuildRecord v2 = build(s, "v2.0.0");
            own(s, v2, p.decide(v2).take());
            BuildRecord v141 = build(s, "v1.4.1");
            BuildPublisher.TagDecision d = p.decide(v141);
            assertEquals(List.of("1.4.1", "1.4", "1"), d.take());
            assertEquals(List.of("latest: stays at 2.0.0 (newer than 1.4.1)"), d.skipped());
        }
    }

    @Test
    void anotherRepository_neverMovesATagThisRepositoryHolds_evenWithANewerVersion() {
        try (JdbcStore s = db.open()) {
            BuildPublisher p = new BuildPublisher(s);
            BuildRecord mine = build(s, "v1.0.0", "acme/app");
            own(s, mine, p.decide(mine).take());
            BuildRecord theirs = build(s, "v9.0.0", "other/app");
            BuildPublisher.TagDecision d = p.decide(theirs);
            assertEquals(List.of("9.0.0", "9.0", "9"), d.take(), "tags nobody holds are free");
            assertEquals(
                    "latest: held by repository acme/app (build " + mine.id()
                            + "); a repository never moves another repository's tag",
                    d.skipped().get(0));
            BuildRecord mineAgain = build(s, "v1.1.0", "ACME/app");
            assertEquals(
                    List.of("1.1.0", "1.1", "1", "latest"), p.decide(mineAgain).take(), "GitHub names ignore case");
        }
    }

    @Test
    void newerRelease_takesFloatingTags() {
        try (JdbcStore s = db.open()) {
            BuildPublisher p = new BuildPublisher(s);
            BuildRecord v1 = build(s, "v1.4.1");
            own(s, v1, p.decide(v1).take());
            BuildRecord v15 = build(s, "v1.5.0");
            assertEquals(List.of("1.5.0", "1.5", "1", "latest"), p.decide(v15).take());
        }
    }

    @Test
    void sameVersionRebuilt_newerBuildWins_olderFinishingLaterDoesNot() {
        try (JdbcStore s = db.open()) {
            BuildPublisher p = new BuildPublisher(s);
            BuildRecord older = build(s, "v3.0.0");
            BuildRecord newer = build(s, "v3.0.0");
            own(s, newer, p.decide(newer).take());
            BuildPublisher.TagDecision d = p.decide(older);
            assertEquals(List.of(), d.take());
            assertEquals(
                    "3.0.0: build " + newer.id() + " is newer and already published it",
                    d.skipped().get(0));
            assertEquals(4, p.decide(newer).take().size(), "publishing again after a restart is allowed");
        }
    }

    @Test
    void prerelease_takesOnlyItsOwnTag() {
        try (JdbcStore s = db.open()) {
            assertEquals(
                    List.of("2.0.0-rc.1"),
                    new BuildPublisher(s).decide(build(s, "v2.0.0-rc.1")).take());
        }
    }
}
