package dev.multiarch.registry;

import static dev.multiarch.testing.Fuzzing.check;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.multiarch.testing.Fuzzing;
import java.util.Optional;
import okhttp3.HttpUrl;

/**
 * Image references come from {@code .multiarch.yaml} ({@code image:}), manifest-tool specs and the command line.
 * {@link ImageReference#parse} answers or throws IllegalArgumentException with a message; what it accepts prints
 * and reads back as itself, and names a registry that can be addressed (an okhttp URL), so that nothing it lets
 * through fails later, far from the file that said it.
 */
class ImageReferenceFuzzTest {
    @FuzzTest(maxDuration = "3m")
    void parse(byte[] data) {
        String text = Fuzzing.text(data);
        Optional<ImageReference> parsed =
                Fuzzing.parse(() -> ImageReference.parse(text), IllegalArgumentException.class);
        if (parsed.isEmpty()) {
            return;
        }
        ImageReference r = parsed.get();
        check(ImageReference.parse(r.toString()).equals(r), text + " printed as " + r + ", which reads back otherwise");
        check(
                HttpUrl.parse("https://" + r.apiHost() + "/v2/" + r.repository() + "/manifests/"
                                + r.manifestReference())
                        != null,
                "no URL for the registry of " + r);
        Fuzzing.parse(() -> r.withTag("latest"), IllegalArgumentException.class);
    }
}
