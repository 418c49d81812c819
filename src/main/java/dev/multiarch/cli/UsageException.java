package dev.multiarch.cli;

/** The command line itself is wrong (missing argument, unknown command): exit 2 with a hint to --help. */
final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
        super(message);
    }
}
