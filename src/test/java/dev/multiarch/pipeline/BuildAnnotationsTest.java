package dev.multiarch.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.multiarch.config.TagRule;
import dev.multiarch.registry.ImageReference;
import dev.multiarch.store.BuildRecord;
import dev.multiarch.store.BuildState;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BuildAnnotationsTest {
    private static BuildRecord build(String cloneUrl, List<String> tags) {
        return BuildRecord.builder()
                .id(1)
                .repo("acme/app")
                .cloneUrl(cloneUrl)
                .commit("f".repeat(40))
                .ref("refs/tags/v1.2.3")
                .image(ImageReference.parse("ghcr.io/acme/app"))
                .tags(BuildSpec.tagsToJson(
                        tags.stream().map(t -> new TagRule.PlannedTag(t, false)).toList()))
                .version("1.2.3")
                .push(true)
                .state(BuildState.PUBLISHING)
                .createdAt(Instant.EPOCH)
                .updatedAt(Instant.EPOCH)
                .build();
    }

    private static BuildSpec spec(Map<String, String> annotations) {
        return new BuildSpec("Dockerfile", ".", Map.of(), "auto", false, annotations, false, List.of(), null);
    }

    @Test
    void sourceUrl_httpsWithoutCredentialsOrDotGit_elseNone() {
        assertEquals(
                Optional.of("https://github.com/acme/app"),
                BuildAnnotations.sourceUrl("https://x-access-token:ghs_secret@github.com/acme/app.git"));
        assertEquals(
                Optional.of("https://ghe.example.com:8443/acme/app"),
                BuildAnnotations.sourceUrl("https://GHE.example.com:8443/acme/app/?q=1#frag"));
        assertEquals(Optional.empty(), BuildAnnotations.sourceUrl("ssh://git@github.com/acme/app.git"));
        assertEquals(Optional.empty(), BuildAnnotations.sourceUrl("http://127.0.0.1:3000/acme/app.git"));
        assertEquals(Optional.empty(), BuildAnnotations.sourceUrl("/srv/git/app.git"));
        assertEquals(Optional.empty(), BuildAnnotations.sourceUrl("git@github.com:acme/app.git"));
    }

    @Test
    void repositoryUri_neverCarriesCredentials() {
        assertEquals(
                "http://127.0.0.1:3000/acme/app.git",
                BuildAnnotations.repositoryUri("http://user:pw@127.0.0.1:3000/acme/app.git"));
        assertEquals("file:///srv/git/app.git", BuildAnnotations.repositoryUri("/srv/git/app.git"));
    }

    @Test
    void forBuild_gitValuesThenTheRepositorysOwn() {
        Map<String, String> a = BuildAnnotations.forBuild(
                build("https://github.com/acme/app.git", List.of("1.2.3", "1.2", "latest")),
                spec(Map.of(
                        "org.opencontainers.image.title", "App",
                        "org.opencontainers.image.version", "v1.2.3-custom")));
        assertEquals(
                Map.of(
                        "org.opencontainers.image.source", "https://github.com/acme/app",
                        "org.opencontainers.image.revision", "f".repeat(40),
                        "org.opencontainers.image.version", "v1.2.3-custom",
                        "org.opencontainers.image.title", "App"),
                a);
        assertEquals(
                List.of(
                        "org.opencontainers.image.revision",
                        "org.opencontainers.image.source",
                        "org.opencontainers.image.title",
                        "org.opencontainers.image.version"),
                List.copyOf(a.keySet()),
                "sorted: the index bytes do not depend on map order");
    }

    @Test
    void forBuild_noTags_noVersion_localSource_noSource() {
        assertEquals(
                Map.of("org.opencontainers.image.revision", "f".repeat(40)),
                BuildAnnotations.forBuild(build("/srv/git/app.git", List.of()), spec(Map.of())));
    }

    @Test
    void forIndex_createdOnlyWhenEveryImageAgrees() {
        BuildRecord b = build("/srv/app.git", List.of("1.0.0"));
        String created = "org.opencontainers.image.created";
        assertEquals(
                "2024-01-02T03:04:05Z",
                BuildAnnotations.forIndex(
                                b,
                                spec(Map.of()),
                                List.of(
                                        Map.of(created, "2024-01-02T03:04:05Z"),
                                        Map.of(created, "2024-01-02T03:04:05Z")))
                        .get(created));
        assertEquals(
                null,
                BuildAnnotations.forIndex(b, spec(Map.of()), List.of(Map.of(created, "2024-01-02T03:04:05Z"), Map.of()))
                        .get(created));
    }
}
