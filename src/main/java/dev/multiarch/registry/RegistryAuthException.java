package dev.multiarch.registry;

import java.io.IOException;

/**
 * Authentication failed inside okhttp's auth hooks (they may only throw IOException). The caller turns it into a
 * {@link RegistryException} with code UNAUTHORIZED. The message never holds a secret.
 */
final class RegistryAuthException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String code;

    RegistryAuthException(String code, String message) {
        super(message);
        this.code = code;
    }

    String code() {
        return code;
    }
}
