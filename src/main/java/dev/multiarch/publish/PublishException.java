package dev.multiarch.publish;

/** A list that cannot be published as asked: a wrong platform, a duplicate, a missing image. One readable line. */
public final class PublishException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public PublishException(String message) {
        super(message);
    }

    public PublishException(String message, Throwable cause) {
        super(message, cause);
    }
}
