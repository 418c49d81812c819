package dev.multiarch.web;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.multiarch.base.Json;
import dev.multiarch.store.JobState;
import dev.multiarch.store.PublicationState;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The view's typed states are written as the words the API and the pages have always shown. */
class BuildViewTest {
    @Test
    void jobStatesAreWrittenAsTheirWords() {
        for (JobState s : JobState.values()) {
            BuildView.JobView j =
                    new BuildView.JobView(1, "linux/amd64", s, null, 1, null, null, null, null, null, null, Map.of());
            assertEquals(
                    "{\"id\":1,\"platform\":\"linux/amd64\",\"state\":\"" + s.word() + "\",\"runner\":null,"
                            + "\"attempt\":1,\"digest\":null,\"size\":null,\"error\":null,\"startedAt\":null,"
                            + "\"finishedAt\":null,\"seconds\":null,\"timings\":{}}",
                    Json.writeString(j));
        }
    }

    @Test
    void registryStatesAreWrittenAsTheirWords() {
        for (PublicationState s : PublicationState.values()) {
            BuildView.RegistryView r = new BuildView.RegistryView("a/b", s, null, null, null);
            assertEquals(
                    "{\"image\":\"a/b\",\"state\":\"" + s.word()
                            + "\",\"indexDigest\":null,\"error\":null,\"updatedAt\":null}",
                    Json.writeString(r));
        }
    }

    @Test
    void registryRowsSayEachOutcome() {
        String rows = RegistryOutcomes.rows(List.of(
                new BuildView.RegistryView("a/b", PublicationState.PUBLISHED, "sha256:ab", null, null),
                new BuildView.RegistryView("c/d", PublicationState.FAILED, null, "<denied>", null),
                new BuildView.RegistryView("e/f", PublicationState.PENDING, null, null, null)));
        assertEquals(
                "<tr class=registry><th>a/b</th><td><span class=published>published</span> <code>sha256:ab</code>"
                        + "</td></tr><tr class=registry><th>c/d</th><td><span class=failed>failed</span>: &lt;denied&gt;"
                        + "</td></tr><tr class=registry><th>e/f</th><td><span class=pending>pending</span></td></tr>",
                rows);
    }
}
