package dev.multiarch.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.config.TagPlan;
import dev.multiarch.config.TagRule;
import dev.multiarch.platform.Platform;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.registry.Manifest;
import dev.multiarch.registry.RegistryException;
import dev.multiarch.store.BuildRecord;
import dev.multiarch.store.JdbcStore;
import dev.multiarch.store.NewBuild;
import dev.multiarch.store.PublicationState;
import dev.multiarch.testing.TestDatabases;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
        return s.createBuild(NewBuild.builder()
                .repo(repo)
                .cloneUrl("u")
                .commit("c")
                .ref("refs/tags/" + gitTag)
                .image(ImageReference.parse("reg.example/app"))
                .spec("{}")
                .tags(BuildSpec.tagsToJson(plan.tags()))
                .version(plan.version().map(Object::toString).orElse(null))
                .push(true)
                .jobs(List.of(new NewBuild.NewJob(Platform.parse("linux/amd64"), 60)))
                .build());
    }

    private static void own(JdbcStore s, BuildRecord b, List<String> tags) {
        tags.forEach(t -> s.setTagOwner("reg.example/app", t, b.id(), b.version()));
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

    @Test
    void mirrorTag_claimedRightBeforeItsPut_refusesATagAnotherRepositoryTookSinceTheDecision() {
        try (JdbcStore s = db.open()) {
            BuildPublisher p = new BuildPublisher(s);
            BuildRecord mine = build(s, "v1.0.0", "acme/app");
            assertTrue(p.decide(mine).take().contains("latest"), "nobody holds latest when the publish starts");
            // Minutes later, while the mirror's blobs were copied, another repository's build took latest there.
            BuildRecord theirs = build(s, "v9.0.0", "other/app");
            s.setTagOwner("mirror.example/app", "latest", theirs.id(), theirs.version());
            BuildPublisher.Claim c = p.claim(mine, "mirror.example/app", BuildPublisher.planned(mine, "latest"));
            assertFalse(c.taken());
            assertTrue(c.why().startsWith("held by repository other/app"), c.why());
            assertEquals(
                    theirs.id(),
                    s.tagOwner("mirror.example/app", "latest").orElseThrow().buildId());
            BuildPublisher.Claim free = p.claim(mine, "mirror.example/app", BuildPublisher.planned(mine, "1.0.0"));
            assertTrue(free.taken() && free.moved());
            assertEquals(
                    mine.id(),
                    s.tagOwner("mirror.example/app", "1.0.0").orElseThrow().buildId(),
                    "the owner is recorded with the claim, before the PUT");
            BuildPublisher.Claim again = p.claim(mine, "mirror.example/app", BuildPublisher.planned(mine, "1.0.0"));
            assertTrue(again.taken() && !again.moved(), "publishing again after a restart moves nothing");
        }
    }

    @Test
    void claimTag_isACompareAndSet_oneOfConcurrentClaimsWins() throws Exception {
        try (JdbcStore s = db.open()) {
            BuildRecord a = build(s, "v1.0.0");
            BuildRecord b = build(s, "v1.0.1");
            assertTrue(s.claimTag("reg.example/app", "x", null, a.id(), a.version()));
            assertFalse(s.claimTag("reg.example/app", "x", null, b.id(), b.version()), "someone owns it now");
            assertFalse(s.claimTag("reg.example/app", "x", b.id(), b.id(), b.version()), "not the owner it expected");
            assertEquals(
                    a.id(), s.tagOwner("reg.example/app", "x").orElseThrow().buildId());
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                for (String expectedOwner : new String[] {"none", "a"}) {
                    String tag = "race-" + expectedOwner;
                    if (expectedOwner.equals("a")) {
                        s.setTagOwner("reg.example/app", tag, a.id(), a.version());
                    }
                    Long expected = expectedOwner.equals("a") ? a.id() : null;
                    List<Callable<Boolean>> claims = List.of(
                            () -> s.claimTag("reg.example/app", tag, expected, b.id(), b.version()),
                            () -> s.claimTag("reg.example/app", tag, expected, b.id() + 1000, null),
                            () -> s.claimTag("reg.example/app", tag, expected, b.id() + 2000, null),
                            () -> s.claimTag("reg.example/app", tag, expected, b.id() + 3000, null));
                    long won = 0;
                    for (Future<Boolean> f : pool.invokeAll(claims)) {
                        won += f.get() ? 1 : 0;
                    }
                    assertEquals(1, won, tag + ": exactly one claim wins");
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void locks_allTargets_normalisedAndInOneOrder() {
        assertEquals(
                List.of("ghcr.io/acme/app", "quay.io/acme/app"),
                BuildPublisher.lockKeys(List.of("quay.io/acme/app", "GHCR.io/acme/app", "ghcr.io/acme/app")));
    }

    @Test
    void mirrorFailingForAnInternalReason_showsNoInternalText_registryReasonsAreShown() {
        try (JdbcStore s = db.open()) {
            BuildSpec spec = new BuildSpec(
                    "Dockerfile", ".", Map.of(), "oci", false, Map.of(), false, List.of("mirror.example/app"), null);
            TagPlan plan = TagPlan.of("v1.0.0", List.of(new TagRule.Semver()));
            BuildRecord b = s.createBuild(NewBuild.builder()
                    .repo("acme/app")
                    .cloneUrl("u")
                    .commit("c")
                    .ref("refs/tags/v1.0.0")
                    .image(ImageReference.parse("reg.example/app"))
                    .spec(spec.toJson())
                    .tags(BuildSpec.tagsToJson(plan.tags()))
                    .version("1.0.0")
                    .push(true)
                    .jobs(List.of(new NewBuild.NewJob(Platform.parse("linux/amd64"), 60)))
                    .build());
            String type = "application/vnd.oci.image.index.v1+json";
            Manifest index = Manifest.of(
                    ("{\"schemaVersion\":2,\"mediaType\":\"" + type + "\",\"manifests\":[]}").getBytes(), type);
            // No registry client at all: the copy fails with a NullPointerException, whose text is the JVM's.
            List<BuildPublisher.Registry> out = new MirrorCopies(new BuildPublisher(s), s, Optional.empty(), null)
                    .copy(
                            null,
                            b,
                            spec,
                            Map.of(),
                            index,
                            List.of(),
                            List.of("1.0.0"),
                            new ArrayList<>(),
                            new ArrayList<>());
            assertEquals(
                    List.of(new BuildPublisher.Registry(
                            "mirror.example/app", PublicationState.FAILED, MirrorCopies.INTERNAL_ERROR)),
                    out);
            assertEquals(
                    MirrorCopies.INTERNAL_ERROR, s.publications(b.id()).get(0).error(), "stored as shown");
            RegistryException denied = RegistryException.builder("push the index to", "mirror.example/app")
                    .code("DENIED")
                    .httpStatus(403)
                    .build();
            assertEquals(denied.getMessage(), MirrorCopies.publicReason(denied, "test"));
        }
    }
}
