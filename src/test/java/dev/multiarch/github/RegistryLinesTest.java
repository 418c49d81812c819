package dev.multiarch.github;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.registry.Digest;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.store.BuildRecord;
import dev.multiarch.store.JdbcStore;
import dev.multiarch.store.NewBuild;
import dev.multiarch.store.PublicationState;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The check summary of a build published to several registries: one line per registry, a failure with its reason. */
class RegistryLinesTest {
    @TempDir
    Path dir;

    @Test
    void partlyPublishedBuild_summaryHasALinePerRegistry_reasonOnOneLine() throws Exception {
        Clock clock = Clock.fixed(Instant.parse("2026-11-28T10:00:00Z"), ZoneOffset.UTC);
        GitHubAccess access = new GitHubAccess(
                GitHubConfig.of(
                        Map.of(
                                "webhook-secret",
                                "s",
                                "token",
                                "ghp_unit_test_token_0123456789",
                                "api-url",
                                "http://127.0.0.1:9"),
                        dir),
                clock);
        try (JdbcStore store = JdbcStore.embedded(dir.resolve("store"));
                StatusReporter reporter = new StatusReporter(store, access, "http://ci.example", clock)) {
            Origin o = new Origin("octo/app", "c".repeat(40), 0, 0, "tags", false, "d", null);
            BuildRecord b = store.createBuild(NewBuild.builder()
                    .repo("octo/app")
                    .cloneUrl("https://github.com/octo/app.git")
                    .commit("c".repeat(40))
                    .ref("refs/tags/v1.0.0")
                    .image(ImageReference.parse("ghcr.io/octo/app"))
                    .spec("{}")
                    .tags("[]")
                    .version("1.0.0")
                    .push(true)
                    .trigger(o.toJson())
                    .failedWith("published to ghcr.io/octo/app; docker.io/octo/app failed: DENIED")
                    .build());
            String digest = "sha256:" + "a".repeat(64);
            store.setPublication(b.id(), 0, "ghcr.io/octo/app", PublicationState.PUBLISHED, Digest.parse(digest), null);
            store.setPublication(
                    b.id(), 1, "docker.io/octo/app", PublicationState.FAILED, null, "DENIED | quota\nexceeded");
            store.setPublication(b.id(), 2, "quay.io/octo/app", PublicationState.PENDING, null, null);
            reporter.changed(b, List.of());
            String summary = CheckReport.fromJson(store.reports(b.id()).stream()
                            .filter(r -> r.context().equals("multiarch"))
                            .findFirst()
                            .orElseThrow()
                            .body())
                    .wanted()
                    .summary();
            assertTrue(summary.contains("| `ghcr.io/octo/app` | published `" + digest + "` |\n"), summary);
            assertTrue(summary.contains("| `docker.io/octo/app` | failed: `DENIED \\| quota exceeded` |\n"), summary);
            assertTrue(summary.contains("| `quay.io/octo/app` | pending |\n"), summary);
            assertFalse(summary.contains("quota\nexceeded"), summary);
        } finally {
            access.close();
        }
    }

    @Test
    void registryReasons_andTheBuildsError_areShownAsText_notAsMarkdown() throws Exception {
        Clock clock = Clock.fixed(Instant.parse("2026-11-28T10:00:00Z"), ZoneOffset.UTC);
        GitHubAccess access = new GitHubAccess(
                GitHubConfig.of(
                        Map.of(
                                "webhook-secret",
                                "s",
                                "token",
                                "ghp_unit_test_token_0123456789",
                                "api-url",
                                "http://127.0.0.1:9"),
                        dir),
                clock);
        // What a registry an attacker runs may answer: a link, an image, HTML, a heading after a line break.
        String hostile = "DENIED `x` [update here](https://evil.example) ![i](https://evil.example/p.png)"
                + " <img src=x>\n\n## Published \u2705 | forged";
        try (JdbcStore store = JdbcStore.embedded(dir.resolve("store"));
                StatusReporter reporter = new StatusReporter(store, access, "http://ci.example", clock)) {
            Origin o = new Origin("octo/app", "c".repeat(40), 0, 0, "tags", false, "d", null);
            BuildRecord b = store.createBuild(NewBuild.builder()
                    .repo("octo/app")
                    .cloneUrl("https://github.com/octo/app.git")
                    .commit("c".repeat(40))
                    .ref("refs/tags/v1.0.0")
                    .image(ImageReference.parse("ghcr.io/octo/app"))
                    .spec("{}")
                    .tags("[]")
                    .version("1.0.0")
                    .push(true)
                    .trigger(o.toJson())
                    .failedWith("published to ghcr.io/octo/app; evil.example/octo/app failed: " + hostile)
                    .build());
            store.setPublication(
                    b.id(),
                    0,
                    "ghcr.io/octo/app",
                    PublicationState.PUBLISHED,
                    Digest.parse("sha256:" + "a".repeat(64)),
                    null);
            store.setPublication(b.id(), 1, "evil.example/octo/app", PublicationState.FAILED, null, hostile);
            reporter.changed(b, List.of());
            String summary = CheckReport.fromJson(store.reports(b.id()).stream()
                            .filter(r -> r.context().equals("multiarch"))
                            .findFirst()
                            .orElseThrow()
                            .body())
                    .wanted()
                    .summary();
            String shown = "DENIED 'x' [update here](https://evil.example) ![i](https://evil.example/p.png)"
                    + " <img src=x> ## Published \u2705";
            assertTrue(summary.contains("| `evil.example/octo/app` | failed: `" + shown + " \\| forged` |\n"), summary);
            assertTrue(
                    summary.contains("Error: `published to ghcr.io/octo/app; evil.example/octo/app failed: " + shown
                            + " | forged`\n\n"),
                    summary);
            assertFalse(summary.contains("\n## Published"), summary);
        } finally {
            access.close();
        }
    }
}
