package jdlm.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
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
 * intrinsified; {@code convertShape} with a constant species is. A shift by a count that varies in
 * the loop ({@code lanewise(LSHR, n)}) was not intrinsified either; masks that vary are, hence the
 * nibbles read in place (0xF0 gives 16·q) with the factor divided by 16.
 *
 * <p>Where the time goes: the 4-bit kernels spend about ten vector operations per 32 weights on
 * decoding (widen, mask, convert, scale) before the one FMA that uses them, so they are bound by
 * the core, not by memory. ggml reaches the memory bound with integer dot-product instructions
 * (x quantised to 8 bits, VNNI {@code vpdpbusd}), which the Vector API of JDK 25 does not offer.
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
    private static final VectorOperators.Conversion<Byte, Integer> ZB2I = VectorOperators.ZERO_EXTEND_B2I;
    private static final VectorOperators.Conversion<Integer, Float> I2F = VectorOperators.I2F;
    private static final VectorOperators.Binary LSHL = VectorOperators.LSHL, LSHR = VectorOperators.LSHR;

    /**
     * Whether {@link #dot4} handles this type here: F32 and BF16, and Q8_0, Q4_0 and Q4_K with
     * 16-lane vectors (they decode 16 bytes into 16 floats). Not the others: F16's kernel, with its
     * infinities and NaNs, came out past C2's node budget (see the class comment); a fused Q6_K
     * kernel (two rows, 6-bit values put together from two loads) ran at 0.7× the tiled path.
     */
    static boolean supports(QuantType type) {
        return type == QuantType.F32 || type == QuantType.BF16
                || ((type == QuantType.Q8_0 || type == QuantType.Q4_0 || type == QuantType.Q4_K) && L == 16);
    }

    /** Floats of scratch {@link #dot4} needs for rows of this many columns. */
    static int scratchFloats(int cols) {
        return 64 * (cols / 256);
    }

    /**
     * {@code sums[i] = row_i · x[xOff, xOff + cols)} for the four stored rows that start at bytes
     * b0..b3 of seg (repeat a row to use fewer); scratch holds at least {@link #scratchFloats} floats.
     */
    static void dot4(QuantType type, MemorySegment seg, long b0, long b1, long b2, long b3, int cols,
                     float[] x, int xOff, float[] sums, float[] scratch) {
        int kv = cols - cols % L; // whole vectors; only the float types can have a tail
        switch (type) {
            case F32 -> f32(seg, b0, b1, b2, b3, kv, x, xOff, sums);
            case BF16 -> bf16(seg, b0, b1, b2, b3, kv, x, xOff, sums);
            case Q8_0 -> q8_0(seg, b0, b1, b2, b3, cols / 32, x, xOff, sums);
            case Q4_0 -> {
                q4_0(seg, b0, b1, cols / 32, x, xOff, sums, 0);
                q4_0(seg, b2, b3, cols / 32, x, xOff, sums, 2);
            }
            case Q4_K -> {
                q4_KFactors(seg, b0, b1, b2, b3, cols / 256, scratch);
                q4_K(seg, b0, b1, b2, b3, cols / 256, x, xOff, sums, scratch);
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
     * elements 0..15 and high nibbles 16..31, {@code w = (nibble − 8)·d}. A high nibble is read in
     * place (16·nibble, with factor d/16), and {@code fma(q, d, −8d)} is exact, as RowDecoder's
     * {@code (q − 8)·d}. Two rows, not four: four made the method too big for C2 (see the class comment).
     */
    private static void q4_0(MemorySegment seg, long b0, long b1, int blocks, float[] x, int xOff, float[] sums, int at) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0;
        for (int b = 0; b < blocks; b++) {
            long o = 18L * b;
            float d0 = Float.float16ToFloat(seg.get(RowDecoder.I16, b0 + o)), d1 = Float.float16ToFloat(seg.get(RowDecoder.I16, b1 + o));
            IntVector q0 = (IntVector) ByteVector.fromMemorySegment(B16, seg, b0 + o + 2, LE).convertShape(ZB2I, I, 0);
            IntVector q1 = (IntVector) ByteVector.fromMemorySegment(B16, seg, b1 + o + 2, LE).convertShape(ZB2I, I, 0);
            for (int h = 0; h < 2; h++) {
                int mask = h == 0 ? 0x0F : 0xF0;
                float div = h == 0 ? 1 : 0.0625f;
                FloatVector xv = FloatVector.fromArray(S, x, xOff + 32 * b + 16 * h);
                a0 = ((FloatVector) q0.and(mask).convertShape(I2F, S, 0)).fma(d0 * div, -8 * d0).fma(xv, a0);
                a1 = ((FloatVector) q1.and(mask).convertShape(I2F, S, 0)).fma(d1 * div, -8 * d1).fma(xv, a1);
            }
        }
        sums[at] = LaneSum.of(a0);
        sums[at + 1] = LaneSum.of(a1);
    }

    /**
     * The factors of every Q4_K block of the four rows, block b's at {@code f[64b + 16r ..]}:
     * {@code d·scale_i} then {@code −dmin·min_i} for sub-blocks i = 0..7, computed before the vector
     * loop so that it calls nothing.
     */
    private static void q4_KFactors(MemorySegment seg, long b0, long b1, long b2, long b3, int blocks, float[] f) {
        for (int b = 0; b < blocks; b++) {
            long o = 144L * b;
            q4_KFactors(seg, b0 + o, f, 64 * b);
            q4_KFactors(seg, b1 + o, f, 64 * b + 16);
            q4_KFactors(seg, b2 + o, f, 64 * b + 32);
            q4_KFactors(seg, b3 + o, f, 64 * b + 48);
        }
    }

    /**
     * One block's 16 factors in one vector: lane k takes its 6-bit value from header bytes P[k] and
     * Q[k] (the layout is {@link RowDecoder#q4kScales}'s; done there one by one, this took as long as
     * the products themselves). The scale of a high-nibble sub-block (odd i) is divided by 16 because
     * {@link #q4_K} reads those nibbles in place as 16·q; the product is the same, and exact.
     */
    private static void q4_KFactors(MemorySegment seg, long off, float[] f, int at) {
        IntVector h = (IntVector) ByteVector.fromMemorySegment(B16, seg, off, LE).convertShape(ZB2I, I, 0);
        IntVector v = h.rearrange(Q4K.P).lanewise(LSHR, Q4K.SHIFT).and(Q4K.MASK)
                .or(h.rearrange(Q4K.Q).lanewise(LSHR, 2).and(Q4K.HIGH));
        int ds = seg.get(RowDecoder.I32, off);
        float d = Float.float16ToFloat((short) ds), dmin = Float.float16ToFloat((short) (ds >>> 16));
        FloatVector by = FloatVector.broadcast(S, d).fma(Q4K.D, FloatVector.broadcast(S, dmin).mul(Q4K.DMIN)); // one term is 0
        ((FloatVector) v.convertShape(I2F, S, 0)).mul(by).intoArray(f, at);
    }

    /**
     * Constants of {@link #q4_KFactors}, in a class of their own because they exist only for 16-lane
     * vectors (the only ones that use them).
     */
    private static final class Q4K {
        /*
         * Lanes 0..7 are the scales, 8..15 the mins; header byte 4 + j is scale byte j. Scales and mins of
         * sub-blocks 0..3: the low 6 bits of scale bytes 0..3 and 4..7. Of sub-blocks 4..7: the low and high
         * nibbles of scale bytes 8..11, with bits 4..5 from the top two bits of scale bytes 0..3 and 4..7.
         */
        static final VectorShuffle<Integer> P = VectorShuffle.fromValues(I, 4, 5, 6, 7, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15);
        static final VectorShuffle<Integer> Q = VectorShuffle.fromValues(I, 0, 0, 0, 0, 4, 5, 6, 7, 0, 0, 0, 0, 8, 9, 10, 11);
        static final IntVector SHIFT = IntVector.fromArray(I, new int[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4}, 0);
        static final IntVector MASK = IntVector.fromArray(I, new int[] {63, 63, 63, 63, 15, 15, 15, 15, 63, 63, 63, 63, 15, 15, 15, 15}, 0);
        static final IntVector HIGH = IntVector.fromArray(I, new int[] {0, 0, 0, 0, 48, 48, 48, 48, 0, 0, 0, 0, 48, 48, 48, 48}, 0);
        static final FloatVector D = FloatVector.fromArray(S, new float[] {1, 1 / 16f, 1, 1 / 16f, 1, 1 / 16f, 1, 1 / 16f, 0, 0, 0, 0, 0, 0, 0, 0}, 0);
        static final FloatVector DMIN = FloatVector.fromArray(S, new float[] {0, 0, 0, 0, 0, 0, 0, 0, -1, -1, -1, -1, -1, -1, -1, -1}, 0);
    }

    /**
     * Per 256-element block: 4 chunks of 32 bytes after the 16-byte header; chunk c's low nibbles are
     * sub-block 2c, its high nibbles sub-block 2c + 1, {@code w = d·scale·q − dmin·min} (one rounding,
     * as ggml). Sub-block i is the two 16-byte halves of chunk i / 2 masked to their nibble: 0x0F gives
     * q, 0xF0 gives 16·q, whose factor {@link #q4_KFactors} divided by 16. Loops rather than copies of
     * the body keep the kernel inside C2's budget; factors broadcast once per sub-block (read as
     * {@code fma(float, float)} in the inner loop, the kernel ran half as fast).
     */
    private static void q4_K(MemorySegment seg, long b0, long b1, long b2, long b3, int blocks, float[] x, int xOff,
                             float[] sums, float[] f) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < blocks; b++) {
            for (int i = 0; i < 8; i++) {
                int fi = 64 * b + i, mask = (i & 1) == 0 ? 0x0F : 0xF0;
                FloatVector d0 = FloatVector.broadcast(S, f[fi]), m0 = FloatVector.broadcast(S, f[fi + 8]);
                FloatVector d1 = FloatVector.broadcast(S, f[fi + 16]), m1 = FloatVector.broadcast(S, f[fi + 24]);
                FloatVector d2 = FloatVector.broadcast(S, f[fi + 32]), m2 = FloatVector.broadcast(S, f[fi + 40]);
                FloatVector d3 = FloatVector.broadcast(S, f[fi + 48]), m3 = FloatVector.broadcast(S, f[fi + 56]);
                for (int h = 0; h < 32; h += 16) {
                    long q = 144L * b + 16 + 32 * (i >> 1) + h;
                    FloatVector xv = FloatVector.fromArray(S, x, xOff + 256 * b + 32 * i + h);
                    a0 = ((FloatVector) ((IntVector) ByteVector.fromMemorySegment(B16, seg, b0 + q, LE).convertShape(ZB2I, I, 0))
                            .and(mask).convertShape(I2F, S, 0)).fma(d0, m0).fma(xv, a0);
                    a1 = ((FloatVector) ((IntVector) ByteVector.fromMemorySegment(B16, seg, b1 + q, LE).convertShape(ZB2I, I, 0))
                            .and(mask).convertShape(I2F, S, 0)).fma(d1, m1).fma(xv, a1);
                    a2 = ((FloatVector) ((IntVector) ByteVector.fromMemorySegment(B16, seg, b2 + q, LE).convertShape(ZB2I, I, 0))
                            .and(mask).convertShape(I2F, S, 0)).fma(d2, m2).fma(xv, a2);
                    a3 = ((FloatVector) ((IntVector) ByteVector.fromMemorySegment(B16, seg, b3 + q, LE).convertShape(ZB2I, I, 0))
                            .and(mask).convertShape(I2F, S, 0)).fma(d3, m3).fma(xv, a3);
                }
            }
        }
        laneSums(sums, a0, a1, a2, a3);
    }

    private static void laneSums(float[] sums, FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3) {
        sums[0] = LaneSum.of(a0);
        sums[1] = LaneSum.of(a1);
        sums[2] = LaneSum.of(a2);
        sums[3] = LaneSum.of(a3);
    }
}
