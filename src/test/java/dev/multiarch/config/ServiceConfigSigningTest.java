package dev.multiarch.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code signing:} in {@code config.yaml}. */
class ServiceConfigSigningTest {
    private static final String BASE = "runners:\n  registration-secret: 0123456789abcdef0123\n";

    private static ServiceConfig parse(String yaml, Map<String, String> env) {
        return ServiceConfig.parse("config.yaml", BASE + yaml, env, Path.of("/etc/multiarch"));
    }

    @Test
    void signing_keyFileRelativeToTheConfig_passwordFromTheNamedVariable() {
        ServiceConfig c = parse(
                "signing:\n  key-file: keys/cosign.key\n  password-env: COSIGN_PASSWORD\n",
                Map.of("COSIGN_PASSWORD", "hunter2-but-longer"));
        ServiceConfig.Signing s = c.signing().orElseThrow();
        assertEquals(Path.of("/etc/multiarch/keys/cosign.key"), s.keyFile());
        assertEquals("hunter2-but-longer", new String(s.passwordChars()));
        assertFalse(c.toString().contains("hunter2"), c.toString());
        assertTrue(c.toString().contains("password from $COSIGN_PASSWORD"), c.toString());
    }

    @Test
    void noSigningSection_unsigned_andAnUnencryptedKeyNeedsNoPassword() {
        assertTrue(parse("", Map.of()).signing().isEmpty());
        assertEquals(
                0,
                parse("signing:\n  key-file: /k.pem\n", Map.of())
                        .signing()
                        .orElseThrow()
                        .passwordChars()
                        .length);
    }

    @Test
    void mistakes_namedWithLines() {
        assertEquals(
                "config.yaml:5: signing.password-env: environment variable COSIGN_PASSWORD is not set; it holds the"
                        + " signing key's password",
                assertThrows(
                                ConfigException.class,
                                () -> parse("signing:\n  key-file: k\n  password-env: COSIGN_PASSWORD\n", Map.of()))
                        .getMessage());
        assertEquals(
                "config.yaml:5: signing.password-env: expected the name of an environment variable (e.g."
                        + " COSIGN_PASSWORD), not its value",
                assertThrows(
                                ConfigException.class,
                                () -> parse("signing:\n  key-file: k\n  password-env: my secret!\n", Map.of()))
                        .getMessage());
        assertEquals(
                "config.yaml:3: signing.key-file: is required",
                assertThrows(ConfigException.class, () -> parse("signing:\n  password-env: X\n", Map.of("X", "y")))
                        .getMessage());
    }
}
