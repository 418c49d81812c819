package dev.multiarch.platform;

/** A platform that is malformed or names an unknown OS, architecture or variant. */
public final class InvalidPlatformException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String platform;
    private final String field;
    private final String reason;

    public InvalidPlatformException(String platform, String field, String reason) {
        super("invalid platform " + platform + ": " + field + " " + reason);
        this.platform = platform;
        this.field = field;
        this.reason = reason;
    }

    public String platform() {
        return platform;
    }

    /** Which field was wrong: os, architecture, variant, or platform (the whole text). */
    public String field() {
        return field;
    }

    public String reason() {
        return reason;
    }
}
