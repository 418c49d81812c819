package dev.multiarch.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.multiarch.base.ChildEnvironment;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What buildah (and through it a Dockerfile) gets from the runner's environment: the allow-list, nothing more. */
class ExecTest {
    private static final String CANARY = "MULTIARCH_TEST_CANARY";

    @Test
    void steps_runInTheCleanEnvironment_plusWhatTheJobSets() throws Exception {
        assumeTrue(System.getenv(CANARY) != null, "surefire sets the canary (pom.xml); without it this proves nothing");
        List<String> lines = new ArrayList<>();
        Exec.run(
                "env",
                List.of("env"),
                Map.of("REGISTRY_AUTH_FILE", "/job/registry-auth.json"),
                null,
                lines::add,
                Instant.now().plusSeconds(60),
                new Exec.Stop());
        assertTrue(lines.contains("REGISTRY_AUTH_FILE=/job/registry-auth.json"), lines.toString());
        for (String line : lines.subList(1, lines.size())) {
            String name = line.substring(0, line.indexOf('='));
            assertTrue(
                    ChildEnvironment.INHERITED.contains(name) || name.equals("REGISTRY_AUTH_FILE"),
                    name + " reached the step: " + lines);
        }
    }

    @Test
    void theDeadline_isMeasuredOnTheJobsClock_notTheSystemClock() throws Exception {
        // The job's clock says 2000: its deadline is a minute after that, whatever the system clock says.
        java.time.Clock year2000 =
                java.time.Clock.fixed(Instant.parse("2000-01-01T00:00:00Z"), java.time.ZoneOffset.UTC);
        List<String> lines = new ArrayList<>();
        Exec.run(
                "quick",
                List.of("sh", "-c", "echo ran"),
                Map.of(),
                null,
                lines::add,
                year2000.instant().plusSeconds(60),
                new Exec.Stop(year2000));
        assertEquals("ran", lines.get(lines.size() - 1));
    }

    @Test
    void anEndlessLineWithoutNewline_isPassedOnInBoundedPieces_andNothingIsLost() throws Exception {
        List<String> lines = new ArrayList<>();
        Exec.run(
                "flood",
                List.of("sh", "-c", "head -c 5000000 /dev/zero | tr '\\0' a; echo; echo done"),
                Map.of(),
                null,
                lines::add,
                Instant.now().plusSeconds(60),
                new Exec.Stop());
        assertEquals("done", lines.get(lines.size() - 1), "read on past the long line");
        long as = 0;
        for (String line : lines.subList(1, lines.size() - 1)) {
            assertTrue(line.length() <= Exec.MAX_LINE + Exec.CUT.length(), "a line of " + line.length());
            as += line.replace(Exec.CUT, "").chars().filter(c -> c == 'a').count();
        }
        assertEquals(5_000_000, as);
        assertTrue(lines.get(1).endsWith(Exec.CUT), "the cut is marked");
        assertEquals(5_000_000 / Exec.MAX_LINE + 1, lines.size() - 2);
    }

    @Test
    void lines_areCutBetweenUtf8Characters_andCrLfEndsOneLine() throws Exception {
        List<String> lines = new ArrayList<>();
        // 'é' is two bytes: with an odd number of ASCII bytes before, one would straddle the 64 KiB boundary.
        String text = "x" + "é".repeat(Exec.MAX_LINE) + "\r\nnext\rlast";
        Exec.lines(
                new java.io.ByteArrayInputStream(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)), lines::add);
        StringBuilder joined = new StringBuilder();
        for (String l : lines.subList(0, lines.size() - 2)) {
            assertFalse(l.contains("\uFFFD"), "no character split");
            joined.append(l.replace(Exec.CUT, ""));
        }
        assertEquals("x" + "é".repeat(Exec.MAX_LINE), joined.toString());
        assertEquals(List.of("next", "last"), lines.subList(lines.size() - 2, lines.size()));
    }

    @Test
    void captures_runInTheCleanEnvironmentToo() throws Exception {
        assumeTrue(System.getenv(CANARY) != null, "surefire sets the canary (pom.xml); without it this proves nothing");
        String out = Exec.capture(List.of("env"), Map.of());
        assertFalse(out.contains(CANARY), out);
    }
}
