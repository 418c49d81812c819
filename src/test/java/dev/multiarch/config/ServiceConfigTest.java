package dev.multiarch.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The operator's files: a typo is a ConfigException naming the line, never a stack trace at start-up. */
class ServiceConfigTest {
    private static final String SECRET = "runners: {registration-secret: 0123456789abcdef0123}\n";

    /** Found while writing ServiceConfigFuzzTest: paths with a NUL character threw InvalidPathException. */
    @Test
    void nulInAPath_namesTheLine() {
        ConfigException store = assertThrows(
                ConfigException.class,
                () -> ServiceConfig.parse(
                        "config.yaml", SECRET + "store: {path: \"\\0\"}\n", Map.of(), Path.of("/srv")));
        assertEquals(
                "config.yaml:2: store.path: '\\0' is not a valid path: Nul character not allowed", store.getMessage());
        ConfigException dockerConfig = assertThrows(
                ConfigException.class,
                () -> ServiceConfig.parse(
                        "config.yaml",
                        SECRET + "registries:\n  - host: r.example\n    docker-config: \"a\\0\"\n",
                        Map.of(),
                        Path.of("/srv")));
        assertEquals(4, dockerConfig.line());
        ConfigException workDir = assertThrows(
                ConfigException.class,
                () -> RunnerConfig.parse(
                        "runner.yaml",
                        "coordinator: http://c.example\nregistration-secret: s\nwork-dir: \"\\0\"\n",
                        Map.of(),
                        Path.of("/srv")));
        assertEquals(
                "runner.yaml:3: work-dir: '\\0' is not a valid path: Nul character not allowed", workDir.getMessage());
    }

    @Test
    void endlessLease_isRefused() {
        ConfigException e = assertThrows(
                ConfigException.class,
                () -> ServiceConfig.parse(
                        "config.yaml",
                        "runners: {registration-secret: 0123456789abcdef0123, lease: 99999999999999h}\n",
                        Map.of(),
                        Path.of("/srv")));
        assertEquals(
                "config.yaml:1: runners.lease: '99999999999999h' is too long; at most 366 days (8784h)",
                e.getMessage());
    }
}
