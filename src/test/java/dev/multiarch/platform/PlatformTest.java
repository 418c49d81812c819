package dev.multiarch.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PlatformTest {

    @ParameterizedTest(name = "{0} normalises to {1}")
    @CsvSource({
        "linux/x86_64, linux/amd64",
        "linux/x86-64, linux/amd64",
        "linux/amd64/v1, linux/amd64",
        "linux/amd64/v3, linux/amd64/v3",
        "linux/aarch64, linux/arm64",
        "linux/arm64/v8, linux/arm64",
        "linux/arm64/armv8, linux/arm64",
        "linux/aarch64/v8, linux/arm64",
        "linux/armhf, linux/arm/v7",
        "linux/armel, linux/arm/v6",
        "linux/arm, linux/arm/v7",
        "linux/arm/armv7l, linux/arm/v7",
        "linux/arm/7, linux/arm/v7",
        "linux/arm/v5, linux/arm/v5",
        "linux/i386, linux/386",
        "linux/ppc64el, linux/ppc64le",
        "LINUX/S390X, linux/s390x",
    })
    void normalize_followsContainerd(String given, String expected) {
        assertEquals(expected, Platform.parse(given).normalize().shortForm());
    }

    @Test
    void matches_comparesNormalisedForms() {
        assertTrue(Platform.parse("linux/arm64/v8").matches(Platform.parse("linux/aarch64")));
        assertTrue(Platform.parse("linux/arm").matches(Platform.parse("linux/arm/v7")));
        assertFalse(Platform.parse("linux/arm/v6").matches(Platform.parse("linux/arm/v7")));
        assertFalse(Platform.parse("linux/amd64").matches(Platform.parse("windows/amd64")));
    }

    @Test
    void matches_windowsOsVersionsAreDistinct() {
        Platform ltsc2019 = new Platform("windows", "amd64", "", "10.0.17763.5576", List.of(), List.of());
        Platform ltsc2022 = new Platform("windows", "amd64", "", "10.0.20348.2340", List.of(), List.of());
        assertFalse(ltsc2019.matches(ltsc2022));
        assertTrue(ltsc2022.matches(ltsc2022));
    }

    @Test
    void normalize_writesNothingBack() {
        Platform p = Platform.parse("linux/arm64/v8");
        p.normalize();
        assertEquals("linux/arm64/v8", p.shortForm());
        assertEquals("linux/arm64/v8", p.validate().shortForm(), "validate keeps the variant as given");
    }

    @Test
    void validate_legacyVariantSpellings() {
        assertEquals("v8", Platform.of("linux", "arm64", "armv8").validate().variant());
        assertEquals("v7", Platform.of("linux", "arm", "armv7l").validate().variant());
        assertEquals("arm", Platform.of("linux", "armhf", "").validate().architecture());
        assertEquals("v7", Platform.of("linux", "armhf", "").validate().variant());
    }

    @Test
    void validate_unknownArchitecture_namesFieldAndNearest() {
        InvalidPlatformException e =
                assertThrows(InvalidPlatformException.class, () -> Platform.of("linux", "amd46", "")
                        .validate());
        assertEquals("architecture", e.field());
        assertTrue(e.getMessage().contains("'amd46' is not a known architecture"), e.getMessage());
        assertTrue(e.getMessage().contains("amd64"), e.getMessage());
    }

    @Test
    void validate_unknownOs_namesFieldAndNearest() {
        InvalidPlatformException e = assertThrows(InvalidPlatformException.class, () -> Platform.parse("linx/amd64")
                .validate());
        assertEquals("os", e.field());
        assertTrue(e.getMessage().contains("nearest valid: linux"), e.getMessage());
    }

    @Test
    void validate_variantOfWrongArchitecture_listsValidVariants() {
        InvalidPlatformException e = assertThrows(InvalidPlatformException.class, () -> Platform.parse("linux/arm64/v7")
                .validate());
        assertEquals("variant", e.field());
        assertTrue(e.getMessage().contains("'v7' is not a variant of arm64; valid: v8"), e.getMessage());
    }

    @Test
    void validate_variantOnArchitectureWithoutVariants() {
        InvalidPlatformException e = assertThrows(InvalidPlatformException.class, () -> Platform.parse("linux/s390x/v2")
                .validate());
        assertTrue(e.getMessage().contains("s390x has no variants"), e.getMessage());
    }

    @Test
    void validate_ociVariantTable() {
        for (String ok : List.of(
                "linux/ppc64le/power9",
                "linux/riscv64/rva22u64",
                "linux/amd64/v3",
                "linux/arm64/v8.2",
                "linux/arm/v5",
                "linux/arm/v8")) {
            assertEquals(ok, Platform.parse(ok).validate().shortForm());
        }
    }

    @Test
    void parse_rejectsMalformed() {
        for (String bad : List.of("linux", "linux/", "/amd64", "linux/arm/v7/extra", "")) {
            InvalidPlatformException e = assertThrows(InvalidPlatformException.class, () -> Platform.parse(bad));
            assertTrue(e.getMessage().contains("os/arch"), e.getMessage());
        }
    }
}
