package dev.multiarch.config;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunnerConfigTest {
    private static final String BASE =
            "coordinator: http://c:8080\nregistration-secret: s\nnative: [linux/amd64]\nqemu: []\n";

    private static RunnerConfig parse(String extra) {
        return RunnerConfig.parse("runner.yaml", BASE + extra, Map.of(), Path.of("/srv"));
    }

    @Test
    void trustedAndRemoteOnly_byDefault() {
        RunnerConfig c = parse("");
        assertFalse(c.untrustedJobs());
        assertFalse(c.allowLocalSources());
    }

    @Test
    void untrustedJobs_andLocalSources_whenAsked() {
        RunnerConfig c = parse("untrusted-jobs: true\nallow-local-sources: true\n");
        assertTrue(c.untrustedJobs());
        assertTrue(c.allowLocalSources());
        assertTrue(c.toString().contains("untrusted jobs only"), c.toString());
    }

    @Test
    void jobs_autoByDefault_fromTheCores_orAsWritten() {
        int auto = RunnerConfig.defaultJobs(Runtime.getRuntime().availableProcessors());
        org.junit.jupiter.api.Assertions.assertEquals(auto, parse("").jobs());
        org.junit.jupiter.api.Assertions.assertEquals(
                auto, parse("jobs: auto\n").jobs());
        org.junit.jupiter.api.Assertions.assertEquals(3, parse("jobs: 3\n").jobs());
        org.junit.jupiter.api.Assertions.assertEquals(1, RunnerConfig.defaultJobs(1));
        ConfigException e = assertThrows(ConfigException.class, () -> parse("jobs: 0\n"));
        assertTrue(e.getMessage().contains("between 1 and 64"), e.getMessage());
    }

    @Test
    void untrustedJobs_needBuildah() {
        ConfigException e = assertThrows(ConfigException.class, () -> parse("driver: buildx\nuntrusted-jobs: true\n"));
        assertTrue(e.getMessage().contains("untrusted-jobs") && e.getMessage().contains("buildah"), e.getMessage());
    }

    @Test
    void theSampleRunnerConfigurationsParse_andOnlyUntrustedYamlTakesForks() throws Exception {
        Map<String, String> env =
                Map.of("MULTIARCH_RUNNER_SECRET", "trusted", "MULTIARCH_UNTRUSTED_RUNNER_SECRET", "forks");
        try (var files = java.nio.file.Files.list(Path.of("runners"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).toList()) {
                RunnerConfig c = RunnerConfig.parse(f.toString(), java.nio.file.Files.readString(f), env, Path.of("."));
                assertTrue(
                        c.untrustedJobs() == f.getFileName().toString().equals("untrusted.yaml"),
                        f + ": untrusted-jobs " + c.untrustedJobs());
                assertFalse(c.allowLocalSources(), f.toString());
                org.junit.jupiter.api.Assertions.assertEquals(
                        c.untrustedJobs() ? "forks" : "trusted",
                        c.registrationSecret(),
                        f + ": a runner for forks holds runners.untrusted-registration-secret, never the trusted one");
            }
        }
    }

    @Test
    void cacheSize_20GiBByDefault_parsedAsOtherSizes() {
        org.junit.jupiter.api.Assertions.assertEquals(20L << 30, parse("").cacheSize());
        org.junit.jupiter.api.Assertions.assertEquals(
                512L << 20, parse("cache-size: 512MiB\n").cacheSize());
        org.junit.jupiter.api.Assertions.assertEquals(
                0, parse("cache-size: 0\n").cacheSize());
        ConfigException e = assertThrows(ConfigException.class, () -> parse("cache-size: lots\n"));
        assertTrue(e.getMessage().contains("cache-size") && e.getMessage().contains("2GiB"), e.getMessage());
    }
}
