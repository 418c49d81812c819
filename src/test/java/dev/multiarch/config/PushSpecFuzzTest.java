package dev.multiarch.config;

import static dev.multiarch.testing.Fuzzing.check;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.multiarch.testing.Fuzzing;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * manifest-tool push specs ({@code multiarch push from-spec}). {@link PushSpec#parse} answers or throws
 * {@link ConfigException}; an accepted spec has sources, and no two of them declare the same platform.
 */
class PushSpecFuzzTest {
    @FuzzTest(maxDuration = "3m")
    void parse(byte[] data) {
        String text = Fuzzing.text(data);
        Optional<PushSpec> spec = Fuzzing.parse(() -> PushSpec.parse("spec.yaml", text), ConfigException.class);
        if (spec.isEmpty()) {
            return;
        }
        check(!spec.get().sources().isEmpty(), "a spec without sources");
        Set<String> platforms = new HashSet<>();
        for (Source s : spec.get().sources()) {
            if (s.platform() != null) {
                check(platforms.add(s.platform().key()), "two sources declare " + s.platform());
            }
        }
    }
}
