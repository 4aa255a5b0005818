package jdlm.model.interop;

import java.nio.file.Path;
import java.util.Map;

import jdlm.format.FormatException;

/**
 * Typed, validated reads from a parsed key/value map: a Hugging Face config.json or GGUF metadata
 * (integers as Long, floats as Double). Every bad or missing value is a {@link FormatException}
 * naming the file and the key.
 */
final class KeyValues {
    /** Longest context an imported config may declare (see {@link #contextLength}). */
    static final int MAX_CONTEXT = 1 << 18;

    private final Path file;
    private final Map<String, Object> values;

    KeyValues(Path file, Map<String, Object> values) {
        this.file = file;
        this.values = values;
    }

    Path file() { return file; }

    /** Present and not JSON null. */
    boolean has(String key) { return values.get(key) != null; }

    /** A required positive integer that fits an int. */
    int positiveInt(String key) {
        Object v = values.get(key);
        if (!(v instanceof Long n) || n < 1 || n > Integer.MAX_VALUE) {
            throw new FormatException(file, key, "a positive integer", describe(v));
        }
        return (int) (long) n;
    }

    /**
     * A context length: the rotary tables are sized by it, so an absurd value would be an
     * allocation sized by the file. 2¹⁸ positions covers the released models (Dream: 131072).
     */
    int contextLength(String key) {
        int n = positiveInt(key);
        if (n > MAX_CONTEXT) throw new FormatException(file, key, "at most " + MAX_CONTEXT + " positions", String.valueOf(n));
        return n;
    }

    int positiveInt(String key, int fallback) {
        return has(key) ? positiveInt(key) : fallback;
    }

    /** A non-negative integer that fits an int, or null when absent. */
    Integer optionalId(String key) {
        Object v = values.get(key);
        if (v == null) return null;
        if (!(v instanceof Long n) || n < 0 || n > Integer.MAX_VALUE) throw new FormatException(file, key, "a token id", describe(v));
        return (int) (long) n;
    }

    /** A finite positive number (integers accepted), or {@code fallback} when absent. */
    double positiveNumber(String key, double fallback) {
        Object v = values.get(key);
        if (v == null) return fallback;
        if (!(v instanceof Number n) || !(n.doubleValue() > 0) || Double.isInfinite(n.doubleValue())) {
            throw new FormatException(file, key, "a positive number", describe(v));
        }
        return n.doubleValue();
    }

    boolean flag(String key, boolean fallback) {
        Object v = values.get(key);
        if (v == null) return fallback;
        if (!(v instanceof Boolean b)) throw new FormatException(file, key, "true or false", describe(v));
        return b;
    }

    String string(String key) {
        Object v = values.get(key);
        if (!(v instanceof String s)) throw new FormatException(file, key, "a string", describe(v));
        return s;
    }

    /** Refuses a setting jdlm does not implement: absent is fine, present must equal {@code supported}. */
    void require(String key, Object supported, String why) {
        Object v = values.get(key);
        if (v != null && !v.equals(supported)) {
            throw new FormatException(file, key, supported + " (" + why + ")", describe(v));
        }
    }

    private static String describe(Object v) {
        if (v == null) return "nothing (the key is missing)";
        String s = String.valueOf(v);
        return (s.length() > 80 ? s.substring(0, 80) + "…" : s) + " (" + v.getClass().getSimpleName() + ")";
    }
}
