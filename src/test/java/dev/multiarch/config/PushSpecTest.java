package dev.multiarch.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class PushSpecTest {
    static String fixture(String name) {
        try (InputStream in = PushSpecTest.class.getResourceAsStream("/manifest-tool/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("REGISTRY", "reg.example:5000");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static PushSpec parse(String name) {
        return PushSpec.parse(name, fixture(name));
    }

    @Test
    void readmeV2_tags() {
        PushSpec s = parse("readme-v2.yaml");
        assertEquals("reg.example:5000/someimage:latest", s.image().toString());
        assertEquals(List.of("1.0.0", "1.0", "1"), s.tags(), "numeric-looking tags stay text");
        assertEquals(2, s.sources().size());
        assertEquals("linux/arm64", s.sources().get(0).platform().shortForm());
    }

    @Test
    void readmeV1_featuresAndOtherRepository() {
        PushSpec s = parse("readme-v1.yaml");
        assertEquals("someimage_ppc64le", s.sources().get(0).image().repository());
        assertEquals(List.of("sse"), s.sources().get(1).platform().features());
    }

    @Test
    void seedTalk_legacyArmv8Variant() {
        PushSpec s = parse("seed-talk.yaml");
        assertEquals(4, s.sources().size());
        Source aarch64 = s.sources().get(3);
        assertEquals("aarch64/debian", aarch64.image().repository());
        assertEquals("v8", aarch64.platform().variant(), "armv8 is read as v8");
    }

    @Test
    void variants_armSideBySide() {
        PushSpec s = parse("variants.yaml");
        assertEquals(
                List.of("linux/arm/v6", "linux/arm/v7", "linux/arm64/v8", "linux/amd64"),
                s.sources().stream().map(x -> x.platform().shortForm()).toList());
    }

    @Test
    void annotations_read() {
        PushSpec s = parse("annotations-oci.yaml");
        assertEquals("someimage", s.annotations().get("org.opencontainers.image.title"));
        assertEquals("https://github.com/acme/someimage", s.annotations().get("org.opencontainers.image.source"));
    }

    @Test
    void windows_osversionAndOsfeatures_manifestToolSpelling() {
        PushSpec s = parse("windows.yaml");
        assertEquals("10.0.20348.2340", s.sources().get(0).platform().osVersion());
        assertEquals(List.of("win32k"), s.sources().get(0).platform().osFeatures());
    }

    @Test
    void windows_dottedSpellingAccepted() {
        PushSpec s = PushSpec.parse("w.yaml", """
                image: reg.example/w:1
                manifests:
                  - image: reg.example/w:ltsc
                    platform: {os: windows, architecture: amd64, os.version: 10.0.17763.1, os.features: [win32k]}
                """);
        assertEquals("10.0.17763.1", s.sources().get(0).platform().osVersion());
    }

    @Test
    void platformOptional() {
        PushSpec s = PushSpec.parse("p.yaml", "image: reg.example/a:1\nmanifests:\n  - image: reg.example/a:amd64\n");
        assertNull(s.sources().get(0).platform());
    }

    @Test
    void badArch_refusedWithLineFieldAndNearest() {
        ConfigException e = assertThrows(ConfigException.class, () -> parse("bad-arch.yaml"));
        assertEquals("bad-arch.yaml", e.file());
        assertEquals(4, e.line());
        assertEquals("manifests[0].platform.architecture", e.field());
        assertTrue(
                e.getMessage().contains("'amd46' is not a known architecture; nearest valid: amd64"), e.getMessage());
        assertTrue(e.getMessage().startsWith("bad-arch.yaml:4: manifests[0].platform.architecture:"), e.getMessage());
    }

    @Test
    void badVariant_refusedListingValidVariants() {
        ConfigException e = assertThrows(ConfigException.class, () -> parse("bad-variant.yaml"));
        assertEquals("manifests[0].platform.variant", e.field());
        assertTrue(e.getMessage().contains("'v7' is not a variant of arm64; valid: v8"), e.getMessage());
    }

    @Test
    void badDuplicate_refusedNamingBothEntries() {
        ConfigException e = assertThrows(ConfigException.class, () -> parse("bad-duplicate.yaml"));
        assertTrue(e.getMessage().contains("duplicate platform linux/amd64"), e.getMessage());
        assertTrue(e.getMessage().contains("manifests[0] (line 3)"), e.getMessage());
        assertEquals(6, e.line());
    }

    @Test
    void unknownKey_refused() {
        ConfigException e = assertThrows(
                ConfigException.class,
                () -> PushSpec.parse(
                        "t.yaml",
                        "image: reg.example/a:1\nmanifests:\n  - image: reg.example/a:x\n    platfrom: {os: linux, architecture: amd64}\n"));
        assertTrue(e.getMessage().contains("t.yaml:4: manifests[0].platfrom: unknown key 'platfrom'"), e.getMessage());
    }

    @Test
    void notYaml_refusedWithLine() {
        ConfigException e = assertThrows(
                ConfigException.class,
                () -> PushSpec.parse("t.yaml", "image: reg.example/a:1\nmanifests: [\n  - : :\n"));
        assertTrue(e.getMessage().contains("not valid YAML"), e.getMessage());
        assertTrue(e.line() > 0);
    }

    @Test
    void missingManifests_refused() {
        ConfigException e =
                assertThrows(ConfigException.class, () -> PushSpec.parse("t.yaml", "image: reg.example/a:1\n"));
        assertTrue(e.getMessage().contains("manifests: expected a non-empty list"), e.getMessage());
    }

    @Test
    void fromArgs_templateWords() {
        PushSpec s = PushSpec.fromArgs(
                List.of("linux/amd64", "linux/arm/v7", "linux/arm64/v8"),
                "reg.example/img:OS-ARCH-VARIANT",
                "reg.example/img:1.0",
                List.of("1", "latest"));
        assertEquals(
                List.of(
                        "reg.example/img:linux-amd64",
                        "reg.example/img:linux-arm-v7",
                        "reg.example/img:linux-arm64-v8"),
                s.sources().stream().map(x -> x.image().toString()).toList());
        assertEquals(List.of("1", "latest"), s.tags());
    }

    @Test
    void fromArgs_badPlatformOrTemplate_refused() {
        ConfigException a = assertThrows(
                ConfigException.class,
                () -> PushSpec.fromArgs(List.of("linux/amd46"), "r.example/i:ARCH", "r.example/i:1", List.of()));
        assertTrue(a.getMessage().contains("--platforms"), a.getMessage());
        ConfigException b = assertThrows(
                ConfigException.class,
                () -> PushSpec.fromArgs(List.of("linux/amd64"), "r.example/i:fixed", "r.example/i:1", List.of()));
        assertTrue(b.getMessage().contains("none of the words OS, ARCH, VARIANT"), b.getMessage());
        ConfigException c = assertThrows(
                ConfigException.class,
                () -> PushSpec.fromArgs(
                        List.of("linux/arm64", "linux/aarch64"), "r.example/i:ARCH", "r.example/i:1", List.of()));
        assertTrue(c.getMessage().contains("duplicate platform"), c.getMessage());
    }
}
