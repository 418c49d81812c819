package dev.multiarch.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.multiarch.registry.ImageReference;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code image:} as a list: every registry one image is published to, the first being where runners push. */
class RepoConfigMirrorsTest {
    private static List<String> targets(ImageBuild b) {
        return b.targets().stream().map(ImageReference::toString).toList();
    }

    private static ConfigException invalid(String text) {
        return assertThrows(ConfigException.class, () -> RepoConfig.parse(text));
    }

    @Test
    void flowList_firstIsTheImage_restAreMirrors_inOrder() {
        ImageBuild b = RepoConfig.parse("image: [ghcr.io/acme/app, docker.io/acme/app, quay.io/acme/app]\n"
                        + "platforms: [linux/amd64]\n")
                .images()
                .get(0);
        assertEquals("ghcr.io/acme/app", b.image().toString());
        assertEquals(
                List.of("docker.io/acme/app", "quay.io/acme/app"),
                b.mirrors().stream().map(ImageReference::toString).toList());
        assertEquals(List.of("ghcr.io/acme/app", "docker.io/acme/app", "quay.io/acme/app"), targets(b));
    }

    @Test
    void blockList_andOneElementList_andScalar() {
        ImageBuild block = RepoConfig.parse(
                        "image:\n  - reg.example/a\n  - other.example/b\nplatforms: [linux/amd64]\n")
                .images()
                .get(0);
        assertEquals(List.of("reg.example/a", "other.example/b"), targets(block));
        ImageBuild one = RepoConfig.parse("image: [reg.example/a]\nplatforms: [linux/amd64]\n")
                .images()
                .get(0);
        assertEquals(List.of("reg.example/a"), targets(one));
        assertEquals(List.of(), one.mirrors());
        ImageBuild scalar = RepoConfig.parse("image: reg.example/a\nplatforms: [linux/amd64]\n")
                .images()
                .get(0);
        assertEquals(List.of(), scalar.mirrors());
    }

    @Test
    void perImageForm_nameOrImage_mayBeAList() {
        RepoConfig c = RepoConfig.parse("""
                images:
                  - name: [ghcr.io/acme/api, docker.io/acme/api]
                    platforms: [linux/amd64]
                  - image: [ghcr.io/acme/web, quay.io/acme/web]
                    platforms: [linux/arm64]
                """);
        assertEquals(
                List.of("ghcr.io/acme/api", "docker.io/acme/api"),
                targets(c.images().get(0)));
        assertEquals(
                List.of("ghcr.io/acme/web", "quay.io/acme/web"),
                targets(c.images().get(1)));
    }

    @Test
    void duplicate_namesLineAndBothPositions_asNormalised() {
        ConfigException e = invalid(
                "platforms: [linux/amd64]\nimage:\n  - docker.io/acme/app\n  - ghcr.io/acme/app\n" + "  - acme/app\n");
        assertEquals(".multiarch.yaml:5: image[2]: docker.io/acme/app is listed twice (also image[0])", e.getMessage());
        assertEquals(5, e.line());
    }

    @Test
    void duplicate_registryHostsCompareCaseInsensitively() {
        ConfigException e = invalid("platforms: [linux/amd64]\nimage: [ghcr.io/acme/app, GHCR.io/acme/app]\n");
        assertEquals(".multiarch.yaml:2: image[1]: ghcr.io/acme/app is listed twice (also image[0])", e.getMessage());
        ConfigException hub = invalid("platforms: [linux/amd64]\nimage: [acme/app, Docker.IO/acme/app]\n");
        assertEquals(
                ".multiarch.yaml:2: image[1]: docker.io/acme/app is listed twice (also image[0])", hub.getMessage());
    }

    @Test
    void sameRepositoryInTwoImages_isRefused() {
        ConfigException e = invalid("""
                images:
                  - name: [ghcr.io/acme/api, docker.io/acme/shared]
                    platforms: [linux/amd64]
                  - name: docker.io/acme/shared
                    platforms: [linux/amd64]
                """);
        assertEquals(".multiarch.yaml:4: images[1]: image docker.io/acme/shared is listed twice", e.getMessage());
    }

    @Test
    void mistakesInAnElement_nameItsLine() {
        ConfigException tagged =
                invalid("image:\n  - reg.example/a\n  - reg.example/b:1.0\nplatforms: [linux/amd64]\n");
        assertEquals(
                ".multiarch.yaml:3: image[1]: give the repository without a tag or digest ('reg.example/b');"
                        + " tags come from the tag rules",
                tagged.getMessage());
        ConfigException bad = invalid("image: [reg.example/a, 'Not A/Name']\nplatforms: [linux/amd64]\n");
        assertEquals("image[1]", bad.field());
        assertEquals(1, bad.line());
        ConfigException nested = invalid("image:\n  - reg.example/a\n  - {name: x}\nplatforms: [linux/amd64]\n");
        assertEquals(".multiarch.yaml:3: image[1]: expected a single value", nested.getMessage());
        ConfigException blank = invalid("image: [reg.example/a, '']\nplatforms: [linux/amd64]\n");
        assertEquals("image[1]", blank.field());
    }

    @Test
    void emptyList_andTooMany_areRefused() {
        assertEquals(
                ".multiarch.yaml:1: image: expected at least one image",
                invalid("image: []\nplatforms: [linux/amd64]\n").getMessage());
        StringBuilder many = new StringBuilder("image:\n");
        for (int i = 0; i <= RepoConfig.MAX_IMAGES; i++) {
            many.append("  - reg.example/a").append(i).append('\n');
        }
        assertEquals(
                ".multiarch.yaml:1: image: at most 10 images, got 11",
                invalid(many + "platforms: [linux/amd64]\n").getMessage());
        assertEquals(
                ".multiarch.yaml:1: image: expected a list",
                invalid("image: {a: b}\nplatforms: [linux/amd64]\n").getMessage());
    }
}
