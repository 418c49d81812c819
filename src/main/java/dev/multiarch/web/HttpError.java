package dev.multiarch.web;

/**
 * A request the server refuses, with the status and the one line the caller will read. Thrown from handler work and
 * answered by {@link Replies#failure}; no stack trace, since nothing went wrong on our side.
 */
final class HttpError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final int status;

    HttpError(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }
}
