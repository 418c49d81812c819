package dev.multiarch.config;

/** A file that cannot be used as written: {@code file:line: field: reason}. */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String file;
    private final int line;
    private final String field;
    private final String reason;

    public ConfigException(String file, int line, String field, String reason) {
        super(file + (line > 0 ? ":" + line : "") + ": " + (field.isEmpty() ? "" : field + ": ") + reason);
        this.file = file;
        this.line = line;
        this.field = field;
        this.reason = reason;
    }

    public String file() {
        return file;
    }

    /** 1-based; 0 when unknown. */
    public int line() {
        return line;
    }

    public String field() {
        return field;
    }

    public String reason() {
        return reason;
    }
}
