package jdlm.format.gguf;

/**
 * The type of a GGUF metadata value, with its id as written in the file and, for fixed-size
 * types, its size in bytes (little-endian). A string is a uint64 byte length and UTF-8 bytes; an
 * array is a uint32 element type, a uint64 count and the elements.
 */
public enum GgufValueType {
    UINT8(0, 1), INT8(1, 1), UINT16(2, 2), INT16(3, 2), UINT32(4, 4), INT32(5, 4), FLOAT32(6, 4),
    BOOL(7, 1), STRING(8, 0), ARRAY(9, 0), UINT64(10, 8), INT64(11, 8), FLOAT64(12, 8);

    private final int id;
    private final int bytes;

    GgufValueType(int id, int bytes) {
        this.id = id;
        this.bytes = bytes;
    }

    public int id() { return id; }

    /** Bytes of one value, or 0 for the variable-size STRING and ARRAY. */
    public int bytes() { return bytes; }

    public boolean isInteger() { return this != FLOAT32 && this != FLOAT64 && bytes > 0 && this != BOOL; }

    public boolean isFloat() { return this == FLOAT32 || this == FLOAT64; }

    /** The fewest bytes one value of this type can take in a file: bounds counts before anything is allocated. */
    int minBytes() {
        return switch (this) {
            case STRING -> 8;      // the length
            case ARRAY -> 4 + 8;   // element type and count
            default -> bytes;
        };
    }

    /** Whether {@code v} is a value of this integer type (uint64 takes every long, read as unsigned). */
    boolean holds(long v) {
        return switch (this) {
            case UINT8 -> v >= 0 && v <= 0xFF;
            case INT8 -> v >= Byte.MIN_VALUE && v <= Byte.MAX_VALUE;
            case UINT16 -> v >= 0 && v <= 0xFFFF;
            case INT16 -> v >= Short.MIN_VALUE && v <= Short.MAX_VALUE;
            case UINT32 -> v >= 0 && v <= 0xFFFF_FFFFL;
            case INT32 -> v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE;
            case UINT64, INT64 -> true;
            default -> false;
        };
    }

    /** The type with this id, or null for an id GGUF does not define. */
    public static GgufValueType byId(long id) {
        for (GgufValueType t : values()) if (t.id == id) return t;
        return null;
    }
}
