package jdlm.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Float rows to and from every {@link QuantType}, in GGML's block layouts (see {@link RowDecoder}).
 *
 * <p>Q8_0 and Q4_0 quantise as ggml's reference quantiser does, so they give its bytes: Q8_0 takes
 * {@code d = amax/127}, {@code q = roundf(x/d)}; Q4_0 takes the element of largest magnitude, max,
 * {@code d = max/−8} and {@code q = min(15, trunc(x/d + 8.5))}. Both store d rounded to half.
 *
 * <p>Q4_K and Q6_K are this class's own: the sub-block scales (and Q4_K's mins) are rounded <em>up</em>
 * to the stored 6- or 8-bit steps so that every sub-block's grid still covers its values, which bounds
 * every element's error by half its sub-block's stored step; among super-block scales that let the
 * largest sub-block use the top 40 or so steps, the one with the least squared error is kept
 * (ceiling rounding wastes a fraction of a step, and some super-scales waste less).
 */
public final class Quantizer {
    private Quantizer() {}

    /** Lowest super-scale step count tried: below it the largest sub-block loses too much precision. */
    private static final int Q4K_MIN_STEPS = 40, Q6K_MIN_STEPS = 96;

    /** A {@code rows × cols} matrix (row-major floats from {@code off}) quantised into a new segment of {@code arena}. */
    public static WeightTensor quantize(String name, QuantType type, float[] src, int off, int rows, int cols, Arena arena) {
        long rowBytes = type.bytesFor(cols);
        if (rows < 0 || rowBytes < 0) {
            throw new IllegalArgumentException(name + ": cannot store " + rows + " rows of " + cols + " elements as " + type
                    + " (rows must be whole blocks of " + type.blockSize() + ")");
        }
        MemorySegment seg = arena.allocate(Math.max(1, rows * rowBytes), 16).asSlice(0, rows * rowBytes);
        for (int r = 0; r < rows; r++) quantizeRow(type, src, off + r * cols, cols, seg, r * rowBytes);
        return new WeightTensor(name, type, new long[] {rows, cols}, seg);
    }

    /** {@code count} floats from {@code src[srcOff]} stored as {@code type} at {@code dst[dstOff]} ({@code type.bytesFor(count)} bytes). */
    public static void quantizeRow(QuantType type, float[] src, int srcOff, int count, MemorySegment dst, long dstOff) {
        if (type.bytesFor(count) < 0) {
            throw new IllegalArgumentException(count + " elements are not whole " + type + " blocks of " + type.blockSize());
        }
        for (int i = 0; i < count; i++) {
            if (!Float.isFinite(src[srcOff + i])) {
                throw new IllegalArgumentException("cannot quantise " + src[srcOff + i] + " (element " + i + ") to " + type);
            }
        }
        int bs = type.blockSize();
        for (int b = 0; b < count / bs; b++) {
            int s = srcOff + b * bs;
            long d = dstOff + b * (long) type.blockBytes();
            switch (type) {
                case F32 -> dst.set(RowDecoder.F32, d, src[s]);
                case F16 -> dst.set(RowDecoder.I16, d, Float.floatToFloat16(src[s]));
                case BF16 -> dst.set(RowDecoder.I16, d, toBf16(src[s]));
                case Q8_0 -> q8_0(src, s, dst, d);
                case Q4_0 -> q4_0(src, s, dst, d);
                case Q4_K -> q4_K(src, s, dst, d);
                case Q6_K -> q6_K(src, s, dst, d);
            }
        }
    }

    /** {@code count} elements of a stored row (bytes from {@code srcOff}) decoded into {@code dst[dstOff]}. */
    public static void dequantizeRow(QuantType type, MemorySegment src, long srcOff, int count, float[] dst, int dstOff) {
        if (type.bytesFor(count) < 0) {
            throw new IllegalArgumentException(count + " elements are not whole " + type + " blocks of " + type.blockSize());
        }
        RowDecoder.decode(type, src, srcOff, 0, 1, 0, count, dst, dstOff, 0);
    }

