package dev.multiarch.config;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.multiarch.testing.Fuzzing;
import java.nio.file.Path;
import java.util.Map;

/**
 * The coordinator's {@code config.yaml} and a runner's {@code runner.yaml}: written by the operator, not by strangers,
 * but a typo must still be a {@link ConfigException} naming the line, never a stack trace at start-up.
 */
class ServiceConfigFuzzTest {
    private static final Map<String, String> ENV =
            Map.of("MULTIARCH_RUNNER_SECRET", "0123456789abcdef0123", "REG_PASS", "p");

    @FuzzTest(maxDuration = "3m")
    void service(byte[] data) {
        String text = Fuzzing.text(data);
        Fuzzing.parse(() -> ServiceConfig.parse("config.yaml", text, ENV, Path.of("/srv")), ConfigException.class)
                .ifPresent(c -> {
                    // The secret's text may also be in a field that is shown (the fuzzer wrote it into the host once,
                    // having seen it in this very check): only then may it appear.
                    String shown = c.host() + c.publicUrl() + c.dataDir() + c.registries();
                    Fuzzing.check(
                            !c.toString().contains(c.runnerSecret()) || shown.contains(c.runnerSecret()),
                            "the secret is printed");
                });
    }

    @FuzzTest(maxDuration = "3m")
    void runner(byte[] data) {
        String text = Fuzzing.text(data);
        Fuzzing.parse(() -> RunnerConfig.parse("runner.yaml", text, ENV, Path.of("/srv")), ConfigException.class);
    }
}
