package jdlm.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Four stored rows of a {@link QuantType} dotted with one row of floats, each vector of weights
 * decoded in registers and multiplied at once, with no buffer in between: the matrix-vector
 * product, which reads every stored byte once and so should run at the memory's read bandwidth.
 * The four rows share each load of x and keep four independent FMA chains in flight.
 *
 * <p>Same bits as the tiled path of {@link WeightMatmul}: the weights decode to the same floats as
 * {@link RowDecoder}'s (the layouts are documented there), and each row's sum is one FMA chain over
 * its columns' vectors in column order, a {@link LaneSum}, then the columns past the last whole
 * vector one by one.
 *
 * <p>Why the kernels are written this way: each MemorySegment and Vector API call expands to hundreds
 * of C2 nodes. Past a node cutoff C2 stops inlining ordinary methods, and a vector returned from a
 * call that was not inlined is boxed on the heap (10–30 times slower), so the loops call no helpers
 * of ours, only JDK methods marked {@code @ForceInline}, whose inlining is deferred instead. Past a
 * larger budget even those deferred Vector API calls are left un-intrinsified: measured, kernels of
 * up to about 25 such calls in their source compiled well, those of 30 or more ran 3–100 times
 * slower (and could slow kernels compiled after them). Hence Q4_0 works on two rows at a time.
 * Also: {@code IntVector.convert(I2F, 0)} derives its result species at run time and is never
 * intrinsified; {@code convertShape} with a constant species is.
 */
