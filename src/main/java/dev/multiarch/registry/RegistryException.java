package dev.multiarch.registry;

import dev.multiarch.platform.Platform;

/**
 * A registry operation that failed, with what people need to act on it: the action, the object, the registry's own
 * error code (OCI distribution-spec "Error Codes", or the HTTP status when the body had none), the digest and
 * platform concerned, and a hint. The message is one line, and never contains a credential.
 */
public class RegistryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String action;
    private final String target;
    private final String code;
    private final String detail;
    private final int httpStatus;
    private final String digest;
    private final Platform platform;
    private final String hint;

    private RegistryException(Builder b, Throwable cause) {
        super(render(b), cause);
        this.action = b.action;
        this.target = b.target;
        this.code = b.code;
        this.detail = b.detail;
        this.httpStatus = b.httpStatus;
        this.digest = b.digest;
        this.platform = b.platform;
        this.hint = b.hint;
    }

    public static Builder builder(String action, String target) {
        return new Builder(action, target);
    }

    /** A copy that also names the digest and platform this failure concerns, with {@code extraHint} added. */
    public RegistryException concerning(Digest d, Platform p, String extraHint) {
        Builder b = toBuilder();
        if (d != null && b.digest == null) {
            b.digest = d.toString();
        }
        if (p != null && b.platform == null) {
            b.platform = p;
        }
        if (extraHint != null) {
            b.hint = b.hint == null ? extraHint : b.hint + "; " + extraHint;
        }
        return b.build(getCause());
    }

    public Builder toBuilder() {
        Builder b = new Builder(action, target);
        b.code = code;
        b.detail = detail;
        b.httpStatus = httpStatus;
        b.digest = digest;
        b.platform = platform;
        b.hint = hint;
        return b;
    }

    public String action() {
        return action;
    }

    public String target() {
        return target;
    }

    /** The registry's error code (e.g. MANIFEST_BLOB_UNKNOWN), "HTTP 502", or a local code (UNREACHABLE, DIGEST_MISMATCH). */
    public String code() {
        return code;
    }

    public String detail() {
        return detail;
    }

    /** 0 when no HTTP answer was had. */
    public int httpStatus() {
        return httpStatus;
    }

    public String digest() {
        return digest;
    }

    public Platform platform() {
        return platform;
    }

    public String hint() {
        return hint;
    }

    private static String render(Builder b) {
        StringBuilder s = new StringBuilder("Tried to ")
                .append(b.action)
                .append(' ')
                .append(b.target)
                .append(" but failed because: ")
                .append(b.code == null ? "error" : b.code);
        if (b.detail != null && !b.detail.isBlank()) {
            s.append(' ').append(b.detail.replace('\n', ' '));
        }
        if (b.digest != null && (b.detail == null || !b.detail.contains(b.digest))) {
            s.append(' ').append(b.digest);
        }
        if (b.platform != null) {
            s.append(" (").append(b.platform.shortForm()).append(')');
        }
        if (b.hint != null && !b.hint.isBlank()) {
            s.append(" — ").append(b.hint);
        }
        return s.toString();
    }

    /** Builds a RegistryException; required fields in the constructor, the rest optional. */
    public static final class Builder {
        private final String action;
        private final String target;
        private String code;
        private String detail;
        private int httpStatus;
        private String digest;
        private Platform platform;
        private String hint;

        private Builder(String action, String target) {
            this.action = action;
            this.target = target;
        }

        public Builder code(String c) {
            this.code = c;
            return this;
        }

        public Builder detail(String d) {
            this.detail = d;
            return this;
        }

        public Builder httpStatus(int s) {
            this.httpStatus = s;
            return this;
        }

        public Builder digest(Digest d) {
            this.digest = d == null ? null : d.toString();
            return this;
        }

        public Builder platform(Platform p) {
            this.platform = p;
            return this;
        }

        public Builder hint(String h) {
            this.hint = h;
            return this;
        }

        public RegistryException build() {
            return new RegistryException(this, null);
        }

        public RegistryException build(Throwable cause) {
            return new RegistryException(this, cause);
        }
    }
}
