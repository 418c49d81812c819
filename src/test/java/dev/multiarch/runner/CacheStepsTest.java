package dev.multiarch.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CacheStepsTest {
    private static final String REPO = "127.0.0.1:5000/x/cache/linux-amd64";
    private static final String A = "9efaa3119e576be0c8a63149f93a369592caf1a68d4355653e1b99ae1153896b";
    private static final String B = "8652fc52572fb00d03ce5020253ed4af938d34b27c79ab4f7075dad7591c1043";

    @Test
    void collect_takesKeysOnlyFromLinesNamingTheJobsOwnCacheRepository() {
        Set<String> keys = new LinkedHashSet<>();
        // As buildah 1.28 prints them.
        CacheSteps.collect(BuildahDriver.PUSHED + REPO + ":" + A, REPO, keys);
        CacheSteps.collect(BuildahDriver.REMOTE_HIT + REPO + ":" + B, REPO, keys);
        // A RUN step can print anything: another repository's, or not a key at all.
        CacheSteps.collect(
                BuildahDriver.PUSHED + "127.0.0.1:5000/other/cache/linux-amd64:" + "c".repeat(64), REPO, keys);
        CacheSteps.collect(BuildahDriver.PUSHED + "evil" + REPO + ":" + "d".repeat(64), REPO, keys);
        CacheSteps.collect(BuildahDriver.PUSHED + REPO + ":latest", REPO, keys);
        CacheSteps.collect(BuildahDriver.PUSHED + REPO + ":" + "E".repeat(64), REPO, keys);
        assertEquals(List.of(A, B), List.copyOf(keys));
    }
}
