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
 * Stored rows of a {@link QuantType} dotted with a row of floats, each vector of weights decoded in
 * registers and multiplied at once, with no buffer in between: the matrix-vector product, which
 * reads every stored byte once and so should run at the memory's read bandwidth.
 *
 * <p>Quantised rows go one at a time ({@link #dot}), so that a thread's rows are one sequential
 * stream of bytes. Measured (Q8_0, rows out of cache, one thread, harnesses over 16384–65536 rows of
 * 4096 columns): four rows read side by side, sharing each load of x, ran at 11 GB/s where the same
 * work one row after the other ran at 19–20, although in cache the four rows were faster (29
 * against 25 GB/s): four short streams, each a row of a few KiB, keep the hardware prefetchers
 * starting over. Within a row the kernels keep four FMA chains and read two GGML blocks (Q4_K: one
 * 32-byte chunk) per iteration; one block per iteration (34 bytes) ran at half the speed out of
 * cache for the same instructions. But one row at a time loads x once per row, so wide quantised
 * rows, whose x no longer stays in L1, go four at a time ({@link #dot4}, {@link #ROW_STREAM_MAX_COLS}),
 * as do the float types, which already read at about the bandwidth that way.
 *
 * <p>Bits: one row at a time, each row's sum is its chains combined in a fixed order and a
 * {@link LaneSum}: the same for every thread count and every row of x, but not the tiled path's
 * single chain (they agree to rounding); four at a time, the tiled path's bits. The weights decode
 * to exactly {@link RowDecoder}'s floats (the layouts are documented there).
 *
 * <p>One row at a time, 4-bit weights are looked up, not converted: a block's (Q4_0) or sub-block's
 * (Q4_K) 16 possible weights make a table in one vector, and {@code selectFrom} (one permute) picks
 * each lane's weight by its nibble. That replaced mask, convert to float and scale, with the same
 * floats; measured in a harness (one thread, 4096-column rows out of cache), Q4_0 9 → 12–13 GB/s
 * and Q4_K 7.5–8 → 10.5–12. The four-row kernels keep the conversion: a four-row Q4_0 kernel with
 * tables ran no faster, and a four-row Q4_K one (four tables per sub-block, a shift per half) was
 * not tried, as it would hold more Vector API calls than C2's budget (below) allows.
 *
 * <p>Why the kernels are written this way: each MemorySegment and Vector API call expands to hundreds
 * of C2 nodes. Past a node cutoff C2 stops inlining ordinary methods, and a vector returned from a
 * call that was not inlined is boxed on the heap (10–30 times slower), so the loops call no helpers
 * of ours, only JDK methods marked {@code @ForceInline}, whose inlining is deferred instead. Past a
 * larger budget even those deferred Vector API calls are left un-intrinsified: measured, kernels of
 * up to about 25 such calls in their source compiled well, those of 30 or more ran 3–100 times
 * slower (and could slow kernels compiled after them). Hence the loops over sub-blocks and halves in
 * {@link #q4_Kx4}. Also: {@code IntVector.convert(I2F, 0)} derives its result species at run time
 * and is never intrinsified; {@code convertShape} with a constant species is. A shift by a count that varies in
 * the loop ({@code lanewise(LSHR, n)}) was not intrinsified either; masks that vary are, hence, in
 * {@link #q4_Kx4}, the nibbles read in place (0xF0 gives 16·q) with the factor divided by 16.
 *
 * <p>Where the time goes: even looked up, the 4-bit kernels spend several vector operations per 16
 * weights on decoding (widen, shift, permute, build the table) besides the one FMA that uses them
 * (converted, about ten per 32 weights), so they are bound by the core more than by memory. ggml
 * reaches the memory bound with integer dot-product instructions (x quantised to 8 bits, VNNI
 * {@code vpdpbusd}), which the Vector API of JDK 25 does not offer.
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
     * Whether {@link #dot} or {@link #dot4} handles this type here: F32 and BF16, and Q8_0, Q4_0 and Q4_K with
     * 16-lane vectors (they decode 16 bytes into 16 floats). Not the others: F16's kernel, with its
     * infinities and NaNs, came out past C2's node budget (see the class comment); a fused Q6_K
     * kernel (two rows, 6-bit values put together from two loads) ran at 0.7× the tiled path.
     */
    static boolean supports(QuantType type) {
        return type == QuantType.F32 || type == QuantType.BF16
                || ((type == QuantType.Q8_0 || type == QuantType.Q4_0 || type == QuantType.Q4_K) && L == 16);
    }

    /**
     * Quantised rows at most this wide go one at a time; wider ones four at a time, as the float
     * types. One row at a time loads x once per row, which costs where x no longer stays in L1.
     * Measured ({@code bench kernels --weights-only}, three runs each, 2 threads): one row at a time
     * with 4096 columns Q8_0 22–29 GB/s against 20–26, Q4_0 14–20 against 10–12, Q4_K 8–12 against
     * 7–8; with 12288 columns (two runs) Q8_0 14–16 against 24–27, Q4_0 and Q4_K about even. Wide
     * rows one at a time in pieces of 4096 columns, every row's piece before the next piece (so that
     * x stays in L1), lost too (three runs, 8192 × 12288: Q8_0 10–11 against 20–21 GB/s, Q4_0 7–9
     * against 11–12), probably because each piece is a new short stream for the prefetchers.
     */
    static final int ROW_STREAM_MAX_COLS = 4096;

    /** Whether these rows go one at a time ({@link #dot}) rather than four at a time ({@link #dot4}). */
    static boolean oneAtATime(QuantType type, int cols) {
        return type != QuantType.F32 && type != QuantType.BF16 && cols <= ROW_STREAM_MAX_COLS;
    }

    /** Floats of scratch {@link #dot} and {@link #dot4} need for rows of this many columns. */
    static int scratchFloats(int cols) {
        return 64 * (cols / 256);
    }

    /**
     * The stored row of a quantised type at byte {@code row} of seg dotted with
     * {@code x[xOff, xOff + cols)}; scratch holds at least {@link #scratchFloats} floats.
     */
    static float dot(QuantType type, MemorySegment seg, long row, int cols, float[] x, int xOff, float[] scratch) {
        return switch (type) {
            case Q8_0 -> q8_0(seg, row, cols / 32, x, xOff);
            case Q4_0 -> q4_0(seg, row, cols / 32, x, xOff);
            case Q4_K -> {
                for (int b = 0; b < cols / 256; b++) q4_KFactors(seg, row + 144L * b, scratch, 16 * b, Sixteen.D);
                yield q4_K(seg, row, cols / 256, x, xOff, scratch);
            }
            default -> throw new IllegalArgumentException(type + " rows go four at a time (see oneAtATime)");
        };
    }

    /**
     * {@code sums[i] = row_i · x[xOff, xOff + cols)} for the four stored rows that start at bytes
     * b0..b3 of seg (repeat a row to use fewer), each one FMA chain over its vectors in column order,
     * a LaneSum, then the tail one by one: the tiled path's bits. Scratch holds at least
     * {@link #scratchFloats} floats.
     */
    static void dot4(QuantType type, MemorySegment seg, long b0, long b1, long b2, long b3, int cols,
                     float[] x, int xOff, float[] sums, float[] scratch) {
        int kv = cols - cols % L; // whole vectors; only the float types can have a tail
        switch (type) {
            case F32 -> f32x4(seg, b0, b1, b2, b3, kv, x, xOff, sums);
            case BF16 -> bf16x4(seg, b0, b1, b2, b3, kv, x, xOff, sums);
            case Q8_0 -> q8_0x4(seg, b0, b1, b2, b3, cols / 32, x, xOff, sums);
            case Q4_0 -> {
                q4_0x2(seg, b0, b1, cols / 32, x, xOff, sums, 0);
                q4_0x2(seg, b2, b3, cols / 32, x, xOff, sums, 2);
            }
            case Q4_K -> {
                q4_KFactorsx4(seg, b0, b1, b2, b3, cols / 256, scratch);
                q4_Kx4(seg, b0, b1, b2, b3, cols / 256, x, xOff, sums, scratch);
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

    /**
     * Per block: f16 d, then 32 signed bytes q, {@code w = d·q} (exact), 16 at a time; two blocks per
     * iteration, one chain per half block, an odd last block into the first two chains. Four blocks
     * per iteration (the same chains) ran faster in a harness of this loop alone (one thread, 4096
     * columns: 22 → 24 GB/s in cache, 18 → 19.5 out of cache) but slower here, in 5 of 6 A/B pairs
     * (one type per JVM, 2 threads, 32768 × 4096 and 4096 × 4096), probably C2's budget (class comment).
     */
    private static float q8_0(MemorySegment seg, long row, int blocks, float[] x, int xOff) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        int b = 0;
        for (; b + 2 <= blocks; b += 2) {
            long o = row + 34L * b;
            int xo = xOff + 32 * b;
            FloatVector d0 = FloatVector.broadcast(S, Float.float16ToFloat(seg.get(RowDecoder.I16, o)));
            FloatVector d1 = FloatVector.broadcast(S, Float.float16ToFloat(seg.get(RowDecoder.I16, o + 34)));
            a0 = ((FloatVector) ByteVector.fromMemorySegment(B16, seg, o + 2, LE).convertShape(B2F, S, 0)).mul(d0).fma(FloatVector.fromArray(S, x, xo), a0);
            a1 = ((FloatVector) ByteVector.fromMemorySegment(B16, seg, o + 18, LE).convertShape(B2F, S, 0)).mul(d0).fma(FloatVector.fromArray(S, x, xo + 16), a1);
            a2 = ((FloatVector) ByteVector.fromMemorySegment(B16, seg, o + 36, LE).convertShape(B2F, S, 0)).mul(d1).fma(FloatVector.fromArray(S, x, xo + 32), a2);
            a3 = ((FloatVector) ByteVector.fromMemorySegment(B16, seg, o + 52, LE).convertShape(B2F, S, 0)).mul(d1).fma(FloatVector.fromArray(S, x, xo + 48), a3);
        }
        if (b < blocks) {
            long o = row + 34L * b;
            int xo = xOff + 32 * b;
            FloatVector d0 = FloatVector.broadcast(S, Float.float16ToFloat(seg.get(RowDecoder.I16, o)));
            a0 = ((FloatVector) ByteVector.fromMemorySegment(B16, seg, o + 2, LE).convertShape(B2F, S, 0)).mul(d0).fma(FloatVector.fromArray(S, x, xo), a0);
            a1 = ((FloatVector) ByteVector.fromMemorySegment(B16, seg, o + 18, LE).convertShape(B2F, S, 0)).mul(d0).fma(FloatVector.fromArray(S, x, xo + 16), a1);
        }
        return LaneSum.of(a0.add(a1).add(a2.add(a3)));
    }

    /**
     * Per block: f16 d, then 16 bytes whose low nibbles are elements 0..15 and high nibbles 16..31,
     * {@code w = (nibble − 8)·d}, looked up in a table of the block's 16 possible weights (exact, as
     * RowDecoder's). The table is indexed by the zero-extended byte itself for the low nibble
     * ({@code selectFrom} wraps indices to 0..15) and by the byte shifted right by 4 for the high one.
     * Blocks and chains as {@link #q8_0}.
     */
    private static float q4_0(MemorySegment seg, long row, int blocks, float[] x, int xOff) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        int b = 0;
        for (; b + 2 <= blocks; b += 2) {
            long o = row + 18L * b;
            int xo = xOff + 32 * b;
            IntVector t0 = Sixteen.Q4_0.mul(Float.float16ToFloat(seg.get(RowDecoder.I16, o))).reinterpretAsInts();
            IntVector t1 = Sixteen.Q4_0.mul(Float.float16ToFloat(seg.get(RowDecoder.I16, o + 18))).reinterpretAsInts();
            IntVector q0 = (IntVector) ByteVector.fromMemorySegment(B16, seg, o + 2, LE).convertShape(ZB2I, I, 0);
            IntVector q1 = (IntVector) ByteVector.fromMemorySegment(B16, seg, o + 20, LE).convertShape(ZB2I, I, 0);
            a0 = q0.selectFrom(t0).reinterpretAsFloats().fma(FloatVector.fromArray(S, x, xo), a0);
            a1 = q0.lanewise(LSHR, 4).selectFrom(t0).reinterpretAsFloats().fma(FloatVector.fromArray(S, x, xo + 16), a1);
            a2 = q1.selectFrom(t1).reinterpretAsFloats().fma(FloatVector.fromArray(S, x, xo + 32), a2);
            a3 = q1.lanewise(LSHR, 4).selectFrom(t1).reinterpretAsFloats().fma(FloatVector.fromArray(S, x, xo + 48), a3);
        }
        if (b < blocks) {
            long o = row + 18L * b;
            int xo = xOff + 32 * b;
            IntVector t0 = Sixteen.Q4_0.mul(Float.float16ToFloat(seg.get(RowDecoder.I16, o))).reinterpretAsInts();
            IntVector q0 = (IntVector) ByteVector.fromMemorySegment(B16, seg, o + 2, LE).convertShape(ZB2I, I, 0);
            a0 = q0.selectFrom(t0).reinterpretAsFloats().fma(FloatVector.fromArray(S, x, xo), a0);
            a1 = q0.lanewise(LSHR, 4).selectFrom(t0).reinterpretAsFloats().fma(FloatVector.fromArray(S, x, xo + 16), a1);
        }
        return LaneSum.of(a0.add(a1).add(a2.add(a3)));
    }

    /**
     * One block's 16 factors in one vector: lane k takes its 6-bit value from header bytes P[k] and
     * Q[k] (the layout is {@link RowDecoder#q4kScales}'s; done there one by one, this took as long as
     * the products themselves), then {@code d·scale_i} for sub-blocks i = 0..7 and {@code −dmin·min_i}
     * after them. {@code perSub} multiplies each scale: ones ({@link Sixteen#D}), or, for
     * {@link #q4_Kx4}, which reads a high nibble in place as 16·q, 1/16 on the odd sub-blocks
     * ({@link Sixteen#D_HIGH_IN_PLACE}); the products are the same, and exact.
     */
    private static void q4_KFactors(MemorySegment seg, long off, float[] f, int at, FloatVector perSub) {
        IntVector h = (IntVector) ByteVector.fromMemorySegment(B16, seg, off, LE).convertShape(ZB2I, I, 0);
        IntVector v = h.rearrange(Sixteen.P).lanewise(LSHR, Sixteen.SHIFT).and(Sixteen.MASK)
                .or(h.rearrange(Sixteen.Q).lanewise(LSHR, 2).and(Sixteen.HIGH));
        int ds = seg.get(RowDecoder.I32, off);
        float d = Float.float16ToFloat((short) ds), dmin = Float.float16ToFloat((short) (ds >>> 16));
        FloatVector by = FloatVector.broadcast(S, d).fma(perSub, FloatVector.broadcast(S, dmin).mul(Sixteen.DMIN)); // one term is 0
        ((FloatVector) v.convertShape(I2F, S, 0)).mul(by).intoArray(f, at);
    }

    /**
     * Constants of the 4-bit kernels, in a class of their own because they exist only for 16-lane
     * vectors (the only ones that use them).
     */
    private static final class Sixteen {
        /** The 16 values of a Q4_0 nibble less 8: times d, a block's table of weights. */
        static final FloatVector Q4_0 = FloatVector.fromArray(S, new float[] {-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7}, 0);
        /** The 16 values of a Q4_K nibble: {@code fma(IOTA, d·scale, −dmin·min)}, a sub-block's table. */
        static final FloatVector IOTA = FloatVector.fromArray(S, new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, 0);
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
        static final FloatVector D = FloatVector.fromArray(S, new float[] {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0}, 0);
        static final FloatVector D_HIGH_IN_PLACE = FloatVector.fromArray(S, new float[] {1, 1 / 16f, 1, 1 / 16f, 1, 1 / 16f, 1, 1 / 16f, 0, 0, 0, 0, 0, 0, 0, 0}, 0);
        static final FloatVector DMIN = FloatVector.fromArray(S, new float[] {0, 0, 0, 0, 0, 0, 0, 0, -1, -1, -1, -1, -1, -1, -1, -1}, 0);
    }

    /**
     * Per 256-element block: 4 chunks of 32 bytes after the 16-byte header; chunk c's low nibbles are
     * sub-block 2c, its high nibbles sub-block 2c + 1, {@code w = d·scale·q − dmin·min} (one rounding,
     * as ggml), with the block's factors at {@code f[16b ..]} ({@link #q4_KFactors} with
     * {@link Sixteen#D}). Each sub-block's 16 possible weights go in a table, looked up as in
     * {@link #q4_0}. One loop over all chunks of the row, four chains: as two nested loops (blocks,
     * then chunks) the same body ran at two thirds of the speed.
     */
    private static float q4_K(MemorySegment seg, long row, int blocks, float[] x, int xOff, float[] f) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        for (int k = 0; k < 4 * blocks; k++) {
            int b = k >> 2, c = k & 3, fi = 16 * b + 2 * c;
            IntVector tl = Sixteen.IOTA.fma(FloatVector.broadcast(S, f[fi]), FloatVector.broadcast(S, f[fi + 8])).reinterpretAsInts();
            IntVector th = Sixteen.IOTA.fma(FloatVector.broadcast(S, f[fi + 1]), FloatVector.broadcast(S, f[fi + 9])).reinterpretAsInts();
            long o = row + 144L * b + 16 + 32 * c;
            int xo = xOff + 64 * k;
            IntVector q0 = (IntVector) ByteVector.fromMemorySegment(B16, seg, o, LE).convertShape(ZB2I, I, 0);
            IntVector q1 = (IntVector) ByteVector.fromMemorySegment(B16, seg, o + 16, LE).convertShape(ZB2I, I, 0);
            a0 = q0.selectFrom(tl).reinterpretAsFloats().fma(FloatVector.fromArray(S, x, xo), a0);
            a1 = q1.selectFrom(tl).reinterpretAsFloats().fma(FloatVector.fromArray(S, x, xo + 16), a1);
            a2 = q0.lanewise(LSHR, 4).selectFrom(th).reinterpretAsFloats().fma(FloatVector.fromArray(S, x, xo + 32), a2);
            a3 = q1.lanewise(LSHR, 4).selectFrom(th).reinterpretAsFloats().fma(FloatVector.fromArray(S, x, xo + 48), a3);
        }
        return LaneSum.of(a0.add(a1).add(a2.add(a3)));
    }

    // Four rows at a time, sharing each load of x: the float types, and quantised rows wider than
    // ROW_STREAM_MAX_COLS.

    /** Four float rows, one chain each. */
    private static void f32x4(MemorySegment seg, long b0, long b1, long b2, long b3, int kv, float[] x, int xOff, float[] sums) {
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

    /** Four bfloat16 rows, one chain each; a bfloat16 is the top half of a float's bits. */
    private static void bf16x4(MemorySegment seg, long b0, long b1, long b2, long b3, int kv, float[] x, int xOff, float[] sums) {
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

    /** {@link #q8_0} for four rows, one chain per row. */
    private static void q8_0x4(MemorySegment seg, long b0, long b1, long b2, long b3, int blocks, float[] x, int xOff, float[] sums) {
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
     * {@link #q4_0} for two rows (sums[at], sums[at + 1]), one chain per row. Two rows, not four: four
     * made the method too big for C2 (see the class comment). The halves written out with constant
     * masks: as a loop over them with the mask chosen per half, a harness (one type per JVM, two
     * threads, 8192 × 12288) ran this kernel at 2.3–3.0 GB/s in six runs of six; written out, at
     * 12–14 in seven runs of nine (4.5–4.6 in the other two).
     */
    private static void q4_0x2(MemorySegment seg, long b0, long b1, int blocks, float[] x, int xOff, float[] sums, int at) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0;
        for (int b = 0; b < blocks; b++) {
            long o = 18L * b;
            float d0 = Float.float16ToFloat(seg.get(RowDecoder.I16, b0 + o)), d1 = Float.float16ToFloat(seg.get(RowDecoder.I16, b1 + o));
            IntVector q0 = (IntVector) ByteVector.fromMemorySegment(B16, seg, b0 + o + 2, LE).convertShape(ZB2I, I, 0);
            IntVector q1 = (IntVector) ByteVector.fromMemorySegment(B16, seg, b1 + o + 2, LE).convertShape(ZB2I, I, 0);
            FloatVector xl = FloatVector.fromArray(S, x, xOff + 32 * b), xh = FloatVector.fromArray(S, x, xOff + 32 * b + 16);
            a0 = ((FloatVector) q0.and(0x0F).convertShape(I2F, S, 0)).fma(d0, -8 * d0).fma(xl, a0);
            a1 = ((FloatVector) q1.and(0x0F).convertShape(I2F, S, 0)).fma(d1, -8 * d1).fma(xl, a1);
            a0 = ((FloatVector) q0.and(0xF0).convertShape(I2F, S, 0)).fma(d0 * 0.0625f, -8 * d0).fma(xh, a0);
            a1 = ((FloatVector) q1.and(0xF0).convertShape(I2F, S, 0)).fma(d1 * 0.0625f, -8 * d1).fma(xh, a1);
        }
        sums[at] = LaneSum.of(a0);
        sums[at + 1] = LaneSum.of(a1);
    }

    /**
     * The factors of every Q4_K block of the four rows, block b's at {@code f[64b + 16r ..]}:
     * {@code d·scale_i} then {@code −dmin·min_i} for sub-blocks i = 0..7, computed before the vector
     * loop so that it calls nothing.
     */
    private static void q4_KFactorsx4(MemorySegment seg, long b0, long b1, long b2, long b3, int blocks, float[] f) {
        for (int b = 0; b < blocks; b++) {
            long o = 144L * b;
            q4_KFactors(seg, b0 + o, f, 64 * b, Sixteen.D_HIGH_IN_PLACE);
            q4_KFactors(seg, b1 + o, f, 64 * b + 16, Sixteen.D_HIGH_IN_PLACE);
            q4_KFactors(seg, b2 + o, f, 64 * b + 32, Sixteen.D_HIGH_IN_PLACE);
            q4_KFactors(seg, b3 + o, f, 64 * b + 48, Sixteen.D_HIGH_IN_PLACE);
        }
    }

    /**
     * {@link #q4_K} for four rows, one chain per row, factors of block b at {@code f[64b + 16r ..]}
     * ({@link #q4_KFactorsx4}); loops over sub-blocks and halves rather than copies of the body keep
     * the kernel inside C2's budget.
     */
    private static void q4_Kx4(MemorySegment seg, long b0, long b1, long b2, long b3, int blocks, float[] x, int xOff,
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
