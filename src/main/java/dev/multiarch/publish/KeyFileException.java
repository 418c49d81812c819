package dev.multiarch.publish;

/**
 * A key file that cannot be used: not PEM, a format or curve we do not sign with, a wrong password. The message names
 * the file and what to do, never the password nor key material.
 */
public final class KeyFileException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public KeyFileException(String message) {
        super(message);
    }

    public KeyFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
