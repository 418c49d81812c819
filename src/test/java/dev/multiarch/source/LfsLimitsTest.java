package dev.multiarch.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a stranger's pointer files cannot make a runner do: parse a size past a long, fetch without bound. */
class LfsLimitsTest {
    @TempDir
    Path dir;

    private static final String OID = "a".repeat(64);

    private static byte[] pointer(String size) {
        return ("version https://git-lfs.github.com/spec/v1\noid sha256:" + OID + "\nsize " + size + "\n")
                .getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aSizeOfNineteenDigits_isNotAPointer_insteadOfFailingTheJobOddly() {
        assertNull(Lfs.pointer("big.bin", pointer("9999999999999999999")));
        assertEquals(
                999_999_999_999_999_999L,
                Lfs.pointer("ok.bin", pointer("999999999999999999")).size());
    }

    @Test
    void moreThanARunnerFetchesForOneCommit_isRefusedBeforeGitLfsRuns() throws Exception {
        Path notThere = dir.resolve("no-git-lfs-here");
        List<Lfs.File> huge = List.of(
                new Lfs.File("model-1.bin", OID, Lfs.BYTES_MAX), new Lfs.File("model-2.bin", "b".repeat(64), 1));
        String why = Lfs.fetch(
                Files.createDirectories(dir.resolve("mirror.git")),
                CloneUrl.parse("https://github.com/acme/app.git", false),
                "c".repeat(40),
                null,
                notThere.toString(),
                huge,
                List.of(),
                null);
        assertTrue(why.contains("more than a runner fetches for one commit"), why);
    }

    @Test
    void whatIsHeldOfTheCommitAlready_countsAgainstItsBound() throws Exception {
        // Another context of the same commit fetched the big one: this context's small file would pass the bound alone.
        String why = Lfs.fetch(
                Files.createDirectories(dir.resolve("mirror.git")),
                CloneUrl.parse("https://github.com/acme/app.git", false),
                "c".repeat(40),
                null,
                dir.resolve("no-git-lfs-here").toString(),
                List.of(new Lfs.File("web/model.bin", "b".repeat(64), 1)),
                List.of(new Lfs.File("api/model.bin", OID, Lfs.BYTES_MAX)),
                null);
        assertTrue(why.contains("needs 2 file(s), " + (Lfs.BYTES_MAX + 1) + " bytes"), why);
    }
}