    /** Round to nearest even on the upper 16 bits. */
    private static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    private static void q8_0(float[] x, int s, MemorySegment dst, long off) {
        float amax = 0f;
        for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[s + j]));
        float d = amax / 127;
        float id = d != 0f ? 1f / d : 0f;
        dst.set(RowDecoder.I16, off, half(d, QuantType.Q8_0));
        for (int j = 0; j < 32; j++) dst.set(ValueLayout.JAVA_BYTE, off + 2 + j, (byte) roundHalfAway(x[s + j] * id));
    }

    private static void q4_0(float[] x, int s, MemorySegment dst, long off) {
        float amax = 0f, max = 0f;
        for (int j = 0; j < 32; j++) {
            float v = x[s + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -8;
        float id = d != 0f ? 1f / d : 0f;
        dst.set(RowDecoder.I16, off, half(d, QuantType.Q4_0));
        for (int j = 0; j < 16; j++) {
            // x·id lies in [−8, 8]: +8.5 then truncation rounds half up into [0, 16], clamped to 15
            int lo = Math.min(15, (int) (x[s + j] * id + 8.5f));
            int hi = Math.min(15, (int) (x[s + 16 + j] * id + 8.5f));
            dst.set(ValueLayout.JAVA_BYTE, off + 2 + j, (byte) (lo | hi << 4));
        }
    }

    /**
     * Q4_K, sub-block i: grid {@code S_i·q − M_i}, q in 0..15. The min is rounded up first,
     * {@code M_i = dmin·ceil(−lo_i/dmin) ≥ −lo_i} with {@code lo_i = min(0, min x)}; then the step,
     * {@code S_i = d·ceil(((hi_i + M_i)/15)/d) ≥ (hi_i + M_i)/15}: the grid spans [lo_i, hi_i].
     */
    private static void q4_K(float[] x, int s, MemorySegment dst, long off) {
        float[] lo = new float[8], span = new float[8];
        float maxMin = 0f;
        for (int i = 0; i < 8; i++) {
            float mn = 0f, mx = -Float.MAX_VALUE;
            for (int j = 0; j < 32; j++) {
                mn = Math.min(mn, x[s + 32 * i + j]);
                mx = Math.max(mx, x[s + 32 * i + j]);
            }
            lo[i] = mn;
            span[i] = mx;
            maxMin = Math.max(maxMin, -mn);
        }
        short dminH = halfAtLeast(maxMin / 63, QuantType.Q4_K);
        float dmin = Float.float16ToFloat(dminH);
        int[] m = new int[8];
        float maxStep = 0f;
        for (int i = 0; i < 8; i++) {
            m[i] = dmin == 0f ? 0 : Math.min(63, (int) Math.ceil(-lo[i] / dmin));
            span[i] = (span[i] + dmin * m[i]) / 15; // the step that spans hi_i from −M_i
            maxStep = Math.max(maxStep, span[i]);
        }
        int[] sc = new int[8], bestSc = new int[8];
        short bestD = 0;
        double bestErr = Double.POSITIVE_INFINITY;
        for (int steps = 63; steps >= Q4K_MIN_STEPS; steps--) {
            short dH = halfAtLeast(maxStep / steps, QuantType.Q4_K);
            float d = Float.float16ToFloat(dH);
            double err = 0;
            for (int i = 0; i < 8; i++) {
                sc[i] = d == 0f ? 0 : Math.min(63, (int) Math.ceil(span[i] / d));
                float step = d * sc[i], min = dmin * m[i];
                for (int j = 0; j < 32; j++) {
                    float v = x[s + 32 * i + j];
                    double e = v - (step * nearest(v + min, step, 15) - min);
                    err += e * e;
                }
            }
            if (err < bestErr) {
                bestErr = err;
                bestD = dH;
                System.arraycopy(sc, 0, bestSc, 0, 8);
            }
            if (maxStep == 0f) break; // every candidate is the same
        }
        float d = Float.float16ToFloat(bestD);
        dst.set(RowDecoder.I16, off, bestD);
        dst.set(RowDecoder.I16, off + 2, dminH);
        byte[] packed = new byte[12];
        for (int i = 0; i < 8; i++) {
            if (i < 4) {
                packed[i] |= (byte) bestSc[i];
                packed[i + 4] |= (byte) m[i];
            } else { // low 4 bits together in s[i+4], high 2 bits in the top of s[i-4] (scale) and s[i] (min)
                packed[i + 4] = (byte) ((bestSc[i] & 15) | (m[i] & 15) << 4);
                packed[i - 4] |= (byte) ((bestSc[i] >> 4) << 6);
                packed[i] |= (byte) ((m[i] >> 4) << 6);
            }
        }
        MemorySegment.copy(packed, 0, dst, ValueLayout.JAVA_BYTE, off + 4, 12);
        for (int c = 0; c < 4; c++) {
            int i = 2 * c;
            float s1 = d * bestSc[i], m1 = dmin * m[i], s2 = d * bestSc[i + 1], m2 = dmin * m[i + 1];
            for (int j = 0; j < 32; j++) {
                int q1 = nearest(x[s + 64 * c + j] + m1, s1, 15), q2 = nearest(x[s + 64 * c + 32 + j] + m2, s2, 15);
                dst.set(ValueLayout.JAVA_BYTE, off + 16 + 32L * c + j, (byte) (q1 | q2 << 4));
            }
        }
    }

    /**
     * Q6_K, sub-block i of 16: grid {@code S_i·q}, q in −31..31 (−32 unused, keeping it symmetric),
     * {@code S_i = d·ceil((amax_i/31)/d)} with a signed 8-bit scale in 0..127.
     */
    private static void q6_K(float[] x, int s, MemorySegment dst, long off) {
        float[] want = new float[16];
        float maxStep = 0f;
        for (int i = 0; i < 16; i++) {
            float amax = 0f;
            for (int j = 0; j < 16; j++) amax = Math.max(amax, Math.abs(x[s + 16 * i + j]));
            want[i] = amax / 31;
            maxStep = Math.max(maxStep, want[i]);
        }
        int[] sc = new int[16], bestSc = new int[16];
        short bestD = 0;
        double bestErr = Double.POSITIVE_INFINITY;
        for (int steps = 127; steps >= Q6K_MIN_STEPS; steps--) {
            short dH = halfAtLeast(maxStep / steps, QuantType.Q6_K);
            float d = Float.float16ToFloat(dH);
            double err = 0;
            for (int i = 0; i < 16; i++) {
                sc[i] = d == 0f ? 0 : Math.min(127, (int) Math.ceil(want[i] / d));
                float step = d * sc[i];
                for (int j = 0; j < 16; j++) {
                    float v = x[s + 16 * i + j];
                    double e = v - step * (nearest(v + 31 * step, step, 62) - 31);
                    err += e * e;
                }
            }
            if (err < bestErr) {
                bestErr = err;
                bestD = dH;
                System.arraycopy(sc, 0, bestSc, 0, 16);
            }
            if (maxStep == 0f) break;
        }
        float d = Float.float16ToFloat(bestD);
        int[] q = new int[256]; // q + 32, in 1..63
        for (int e = 0; e < 256; e++) {
            float step = d * bestSc[e / 16];
            q[e] = nearest(x[s + e] + 31 * step, step, 62) + 1;
        }
        for (int h = 0; h < 2; h++) {
            int e = 128 * h;
            long ql = off + 64L * h, qh = off + 128 + 32L * h;
            for (int l = 0; l < 32; l++) {
                int a = q[e + l], b = q[e + l + 32], c = q[e + l + 64], dd = q[e + l + 96];
                dst.set(ValueLayout.JAVA_BYTE, ql + l, (byte) ((a & 15) | (c & 15) << 4));
                dst.set(ValueLayout.JAVA_BYTE, ql + 32 + l, (byte) ((b & 15) | (dd & 15) << 4));
                dst.set(ValueLayout.JAVA_BYTE, qh + l, (byte) (a >> 4 | (b >> 4) << 2 | (c >> 4) << 4 | (dd >> 4) << 6));
            }
        }
        for (int i = 0; i < 16; i++) dst.set(ValueLayout.JAVA_BYTE, off + 192 + i, (byte) bestSc[i]);
        dst.set(RowDecoder.I16, off + 208, bestD);
    }

    /** The q in [0, top] nearest to {@code v/step} (v ≥ 0 up to rounding); 0 for a zero step. */
    private static int nearest(float v, float step, int top) {
        if (step == 0f) return 0;
        return Math.max(0, Math.min(top, Math.round(v / step)));
    }

    /** C's roundf: halves away from zero (Math.round sends −2.5 to −2). */
    private static int roundHalfAway(float v) {
        float a = Math.abs(v), r = (float) Math.floor(a);
        if (a - r >= 0.5f) r += 1f;
        return (int) Math.copySign(r, v);
    }

    /** v as a half, which must be finite. */
    private static short half(float v, QuantType type) {
        short h = Float.floatToFloat16(v);
        if (!Float.isFinite(Float.float16ToFloat(h))) {
            throw new IllegalArgumentException("values too large for " + type + "'s half-precision scale (" + v + ")");
        }
        return h;
    }

    /** The least half-precision value ≥ v (v ≥ 0): for positive halves the next value up is the next bit pattern. */
    private static short halfAtLeast(float v, QuantType type) {
        short h = Float.floatToFloat16(v);
        if (Float.float16ToFloat(h) < v) h++;
        return half(Float.float16ToFloat(h), type);
    }
}
