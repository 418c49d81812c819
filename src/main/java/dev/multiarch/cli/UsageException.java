package dev.multiarch.cli;

/** The command line itself is wrong (missing argument, unknown command): exit 2 with a hint to --help. */
final class UsageException extends RuntimeException {
    UsageException(String message) {
        super(message);
    }
}
