package jdlm.format.gguf;

import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jdlm.format.FormatException;

/**
 * GGUF metadata: ordered key → value pairs, each with its {@link GgufValueType}. Java types of
 * the values: every integer type → {@code Long} (uint64 above 2⁶³−1 reads as a negative long:
 * use {@link Long#toUnsignedString(long)}), FLOAT32 / FLOAT64 → {@code Double}, BOOL →
 * {@code Boolean}, STRING → {@code String}, ARRAY → {@link GgufArray} (a {@code List<Object>}).
 *
 * <p>The typed getters throw a {@link FormatException} naming the file, the key, the type
 * expected and what was found; the variants with a default return it only when the key is
 * absent (a key of the wrong type is still an error). Metadata read from a file is read-only;
 * {@link #GgufMetadata(GgufMetadata)} makes a modifiable copy.
 */
public final class GgufMetadata {
    private final Path source;
    private final Map<String, Object> values = new LinkedHashMap<>();
    private final Map<String, GgufValueType> types = new HashMap<>();
    private boolean readOnly;

    /** Empty metadata to fill with {@code put} (for {@link GgufWriter}). */
    public GgufMetadata() {
        this.source = Path.of("(metadata)");
    }

    /** A modifiable copy. */
    public GgufMetadata(GgufMetadata other) {
        this.source = other.source;
        values.putAll(other.values);
        types.putAll(other.types);
    }

    /** Metadata being read from {@code file} (made read-only by the reader when done). */
    GgufMetadata(Path file) {
        this.source = file;
    }

    void freeze() { readOnly = true; }

    /**
     * Sets {@code key} to {@code value} of {@code type}: a {@code String} for STRING, a
     * {@code Boolean} for BOOL, a {@link GgufArray} for ARRAY, any {@code Number} for the float
     * types (FLOAT32 rounds it to float), an integral {@code Number} (Long, Integer, Short, Byte)
     * that fits the integer types. A key already present is replaced but keeps its position.
     */
    public GgufMetadata put(String key, GgufValueType type, Object value) {
        if (readOnly) throw new IllegalStateException("metadata read from " + source + " is read-only; copy it with new GgufMetadata(metadata)");
        if (key == null || type == null || value == null) throw new IllegalArgumentException("key, type and value must not be null");
        Object v = switch (type) {
            case STRING -> value instanceof String s ? s : null;
            case BOOL -> value instanceof Boolean b ? b : null;
            case ARRAY -> value instanceof GgufArray a ? a : null;
            case FLOAT32 -> value instanceof Number n ? (double) n.floatValue() : null;
            case FLOAT64 -> value instanceof Number n ? n.doubleValue() : null;
            default -> (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte)
                    && type.holds(((Number) value).longValue()) ? ((Number) value).longValue() : null;
        };
        if (v == null) throw new IllegalArgumentException(key + ": " + value + " (" + value.getClass().getSimpleName() + ") is not a " + type + " value");
        values.put(key, v);
        types.put(key, type);
        return this;
    }

    public GgufMetadata putString(String key, String value) { return put(key, GgufValueType.STRING, value); }

    public GgufMetadata putUInt32(String key, long value) { return put(key, GgufValueType.UINT32, value); }

    public GgufMetadata putFloat32(String key, double value) { return put(key, GgufValueType.FLOAT32, value); }

    public GgufMetadata putBool(String key, boolean value) { return put(key, GgufValueType.BOOL, value); }

    public GgufMetadata putArray(String key, GgufArray value) { return put(key, GgufValueType.ARRAY, value); }

    /** All values in file order (read-only view). */
    public Map<String, Object> asMap() { return Collections.unmodifiableMap(values); }

    public int size() { return values.size(); }

    public boolean has(String key) { return values.containsKey(key); }

    /** The value's type, or null when the key is absent. */
    public GgufValueType type(String key) { return types.get(key); }

    public String getString(String key) {
        return (String) require(key, GgufValueType.STRING, "a string");
    }

    public String getString(String key, String defaultValue) {
        return has(key) ? getString(key) : defaultValue;
    }

    /** Any integer type. */
    public long getLong(String key) {
        Object v = values.get(key);
        if (v == null || !types.get(key).isInteger()) throw wrong(key, "an integer");
        return (Long) v;
    }

    public long getLong(String key, long defaultValue) {
        return has(key) ? getLong(key) : defaultValue;
    }

    /** Any integer type whose value fits an int (sizes, counts, ids). */
    public int getInt(String key) {
        long v = getLong(key);
        if (v != (int) v || types.get(key) == GgufValueType.UINT64 && v < 0) throw wrong(key, "an integer that fits in 32 bits");
        return (int) v;
    }

    public int getInt(String key, int defaultValue) {
        return has(key) ? getInt(key) : defaultValue;
    }

    /** A float type, or an integer type widened to double. */
    public double getDouble(String key) {
        Object v = values.get(key);
        if (v == null || !(types.get(key).isFloat() || types.get(key).isInteger())) throw wrong(key, "a number");
        return ((Number) v).doubleValue();
    }

    public double getDouble(String key, double defaultValue) {
        return has(key) ? getDouble(key) : defaultValue;
    }

    public boolean getBoolean(String key) {
        return (Boolean) require(key, GgufValueType.BOOL, "a bool");
    }

    public boolean getBoolean(String key, boolean defaultValue) {
        return has(key) ? getBoolean(key) : defaultValue;
    }

    /** An array of any element type. */
    public GgufArray getList(String key) {
        return (GgufArray) require(key, GgufValueType.ARRAY, "an array");
    }

    public GgufArray getList(String key, GgufArray defaultValue) {
        return has(key) ? getList(key) : defaultValue;
    }

    /** An array of strings (e.g. {@code tokenizer.ggml.tokens}). */
    public List<String> getStrings(String key) {
        GgufArray a = getList(key);
        if (a.elementType() != GgufValueType.STRING) throw wrong(key, "an array of strings");
        return a.strings();
    }

    private Object require(String key, GgufValueType type, String expected) {
        if (types.get(key) != type) throw wrong(key, expected);
        return values.get(key);
    }

    private FormatException wrong(String key, String expected) {
        return new FormatException(source, "metadata " + key, expected, describe(key));
    }

    /** The value's type and a short preview, for messages: {@code UINT32 4096}, {@code ARRAY of 151936 STRING}. */
    public String describe(String key) {
        GgufValueType t = types.get(key);
        if (t == null) return "no such key";
        Object v = values.get(key);
        if (v instanceof GgufArray a) return "ARRAY of " + a.size() + " " + a.elementType();
        String s = v instanceof Long l && t == GgufValueType.UINT64 ? Long.toUnsignedString(l) : String.valueOf(v);
        if (s.length() > 60) s = s.substring(0, 57) + "...";
        return t + " " + (v instanceof String ? "\"" + s + "\"" : s);
    }
}
