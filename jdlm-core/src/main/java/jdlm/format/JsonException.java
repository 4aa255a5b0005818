package jdlm.format;

/**
 * A JSON text that cannot be read (or a value that cannot be written). {@link #offset()} is the
 * character offset in the input where reading failed, or -1 when writing failed.
 */
public final class JsonException extends RuntimeException {
    private final long offset;

    public JsonException(String message, long offset) {
        super(message);
        this.offset = offset;
    }

    /** Character offset (0-based) of the problem in the parsed text; -1 for writer errors. */
    public long offset() {
        return offset;
    }
}
