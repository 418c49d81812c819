package dev.multiarch.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.multiarch.registry.IndexType;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RepoConfigTest {
    @Test
    void singleImage_defaults() {
        RepoConfig c =
                RepoConfig.parse("image: reg.example/acme/hello\nplatforms: [linux/amd64, linux/aarch64, linux/arm]\n");
        ImageBuild b = c.images().get(0);
        assertEquals("reg.example/acme/hello", b.image().toString());
        assertEquals(
                List.of("linux/amd64", "linux/arm64", "linux/arm/v7"),
                b.platforms().stream().map(p -> p.shortForm()).toList());
        assertEquals("Dockerfile", b.dockerfile());
        assertEquals(".", b.context());
        assertEquals(IndexType.AUTO, b.format());
        assertEquals(Duration.ofMinutes(30), b.timeout());
        assertEquals(List.of(new TagRule.Semver()), b.tagRules());
    }

    @Test
    void monorepo_everyKey() {
        RepoConfig c = RepoConfig.parse("""
                images:
                  - name: reg.example/acme/api
                    context: services/api
                    platforms: [linux/amd64, linux/s390x]
                    build-args: {VERSION: "1.0", FLAG: yes}
                    format: oci
                    per-arch-tags: true
                    timeout: 20m
                    timeouts: {linux/s390x: 1h30m}
                    tags:
                      - semver
                      - match: '^release-(\\d+)\\.(\\d+)$'
                        tags: ['{1}.{2}', stable]
                  - name: reg.example/acme/web
                    dockerfile: docker/web.Dockerfile
                    platforms: linux/amd64
                """);
        ImageBuild api = c.images().get(0);
        assertEquals("services/api/Dockerfile", api.dockerfile());
        assertEquals(Map.of("VERSION", "1.0", "FLAG", "yes"), api.buildArgs());
        assertEquals(Duration.ofMinutes(90), api.timeoutFor(api.platforms().get(1)));
        assertEquals(Duration.ofMinutes(20), api.timeoutFor(api.platforms().get(0)));
        assertTrue(api.perArchTags());
        assertEquals(IndexType.OCI, api.format());
        assertEquals("docker/web.Dockerfile", c.images().get(1).dockerfile());
        assertEquals(
                List.of("1.4", "stable"),
                TagPlan.of("release-1.4", api.tagRules()).names());
    }

    private static ConfigException invalid(String text) {
        return assertThrows(ConfigException.class, () -> RepoConfig.parse(text));
    }

    @Test
    void unknownKey_namesFileLineAndValidKeys() {
        ConfigException e = invalid("image: reg.example/a\nplatforms: [linux/amd64]\nplatfroms: [linux/arm64]\n");
        assertEquals(
                ".multiarch.yaml:3: platfroms: unknown key 'platfroms'; expected one of annotations, attestations, build-args, cache, context, "
                        + "dockerfile, format, image, images, name, per-arch-tags, platforms, tags, timeout, timeouts",
                e.getMessage());
    }

    @Test
    void badPlatform_namesLineAndNearest() {
        ConfigException e = invalid("image: reg.example/a\nplatforms:\n  - linux/amd64\n  - linux/arm64/v7\n");
        assertEquals(4, e.line());
        assertEquals("platforms[1]", e.field());
        assertTrue(e.getMessage().contains("'v7' is not a variant of arm64; valid: v8"), e.getMessage());
    }

    @Test
    void contextEscapingTheRepository_isRefused() {
        ConfigException e = invalid("image: reg.example/a\nplatforms: [linux/amd64]\ncontext: ../other\n");
        assertEquals(".multiarch.yaml:3: context: '../other' escapes the repository", e.getMessage());
        ConfigException abs = invalid("image: reg.example/a\nplatforms: [linux/amd64]\ndockerfile: /etc/passwd\n");
        assertTrue(abs.getMessage().contains("must be a path inside the repository"), abs.getMessage());
        ConfigException sneaky = invalid("image: reg.example/a\nplatforms: [linux/amd64]\ncontext: a/../../b\n");
        assertTrue(sneaky.getMessage().contains("escapes the repository"), sneaky.getMessage());
    }

    @Test
    void otherMistakes_eachNamed() {
        assertTrue(invalid("platforms: [linux/amd64]\n").getMessage().contains("image: is required"));
        assertTrue(invalid("image: reg.example/a:1.0\nplatforms: [linux/amd64]\n")
                .getMessage()
                .contains("without a tag or digest"));
        assertTrue(invalid("image: reg.example/a\n").getMessage().contains("platforms: is required"));
        assertTrue(invalid("image: reg.example/a\nplatforms: [linux/amd64, linux/x86_64]\n")
                .getMessage()
                .contains("duplicate platform"));
        assertTrue(invalid("image: reg.example/a\nplatforms: [linux/amd64]\ntimeout: soon\n")
                .getMessage()
                .contains("expected a duration"));
        assertTrue(invalid("image: reg.example/a\nplatforms: [linux/amd64]\ntags: [semverr]\n")
                .getMessage()
                .contains("unknown tag rule 'semverr'"));
        assertTrue(invalid("image: reg.example/a\nplatforms: [linux/amd64]\ntags: [{match: '(', tags: [x]}]\n")
                .getMessage()
                .contains("not a valid regular expression"));
        assertTrue(invalid("image: [\n").getMessage().contains("not valid YAML"));
        assertTrue(invalid("- a\n- b\n").getMessage().contains("expected a mapping"));
    }

    @Test
    void semverTags_metadataActionDefaults() {
        List<TagRule> rules = List.of(new TagRule.Semver());
        TagPlan p = TagPlan.of("v1.2.3", rules);
        assertEquals(List.of("1.2.3", "1.2", "1", "latest"), p.names());
        assertFalse(p.tags().get(0).floating());
        assertTrue(p.tags().get(3).floating());
        assertEquals(List.of("1.2.3-rc.1"), TagPlan.of("v1.2.3-rc.1", rules).names());
        assertEquals(
                List.of("0.4.1", "0.4", "latest"), TagPlan.of("v0.4.1", rules).names());
        assertEquals("1.2.3", TagPlan.of("v1.2.3+build.7", rules).names().get(0));
        ConfigException e = assertThrows(ConfigException.class, () -> TagPlan.of("nightly", rules));
        assertTrue(e.getMessage().contains("no tag rule matches the git tag 'nightly'"), e.getMessage());
        assertEquals(
                List.of("nightly"),
                TagPlan.of("nightly", List.of(new TagRule.Semver(), new TagRule.Ref()))
                        .names());
    }

    @Test
    void semver_ordering() {
        SemVer a = SemVer.parse("1.0.0-alpha").orElseThrow();
        SemVer b = SemVer.parse("1.0.0-alpha.1").orElseThrow();
        SemVer c = SemVer.parse("1.0.0-beta.2").orElseThrow();
        SemVer d = SemVer.parse("1.0.0-beta.11").orElseThrow();
        SemVer e = SemVer.parse("v1.0.0").orElseThrow();
        SemVer f = SemVer.parse("2.0.0").orElseThrow();
        List<SemVer> sorted = new java.util.ArrayList<>(List.of(f, e, d, c, b, a));
        sorted.sort(null);
        assertEquals(List.of(a, b, c, d, e, f), sorted);
        assertTrue(SemVer.parse("1.4.1")
                        .orElseThrow()
                        .compareTo(SemVer.parse("2.0.0").orElseThrow())
                < 0);
    }

    @Test
    void dockerHubStyleGroups() {
        TagRule r = TagRule.Match.of("^v(\\d+)-(\\w+)$", List.of("{\\1}-{\\2}", "{sourceref}"));
        assertEquals(
                List.of("3-slim", "v3-slim"), TagPlan.of("v3-slim", List.of(r)).names());
    }

    @Test
    void matchTemplates_expandedInOnePass_braceInTheGitTagIsNotAPlaceholder() {
        TagRule r = TagRule.Match.of("^(x)(.*)$", List.of("{1}-{sourceref}", "{2}", "{\\9}{7}a"));
        assertEquals(
                List.of("x-x-1-", "1-", "a"), TagPlan.of("x{1}", List.of(r)).names());
    }

    /**
     * The regression test for catastrophic backtracking: with java.util.regex, (a+)+$ against a run of a's followed by
     * something else takes time exponential in the run's length, so this test would never finish (and neither would
     * the coordinator's event thread). RE2/J answers in linear time. No time limit is asserted: finishing is the test.
     */
    @Test
    void nestedQuantifier_longTag_answersInLinearTime() {
        TagRule.Match r = TagRule.Match.of("(a+)+$", List.of("{1}"));
        String hostile = "a".repeat(100_000) + "!";
        assertFalse(r.pattern().matcher(hostile).find());
        assertTrue(r.pattern().matcher("a".repeat(100_000)).find());
        // Through the rule, the longest git tag accepted: 254 a's and a '!' (java.util.regex: 2^254 steps).
        assertEquals(Optional.empty(), r.apply("a".repeat(254) + "!"));
        assertEquals(
                List.of("a".repeat(128)),
                TagPlan.of("a".repeat(255), List.of(r)).names());
    }

    @Test
    void gitTagOver255Characters_refusedWithTheLimit() {
        String tag = "v1.0.0-" + "a".repeat(300);
        for (List<TagRule> rules : List.of(
                List.<TagRule>of(new TagRule.Semver()),
                List.<TagRule>of(new TagRule.Ref()),
                List.<TagRule>of(TagRule.Match.of("(a+)+$", List.of("{1}"))))) {
            ConfigException e = assertThrows(ConfigException.class, () -> TagPlan.of(tag, rules));
            assertEquals(
                    ".multiarch.yaml: tags: the git tag 'v1.0.0-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…' is 307 characters long;"
                            + " tags are made only from git tags of at most 255 characters",
                    e.getMessage());
            assertThrows(ConfigException.class, () -> rules.get(0).apply(tag));
        }
        assertThrows(ConfigException.class, () -> new TagRule.Ref().apply(null));
    }

    private static String matchError(String regex) {
        String yaml = "image: reg.example/a\nplatforms: [linux/amd64]\ntags:\n  - semver\n  - match: '" + regex
                + "'\n    tags: [x]\n";
        ConfigException e = invalid(yaml);
        assertEquals(5, e.line(), e.getMessage());
        assertEquals("tags[1].match", e.field());
        return e.reason();
    }

    @Test
    void re2Unsupported_refusedAtParseTime_withLineAndWhy() {
        assertEquals(
                "'\\1' is a backreference; tag rules use RE2 syntax, which matches in time linear in the tag and has"
                        + " no backreferences; match the text again instead",
                matchError("^(\\d+)-\\1$"));
        assertTrue(matchError("\\k<n>").contains("named backreference"));
        assertTrue(matchError("^v(?=\\d)").startsWith("'(?=' is a lookahead; tag rules use RE2 syntax"));
        assertTrue(matchError("^v(?!x)").startsWith("'(?!' is a lookahead"));
        assertTrue(matchError("(?<=v)\\d+").startsWith("'(?<=' is a lookbehind"));
        assertTrue(matchError("(?<!v)\\d+").startsWith("'(?<!' is a lookbehind"));
        assertTrue(matchError("(?>a+)b").startsWith("'(?>' is an atomic group"));
        assertEquals(
                "not a valid regular expression (RE2 syntax): invalid nested repetition operator in '++'",
                matchError("a++"));
        assertTrue(matchError("((a{1000}){1000}){1000}").startsWith("the regular expression is too large"));
        assertTrue(matchError("(a{200}){200}").startsWith("the regular expression is too large"));
        assertTrue(matchError("x".repeat(1001)).contains("at most 1000 are allowed"));
        // RepoConfigFuzzTest#matchRule found this hanging the compiler (google/re2j#168): with java.util.regex it would
        // be fine, with RE2/J it never returns; refusing the flag is the regression test.
        assertEquals(
                "'(?i)' asks for case-insensitive matching, which tag rules do not support (RE2/J can loop for ever"
                        + " folding some characters); write both cases, e.g. [Vv]",
                matchError("(?i)\u1c80"));
        assertTrue(matchError("^v(?mi:x)").startsWith("'(?mi:' asks for case-insensitive matching"));
        assertTrue(matchError("(?s)(?i)[\\x{1C00}-\\x{1D00}]").startsWith("'(?i)' asks"));
        TagRule.Match.of("(?-i)a(?s:.)(?P<n>b)", List.of("x"));
        // Not backreferences: a literal in \Q…\E, an escaped backslash before a digit, a digit in a class.
        for (String fine : List.of("\\Q\\1\\E", "\\\\1", "[\\d]{1,3}", "(?P<major>\\d+)")) {
            TagRule.Match.of(fine, List.of("x"));
        }
    }

    @Test
    void semverPrerelease_hugeNumericIdentifier_comparesWithoutOverflow() {
        SemVer big = SemVer.parse("1.0.0-rc.99999999999999999999").orElseThrow();
        SemVer small = SemVer.parse("1.0.0-rc.9").orElseThrow();
        assertTrue(big.compareTo(small) > 0);
        assertTrue(small.compareTo(big) < 0);
        assertEquals(
                0, big.compareTo(SemVer.parse("1.0.0-rc.099999999999999999999").orElseThrow()));
        // Versions over 100 characters do not fit the store's version column: not taken as versions.
        assertEquals(
                100,
                SemVer.parse("v1.0.0-" + "a".repeat(94)).orElseThrow().version().length());
        assertEquals(Optional.empty(), SemVer.parse("v1.0.0-" + "a".repeat(95)));
    }

    @Test
    void envInterpolation_inServiceConfig() {
        ServiceConfig c = ServiceConfig.parse(
                "config.yaml", """
                server: {port: 9090}
                runners: {registration-secret: "${SECRET}"}
                registries:
                  - host: localhost:5000
                    username: bot
                    password: ${REG_PASS:-fallback-pass}
                """, Map.of("SECRET", "0123456789abcdef0123"), java.nio.file.Path.of("/srv"));
        assertEquals(9090, c.port());
        assertEquals("0123456789abcdef0123", c.runnerSecret());
        assertEquals("fallback-pass", c.registry("localhost:5000").orElseThrow().password());
        assertFalse(c.toString().contains("0123456789abcdef0123"));
        assertFalse(c.registries().toString().contains("fallback-pass"));
        ConfigException e = assertThrows(
                ConfigException.class,
                () -> ServiceConfig.parse(
                        "config.yaml",
                        "runners: {registration-secret: \"${MISSING}\"}\n",
                        Map.of(),
                        java.nio.file.Path.of("/srv")));
        assertTrue(e.getMessage().contains("environment variable MISSING is not set"), e.getMessage());
    }

    /**
     * Found while writing RepoConfigFuzzTest and kept as its seeds: a path with a NUL character (YAML's "\0")
     * threw InvalidPathException, and a timeout past a long threw ArithmeticException, instead of naming the line.
     */
    @Test
    void nulInAPath_orAnEndlessTimeout_namesTheLine() {
        ConfigException nul = invalid("image: reg.example/a\nplatforms: [linux/amd64]\ncontext: \"a\\0b\"\n");
        assertEquals(
                ".multiarch.yaml:3: context: 'a\\0b' is not a valid path: Nul character not allowed", nul.getMessage());
        ConfigException hours =
                invalid("image: reg.example/a\nplatforms: [linux/amd64]\ntimeout: 99999999999999999h\n");
        assertEquals(
                ".multiarch.yaml:3: timeout: '99999999999999999h' is too long; at most 366 days (8784h)",
                hours.getMessage());
        ConfigException digits =
                invalid("image: reg.example/a\nplatforms: [linux/amd64]\ntimeout: 99999999999999999999\n");
        assertTrue(digits.getMessage().endsWith("is too long; at most 366 days (8784h)"), digits.getMessage());
        ConfigException perPlatform = invalid(
                "image: reg.example/a\nplatforms: [linux/amd64]\ntimeouts: {linux/amd64: 2562047788015215h9h}\n");
        assertEquals(3, perPlatform.line());
        assertTrue(perPlatform.getMessage().contains("is too long"), perPlatform.getMessage());
        assertEquals(
                Duration.ofDays(366),
                RepoConfig.parse("image: reg.example/a\nplatforms: [linux/amd64]\ntimeout: 8784h\n")
                        .images()
                        .get(0)
                        .timeout());
    }

    @Test
    void cache_defaultsToImageSlashCache_onePerPlatform_orAsWritten_orOff() {
        ImageBuild d = RepoConfig.parse("image: reg.example/acme/hello\nplatforms: [linux/arm/v7]\n")
                .images()
                .get(0);
        assertEquals(
                "reg.example/acme/hello/cache",
                d.cache().repository().orElseThrow().toString());
        assertEquals(
                "reg.example/acme/hello/cache/linux-arm-v7",
                d.cache().forPlatform(d.platforms().get(0)).orElseThrow().toString());
        ImageBuild w = RepoConfig.parse(
                        "image: reg.example/acme/hello\nplatforms: [linux/amd64]\ncache: reg.example/acme/hello/layers\n")
                .images()
                .get(0);
        assertEquals(
                "reg.example/acme/hello/layers",
                w.cache().repository().orElseThrow().toString());
        assertEquals(
                Optional.empty(),
                RepoConfig.parse("image: reg.example/acme/hello\nplatforms: [linux/amd64]\ncache: false\n")
                        .images()
                        .get(0)
                        .cache()
                        .repository());
    }

    @Test
    void cache_onDockerHub_staysWithinTwoPathComponents() {
        ImageBuild b = RepoConfig.parse("image: acme/hello\nplatforms: [linux/arm64]\n")
                .images()
                .get(0);
        assertEquals(
                "docker.io/acme/hello-cache",
                b.cache().repository().orElseThrow().toString());
        assertEquals(
                "docker.io/acme/hello-cache-linux-arm64",
                b.cache().forPlatform(b.platforms().get(0)).orElseThrow().toString());
    }

    @Test
    void cache_outsideTheImagesOwnRepository_isRefusedWithTheLine_anotherTenantsCacheIsOutOfReach() {
        // acme/b, allowed ghcr.io/acme/* by an owner-wide rule, must not name acme/a's cache.
        String b = "image: ghcr.io/acme/b\nplatforms: [linux/amd64]\n";
        ConfigException other =
                assertThrows(ConfigException.class, () -> RepoConfig.parse(b + "cache: ghcr.io/acme/a/cache\n"));
        assertTrue(
                other.getMessage()
                        .startsWith(".multiarch.yaml:3: cache: the cache must be under the image's own"
                                + " repository (ghcr.io/acme/b/cache), not ghcr.io/acme/a/cache"),
                other.getMessage());
        for (String bad : List.of("ghcr.io/acme/cache", "ghcr.io/acme/bb/cache", "ghcr.io/acme/b-cache", "ghcr.io/x")) {
            assertThrows(ConfigException.class, () -> RepoConfig.parse(b + "cache: " + bad + "\n"), bad);
        }
        for (String ok : List.of("ghcr.io/acme/b/cache", "ghcr.io/acme/b/layers/x")) {
            assertEquals(
                    ok,
                    RepoConfig.parse(b + "cache: " + ok + "\n")
                            .images()
                            .get(0)
                            .cache()
                            .repository()
                            .orElseThrow()
                            .toString());
        }
        // Docker Hub: two path components only, so {image}-cache… is the image's own.
        String hub = "image: acme/b\nplatforms: [linux/amd64]\n";
        assertEquals(
                "docker.io/acme/b-cache2",
                RepoConfig.parse(hub + "cache: acme/b-cache2\n")
                        .images()
                        .get(0)
                        .cache()
                        .repository()
                        .orElseThrow()
                        .toString());
        ConfigException hubOther =
                assertThrows(ConfigException.class, () -> RepoConfig.parse(hub + "cache: acme/a-cache\n"));
        assertTrue(hubOther.getMessage().contains("docker.io/acme/b-cache"), hubOther.getMessage());
        assertThrows(ConfigException.class, () -> RepoConfig.parse(hub + "cache: acme/bx-cache\n"));
    }

    @Test
    void cache_withATag_onAnotherRegistry_orTheImageItself_isRefusedWithTheLine() {
        String base = "image: reg.example/acme/hello\nplatforms: [linux/amd64]\n";
        ConfigException tag =
                assertThrows(ConfigException.class, () -> RepoConfig.parse(base + "cache: reg.example/acme/c:v1\n"));
        assertTrue(
                tag.getMessage().contains(".multiarch.yaml:3: cache:")
                        && tag.getMessage().contains("without a tag"),
                tag.getMessage());
        ConfigException other =
                assertThrows(ConfigException.class, () -> RepoConfig.parse(base + "cache: ghcr.io/acme/cache\n"));
        assertTrue(other.getMessage().contains("must be on the image's registry reg.example"), other.getMessage());
        ConfigException self =
                assertThrows(ConfigException.class, () -> RepoConfig.parse(base + "cache: reg.example/acme/hello\n"));
        assertTrue(self.getMessage().contains("cannot be the image's own repository"), self.getMessage());
        ConfigException bad =
                assertThrows(ConfigException.class, () -> RepoConfig.parse(base + "cache: Reg.example/ACME\n"));
        assertTrue(bad.getMessage().contains("cache"), bad.getMessage());
    }
}
