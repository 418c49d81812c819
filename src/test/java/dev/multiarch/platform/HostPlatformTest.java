package dev.multiarch.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class HostPlatformTest {
    private static final String RPI3_32BIT = """
            processor	: 0
            model name	: ARMv7 Processor rev 4 (v7l)
            Features	: half thumb fastmult vfp edsp neon vfpv3 tls vfpv4 idiva idivt vfpd32 lpae evtstrm crc32
            CPU implementer	: 0x41
            CPU architecture: 7
            """;
    private static final String ARMV6 = "processor\t: 0\nCPU architecture: 6\n";
    private static final String AARCH32_ON_V8 = "processor\t: 0\nCPU architecture: 8\n";

    @Test
    void fromFacts_readsArmVariantFromCpuinfo() {
        assertEquals(
                "linux/arm/v7",
                HostPlatform.fromFacts("Linux", "armv7l", RPI3_32BIT).shortForm());
        assertEquals(
                "linux/arm/v6", HostPlatform.fromFacts("Linux", "armv7l", ARMV6).shortForm());
        assertEquals(
                "linux/arm/v8",
                HostPlatform.fromFacts("Linux", "armv8l", AARCH32_ON_V8).shortForm());
    }

    @Test
    void fromFacts_fallsBackToUnameWhenCpuinfoLacksTheLine() {
        assertEquals(
                "linux/arm/v7", HostPlatform.fromFacts("Linux", "armv7l", "").shortForm());
        assertEquals(
                "linux/arm/v6",
                HostPlatform.fromFacts("Linux", "armv6l", "processor: 0\n").shortForm());
    }

    @Test
    void fromFacts_mapsUnameMachines() {
        assertEquals(
                "linux/amd64", HostPlatform.fromFacts("Linux", "x86_64", "").shortForm());
        assertEquals(
                "linux/arm64",
                HostPlatform.fromFacts("Linux", "aarch64", AARCH32_ON_V8).shortForm());
        assertEquals(
                "linux/ppc64le", HostPlatform.fromFacts("Linux", "ppc64le", "").shortForm());
        assertEquals("linux/s390x", HostPlatform.fromFacts("Linux", "s390x", "").shortForm());
        assertEquals("linux/386", HostPlatform.fromFacts("Linux", "i686", "").shortForm());
    }

    @Test
    void detect_onThisMachine_isAValidPlatform() {
        Platform p = HostPlatform.detect();
        assertEquals(p.shortForm(), p.validate().shortForm());
        String jvmArch = System.getProperty("os.arch");
        if (jvmArch.equals("amd64")) {
            assertEquals("linux/amd64", p.shortForm());
        }
    }

    @Test
    void runsNatively_amd64Runs386() {
        List<String> runs = HostPlatform.runsNatively(Platform.parse("linux/amd64"), false).stream()
                .map(Platform::shortForm)
                .toList();
        assertEquals(List.of("linux/amd64", "linux/386"), runs);
    }

    @Test
    void runsNatively_arm64RunsArm32OnlyWithAArch32() {
        List<String> with = HostPlatform.runsNatively(Platform.parse("linux/arm64"), true).stream()
                .map(Platform::shortForm)
                .toList();
        assertTrue(with.containsAll(
                List.of("linux/arm64", "linux/arm/v8", "linux/arm/v7", "linux/arm/v6", "linux/arm/v5")));
        List<String> without = HostPlatform.runsNatively(Platform.parse("linux/aarch64"), false).stream()
                .map(Platform::shortForm)
                .toList();
        assertEquals(List.of("linux/arm64"), without);
        assertFalse(without.contains("linux/arm/v7"));
    }

    @Test
    void runsNatively_armV7RunsOlderArm() {
        List<String> runs = HostPlatform.runsNatively(Platform.parse("linux/arm/v7"), false).stream()
                .map(Platform::shortForm)
                .toList();
        assertEquals(List.of("linux/arm/v7", "linux/arm/v6", "linux/arm/v5"), runs);
    }
}
