package jdlm.format;

import java.nio.file.Path;

/**
 * A model or data file that cannot be trusted: the message names the file, the field, what was
 * expected and what was found.
 */
public final class FormatException extends RuntimeException {

    public FormatException(Path file, String field, String expected, String found) {
        super(file + ": " + field + ": expected " + expected + ", found " + found);
    }

    public FormatException(Path file, String message, Throwable cause) {
        super(file + ": " + message, cause);
    }
}
