package dev.multiarch.platform;

import static dev.multiarch.testing.Fuzzing.check;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.multiarch.testing.Fuzzing;
import java.util.Optional;

/**
 * Platforms come from {@code .multiarch.yaml}, manifest-tool specs, registry indexes and image configs. Whatever the
 * text, {@link Platform#parse}, {@link Platform#validate} and {@link Platform#normalize} answer or throw
 * {@link InvalidPlatformException}; and the one normalisation path is stable: normalising twice changes nothing,
 * and a validated platform written out and read back is the same platform.
 *
 * <p>{@code mvn test} runs the seeds under {@code PlatformFuzzTestInputs/}; {@code JAZZER_FUZZ=1} fuzzes
 * (docs/fuzzing.md).
 */
class PlatformFuzzTest {
    @FuzzTest(maxDuration = "3m")
    void parseValidateNormalize(byte[] data) {
        String text = Fuzzing.text(data);
        Optional<Platform> parsed = Fuzzing.parse(() -> Platform.parse(text), InvalidPlatformException.class);
        if (parsed.isEmpty()) {
            return;
        }
        Platform p = parsed.get();
        Platform n = p.normalize();
        check(n.normalize().equals(n), "normalize is not idempotent for " + p);
        check(p.matches(n), p + " does not match its own normal form " + n);
        check(p.format().startsWith(p.shortForm()), "format of " + p);
        Optional<Platform> valid = Fuzzing.parse(p::validate, InvalidPlatformException.class);
        if (valid.isEmpty()) {
            return;
        }
        Platform v = valid.get();
        check(v.validate().equals(v), "validate is not idempotent for " + p);
        check(v.matches(p), v + " no longer matches " + p);
        Platform again = Platform.parse(v.shortForm()).validate();
        check(again.equals(v), v.shortForm() + " read back as " + again);
    }
}