final class RowDots {
    private RowDots() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    /** Shorts and ints with as many lanes as a float vector. */
    private static final VectorSpecies<Short> H = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, S.vectorShape());
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final VectorOperators.Conversion<Byte, Float> B2F = VectorOperators.B2F;
    private static final VectorOperators.Conversion<Byte, Integer> B2I = VectorOperators.B2I;
    private static final VectorOperators.Conversion<Integer, Float> I2F = VectorOperators.I2F;
    private static final VectorOperators.Binary LSHL = VectorOperators.LSHL, LSHR = VectorOperators.LSHR;

    /**
     * Whether {@link #dot4} handles this type here: F32 and BF16, and Q8_0 and Q4_0 with 16-lane
     * vectors (they decode 16 bytes into 16 floats). Not yet the others: their kernels (F16 with its
     * infinities and NaNs, Q4_K, Q6_K) came out past C2's node budget (see the class comment).
     */
    static boolean supports(QuantType type) {
        return type == QuantType.F32 || type == QuantType.BF16 || ((type == QuantType.Q8_0 || type == QuantType.Q4_0) && L == 16);
    }

    /**
     * {@code sums[i] = row_i · x[xOff, xOff + cols)} for the four stored rows that start at bytes
     * b0..b3 of seg (repeat a row to use fewer).
     */
    static void dot4(QuantType type, MemorySegment seg, long b0, long b1, long b2, long b3, int cols,
                     float[] x, int xOff, float[] sums) {
        int kv = cols - cols % L; // whole vectors; only the float types can have a tail
        switch (type) {
            case F32 -> f32(seg, b0, b1, b2, b3, kv, x, xOff, sums);
            case BF16 -> bf16(seg, b0, b1, b2, b3, kv, x, xOff, sums);
            case Q8_0 -> q8_0(seg, b0, b1, b2, b3, cols / 32, x, xOff, sums);
            case Q4_0 -> {
                q4_0(seg, b0, b1, cols / 32, x, xOff, sums, 0);
                q4_0(seg, b2, b3, cols / 32, x, xOff, sums, 2);
            }
            default -> throw new IllegalArgumentException(type + " rows are not fused (see supports)");
        }
        if (kv < cols) {
            long[] rows = {b0, b1, b2, b3};
            for (int r = 0; r < 4; r++) {
                float s = sums[r];
                for (int p = kv; p < cols; p++) s += element(type, seg, rows[r], p) * x[xOff + p];
                sums[r] = s;
            }
        }
    }

    /** Element p of the float-typed row at byte {@code row}. */
    private static float element(QuantType type, MemorySegment seg, long row, int p) {
        return switch (type) {
            case F32 -> seg.get(RowDecoder.F32, row + 4L * p);
            case BF16 -> Float.intBitsToFloat((seg.get(RowDecoder.I16, row + 2L * p) & 0xFFFF) << 16);
            default -> throw new IllegalStateException(type + " rows have no tail");
        };
    }

    private static void f32(MemorySegment seg, long b0, long b1, long b2, long b3, int kv, float[] x, int xOff, float[] sums) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        for (int p = 0; p < kv; p += L) {
            FloatVector xv = FloatVector.fromArray(S, x, xOff + p);
            long o = 4L * p;
            a0 = FloatVector.fromMemorySegment(S, seg, b0 + o, LE).fma(xv, a0);
            a1 = FloatVector.fromMemorySegment(S, seg, b1 + o, LE).fma(xv, a1);
            a2 = FloatVector.fromMemorySegment(S, seg, b2 + o, LE).fma(xv, a2);
            a3 = FloatVector.fromMemorySegment(S, seg, b3 + o, LE).fma(xv, a3);
        }
        laneSums(sums, a0, a1, a2, a3);
    }

    /** A bfloat16 is the top half of a float's bits. */
    private static void bf16(MemorySegment seg, long b0, long b1, long b2, long b3, int kv, float[] x, int xOff, float[] sums) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        for (int p = 0; p < kv; p += L) {
            FloatVector xv = FloatVector.fromArray(S, x, xOff + p);
            long o = 2L * p;
            a0 = ((IntVector) ShortVector.fromMemorySegment(H, seg, b0 + o, LE).convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(LSHL, 16).reinterpretAsFloats().fma(xv, a0);
            a1 = ((IntVector) ShortVector.fromMemorySegment(H, seg, b1 + o, LE).convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(LSHL, 16).reinterpretAsFloats().fma(xv, a1);
            a2 = ((IntVector) ShortVector.fromMemorySegment(H, seg, b2 + o, LE).convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(LSHL, 16).reinterpretAsFloats().fma(xv, a2);
            a3 = ((IntVector) ShortVector.fromMemorySegment(H, seg, b3 + o, LE).convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(LSHL, 16).reinterpretAsFloats().fma(xv, a3);
        }
        laneSums(sums, a0, a1, a2, a3);
    }

    /** Per block: f16 d, then 32 signed bytes q, {@code w = d·q} (exact), 16 at a time. */
    private static void q8_0(MemorySegment seg, long b0, long b1, long b2, long b3, int blocks, float[] x, int xOff, float[] sums) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < blocks; b++) {
            long o = 34L * b;
            float d0 = Float.float16ToFloat(seg.get(RowDecoder.I16, b0 + o)), d1 = Float.float16ToFloat(seg.get(RowDecoder.I16, b1 + o));
            float d2 = Float.float16ToFloat(seg.get(RowDecoder.I16, b2 + o)), d3 = Float.float16ToFloat(seg.get(RowDecoder.I16, b3 + o));
            for (int u = 0; u < 32; u += 16) {
                FloatVector xv = FloatVector.fromArray(S, x, xOff + 32 * b + u);
                long q = o + 2 + u;
                a0 = ((FloatVector) ByteVector.fromMemorySegment(B16, seg, b0 + q, LE).convertShape(B2F, S, 0)).mul(d0).fma(xv, a0);
                a1 = ((FloatVector) ByteVector.fromMemorySegment(B16, seg, b1 + q, LE).convertShape(B2F, S, 0)).mul(d1).fma(xv, a1);
                a2 = ((FloatVector) ByteVector.fromMemorySegment(B16, seg, b2 + q, LE).convertShape(B2F, S, 0)).mul(d2).fma(xv, a2);
                a3 = ((FloatVector) ByteVector.fromMemorySegment(B16, seg, b3 + q, LE).convertShape(B2F, S, 0)).mul(d3).fma(xv, a3);
            }
        }
        laneSums(sums, a0, a1, a2, a3);
    }

    /**
     * Two rows (sums[at], sums[at + 1]); per block: f16 d, then 16 bytes whose low nibbles are
     * elements 0..15 and high nibbles 16..31, {@code w = (nibble − 8)·d} (exact). Two rows, not four:
     * four made the method too big for C2 (see the class comment).
     */
    private static void q4_0(MemorySegment seg, long b0, long b1, int blocks, float[] x, int xOff, float[] sums, int at) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0;
        for (int b = 0; b < blocks; b++) {
            long o = 18L * b;
            float d0 = Float.float16ToFloat(seg.get(RowDecoder.I16, b0 + o)), d1 = Float.float16ToFloat(seg.get(RowDecoder.I16, b1 + o));
            IntVector q0 = (IntVector) ByteVector.fromMemorySegment(B16, seg, b0 + o + 2, LE).convertShape(B2I, I, 0);
            IntVector q1 = (IntVector) ByteVector.fromMemorySegment(B16, seg, b1 + o + 2, LE).convertShape(B2I, I, 0);
            FloatVector xv = FloatVector.fromArray(S, x, xOff + 32 * b);
            a0 = ((FloatVector) q0.and(15).sub(8).convertShape(I2F, S, 0)).mul(d0).fma(xv, a0);
            a1 = ((FloatVector) q1.and(15).sub(8).convertShape(I2F, S, 0)).mul(d1).fma(xv, a1);
            xv = FloatVector.fromArray(S, x, xOff + 32 * b + 16);
            a0 = ((FloatVector) q0.lanewise(LSHR, 4).and(15).sub(8).convertShape(I2F, S, 0)).mul(d0).fma(xv, a0);
            a1 = ((FloatVector) q1.lanewise(LSHR, 4).and(15).sub(8).convertShape(I2F, S, 0)).mul(d1).fma(xv, a1);
        }
        sums[at] = LaneSum.of(a0);
        sums[at + 1] = LaneSum.of(a1);
    }

    private static void laneSums(float[] sums, FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3) {
        sums[0] = LaneSum.of(a0);
        sums[1] = LaneSum.of(a1);
        sums[2] = LaneSum.of(a2);
        sums[3] = LaneSum.of(a3);
    }
}
