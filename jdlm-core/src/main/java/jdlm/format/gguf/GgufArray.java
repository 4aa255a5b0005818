package jdlm.format.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.RandomAccess;

/**
 * A GGUF metadata array: an element type and the elements, stored compactly in the width the
 * file uses (a 150k-entry int32 token-type array is one {@code int[]}, not 150k boxed values).
 * As a {@code List<Object>} its elements read as the metadata values do: integers as
 * {@code Long} (uint64 above 2⁶³−1 as a negative long, i.e. two's complement), floats as
 * {@code Double}, bools as {@code Boolean}, strings as {@code String}, nested arrays as
 * {@code GgufArray}. Immutable.
 */
public final class GgufArray extends AbstractList<Object> implements RandomAccess {
    private final GgufValueType elementType;
    /** byte[] (uint8, int8, bool), short[], int[] (uint32, int32), float[], long[], double[], String[] or GgufArray[]. */
    private final Object values;
    private final int size;

    private GgufArray(GgufValueType elementType, Object values, int size) {
        this.elementType = elementType;
        this.values = values;
        this.size = size;
    }

    /** Integers of one of the integer types; each must fit it. */
    public static GgufArray ofIntegers(GgufValueType type, long[] v) {
        if (!type.isInteger()) throw new IllegalArgumentException(type + " is not an integer type");
        Object store = storage(type, v.length);
        for (int i = 0; i < v.length; i++) {
            if (!type.holds(v[i])) throw new IllegalArgumentException("element " + i + " = " + v[i] + " does not fit " + type);
            setInteger(store, type, i, v[i]);
        }
        return new GgufArray(type, store, v.length);
    }

    /** Floats stored as FLOAT32 (rounded to float) or FLOAT64. */
    public static GgufArray ofFloats(GgufValueType type, double[] v) {
        if (type == GgufValueType.FLOAT64) return new GgufArray(type, v.clone(), v.length);
        if (type != GgufValueType.FLOAT32) throw new IllegalArgumentException(type + " is not a float type");
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return new GgufArray(type, f, v.length);
    }

    public static GgufArray ofBooleans(boolean... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) b[i] = (byte) (v[i] ? 1 : 0);
        return new GgufArray(GgufValueType.BOOL, b, v.length);
    }

    public static GgufArray ofStrings(List<String> v) {
        String[] s = v.toArray(new String[0]);
        for (int i = 0; i < s.length; i++) if (s[i] == null) throw new IllegalArgumentException("element " + i + " is null");
        return new GgufArray(GgufValueType.STRING, s, s.length);
    }

    public static GgufArray ofArrays(List<GgufArray> v) {
        GgufArray[] a = v.toArray(new GgufArray[0]);
        for (int i = 0; i < a.length; i++) if (a[i] == null) throw new IllegalArgumentException("element " + i + " is null");
        return new GgufArray(GgufValueType.ARRAY, a, a.length);
    }

    /** An array of {@code n} elements of {@code type}, for the reader to fill: strings and arrays with {@link #setObject}. */
    static GgufArray allocate(GgufValueType type, int n) {
        return new GgufArray(type, storage(type, n), n);
    }

    /** Copies {@code n} fixed-size little-endian elements from {@code seg} at {@code pos} (the caller checked the bounds). */
    void copyFrom(MemorySegment seg, long pos) {
        switch (values) {
            case byte[] b -> MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, pos, b, 0, size);
            case short[] s -> MemorySegment.copy(seg, ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), pos, s, 0, size);
            case int[] i -> MemorySegment.copy(seg, ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), pos, i, 0, size);
            case float[] f -> MemorySegment.copy(seg, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), pos, f, 0, size);
            case long[] l -> MemorySegment.copy(seg, ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), pos, l, 0, size);
            case double[] d -> MemorySegment.copy(seg, ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), pos, d, 0, size);
            default -> throw new IllegalStateException(elementType + " elements are not fixed-size");
        }
    }

    /** The index of the first bool element that is neither 0 nor 1, or -1. */
    int firstBadBool() {
        byte[] b = (byte[]) values;
        for (int i = 0; i < size; i++) if (b[i] != 0 && b[i] != 1) return i;
        return -1;
    }

    private static Object storage(GgufValueType type, int n) {
        return switch (type) {
            case UINT8, INT8, BOOL -> new byte[n];
            case UINT16, INT16 -> new short[n];
            case UINT32, INT32 -> new int[n];
            case FLOAT32 -> new float[n];
            case UINT64, INT64 -> new long[n];
            case FLOAT64 -> new double[n];
            case STRING -> new String[n];
            case ARRAY -> new GgufArray[n];
        };
    }

    void setObject(int i, Object v) {
        ((Object[]) values)[i] = v;
    }

    private static void setInteger(Object store, GgufValueType type, int i, long v) {
        switch (type) {
            case UINT8, INT8, BOOL -> ((byte[]) store)[i] = (byte) v;
            case UINT16, INT16 -> ((short[]) store)[i] = (short) v;
            case UINT32, INT32 -> ((int[]) store)[i] = (int) v;
            default -> ((long[]) store)[i] = v;
        }
    }

    public GgufValueType elementType() { return elementType; }

    @Override
    public int size() { return size; }

    @Override
    public Object get(int i) {
        return switch (elementType) {
            case FLOAT32 -> (double) ((float[]) values)[i];
            case FLOAT64 -> ((double[]) values)[i];
            case BOOL -> ((byte[]) values)[i] != 0;
            case STRING, ARRAY -> ((Object[]) values)[i];
            default -> longAt(i);
        };
    }

    /** Element {@code i} of an integer array, widened to a long (unsigned types zero-extended). */
    public long longAt(int i) {
        return switch (elementType) {
            case UINT8 -> ((byte[]) values)[i] & 0xFFL;
            case INT8 -> ((byte[]) values)[i];
            case UINT16 -> ((short[]) values)[i] & 0xFFFFL;
            case INT16 -> ((short[]) values)[i];
            case UINT32 -> ((int[]) values)[i] & 0xFFFF_FFFFL;
            case INT32 -> ((int[]) values)[i];
            case UINT64, INT64 -> ((long[]) values)[i];
            default -> throw new IllegalStateException("an array of " + elementType + " has no integer elements");
        };
    }

    /** The elements of an integer array as longs. */
    public long[] toLongArray() {
        long[] out = new long[size];
        for (int i = 0; i < size; i++) out[i] = longAt(i);
        return out;
    }

    /** The elements of a float array (FLOAT32 widened exactly) or an integer array, as doubles. */
    public double[] toDoubleArray() {
        double[] out = new double[size];
        for (int i = 0; i < size; i++) {
            out[i] = switch (elementType) {
                case FLOAT32 -> ((float[]) values)[i];
                case FLOAT64 -> ((double[]) values)[i];
                default -> longAt(i);
            };
        }
        return out;
    }

    /** The elements of a string array (a read-only view, no copy). */
    public List<String> strings() {
        if (elementType != GgufValueType.STRING) throw new IllegalStateException("an array of " + elementType + ", not of strings");
        return Collections.unmodifiableList(Arrays.asList((String[]) values));
    }
}
