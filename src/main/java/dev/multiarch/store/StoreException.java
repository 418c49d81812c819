package dev.multiarch.store;

/** The store failed (disk, lock, SQL); the message says which operation. */
public final class StoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
