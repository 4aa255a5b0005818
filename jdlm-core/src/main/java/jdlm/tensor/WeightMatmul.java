package jdlm.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code y[n, rows] (+)= x[n, cols] · Wᵀ} where W is a {@link WeightTensor} of any supported
 * {@link QuantType}, read in place (memory-mapped), never dequantised as a whole: this is how
 * imported models (LLaDA, Dream from GGUF or safetensors) run their linear layers. Three paths, by
 * the number of rows of x (measured crossovers; {@code ./jdlm bench kernels} shows the first and last):
 *
 * <p>Fewer than {@link #FUSED_MAX_N} (matrix-vector, bound by reading W once), of a type
 * {@link RowDots} supports on this machine's vectors: the output rows are cut into a few contiguous
 * ranges per thread of the {@link ThreadPool}, and each range is read one quantised row after the
 * other (one sequential stream; float rows and wide quantised rows four side by side), decoded in
 * registers and multiplied at once ({@link RowDots}), for each row of x while those rows are in cache.
 *
 * <p>Up to {@link #GEMM_MIN_N}: tasks of {@link #RW} weight rows. A task decodes its rows one K block
 * ({@link #KC} elements, L1-sized) at a time ({@link RowDecoder}: the GGML blocks of that stretch, in
 * registers, to floats) and runs every row of x against them in 4×4 register tiles (4 weight rows × 4
 * rows of x, 16 accumulators), so each decoded block serves all n rows of x. With fewer than 4 rows of
 * x (a type not fused) tasks are 4 rows, K blocks {@link #KC_FEW} long and the tiles 4×1.
 *
 * <p>From {@link #GEMM_MIN_N} on (a denoising step over a canvas or a block): {@link Gemm}'s packed path,
 * which asks for W a sliver of rows and a K block at a time; RowDecoder decodes them, Gemm packs
 * them (L2) and every row of x meets them in its 6-row micro-kernel: one load of W per 6 rows of x
 * where the 4×4 tiles load W and x alike, worth its packing once n is large.
 *
 * <p>Determinism: the bits of an output depend on its path, never on the thread count nor on the
 * other rows of x. On the fused path, RowDots' fixed chains per row (several for narrow quantised
 * rows). On the tiled path every output is one vector FMA chain over its columns' vectors in order
 * (parked in a buffer between K blocks), a fixed-order {@link LaneSum}, then the columns past the
 * last whole vector. From {@link #GEMM_MIN_N} on, Gemm's bits on the dequantised matrix. The three
 * agree to rounding.
 */
public final class WeightMatmul {
    private WeightMatmul() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Weight rows per task. */
    private static final int RW = 16;
    /** Columns decoded at a time: a multiple of every block size; RW×KC floats (16 KiB) stay in L1. */
    private static final int KC = 256;
    /**
     * Columns decoded at a time when fewer than 4 rows of x use them (matrix-vector of a type that is
     * not fused): the decoded stretch is read once, so it may sit in L2, and longer runs amortise each
     * decode call.
     */
    private static final int KC_FEW = 2048;
    /** Fewer rows of x than this take the fused path ({@link RowDots}): below it decoding once per row of x is cheaper than a buffer. */
    private static final int FUSED_MAX_N = 4;
    /**
     * From this many rows of x on, {@link Gemm}'s packed path: measured (4096², 2 threads) it ran at
     * 0.5–0.7× the 4×4 tiles for n = 4, 0.75–1.1× at 16 (packing costs about what it saves),
     * 0.84–1.5× at 32, 1.1–1.9× at 48 and 1.5–2.4× at 256. The system property {@code jdlm.weightGemmMinRows} moves
     * it, to compare the paths ({@code ./jdlm bench kernels --weights-only --rows-of-x ...}).
     */
    private static final int GEMM_MIN_N = Math.max(FUSED_MAX_N, Integer.getInteger("jdlm.weightGemmMinRows", 32));
    /** Below this many multiply-adds one thread beats handing work to the pool. */
    private static final long PARALLEL_MACS = 1L << 18;

    /** Per-thread scratch, reused across calls: decoded weights, parked accumulators, decoded tails, fused sums and factors. */
    private static final class Scratch {
        final float[] w = new float[RW * KC_FEW];
        /** Parked accumulators, RW vectors per row of x, grown to the most rows of x seen below GEMM_MIN_N. */
        float[] acc = new float[0];
        final float[] tail = new float[RW * L];
        final float[] sums = new float[4];
        /** Block factors for {@link RowDots}, grown to the widest rows seen. */
        float[] factors = new float[0];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * x holds n rows of {@code w.cols()} floats from {@code xOff}; y receives n rows of
     * {@code w.rows()} floats from {@code yOff}, added to what is there when {@code accumulate}.
     */
    public static void multiply(WeightTensor w, float[] x, int xOff, int n, float[] y, int yOff, boolean accumulate) {
        multiply(ThreadPool.shared(), w, x, xOff, n, y, yOff, accumulate);
    }

    /** {@link #multiply(WeightTensor, float[], int, int, float[], int, boolean)} on a given pool (benchmarks use pools of 1 and 2 threads). */
    public static void multiply(ThreadPool pool, WeightTensor w, float[] x, int xOff, int n, float[] y, int yOff,
                                boolean accumulate) {
        if (w.rows() > Integer.MAX_VALUE || w.cols() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(w.name() + ": " + w.rows() + "×" + w.cols() + " is too large for float[] operands");
        }
        int rows = (int) w.rows(), cols = (int) w.cols();
        if (n < 0 || xOff < 0 || yOff < 0 || xOff + (long) n * cols > x.length || yOff + (long) n * rows > y.length) {
            throw new IllegalArgumentException(w.name() + ": n=" + n + " rows of x[" + cols + "] from " + xOff + " (x has "
                    + x.length + ") into y[" + rows + "] from " + yOff + " (y has " + y.length + ")");
        }
        if (n == 0 || rows == 0) return;
        if (n >= GEMM_MIN_N) {
            QuantType type = w.type();
            MemorySegment data = w.data();
            long rowBytes = w.rowBytes();
            // Gemm asks for K blocks of 512 columns: whole blocks of every type (32 and 256)
            Gemm.gemmRows(pool, n, rows, cols, x, xOff, cols,
                    (j0, nr, p0, kc, dst, ld) -> RowDecoder.decode(type, data, j0 * rowBytes, rowBytes, nr, p0, kc, dst, 0, ld),
                    y, yOff, rows, accumulate);
            return;
        }
        boolean parallel = pool.threads() > 1 && (long) rows * cols * n >= PARALLEL_MACS;
        if (n < FUSED_MAX_N && RowDots.supports(w.type())) {
            // Contiguous ranges of rows, a few per thread so that a thread slowed by a neighbour
            // hands its share to the other; each range is one sequential stream of bytes.
            int per = ceilDiv(rows, parallel ? Math.min(rows, pool.threads() * 4) : 1);
            int tasks = ceilDiv(rows, per);
            java.util.function.IntConsumer task = t -> rowDots(w, rows, cols, t * per, Math.min(per, rows - t * per),
                    x, xOff, n, y, yOff, accumulate, SCRATCH.get());
            if (tasks > 1) {
                pool.parallelFor(tasks, task);
            } else {
                task.accept(0);
            }
            return;
        }
        // A matrix-vector product streams W once: 4 rows per task read as 4 long sequential streams,
        // which the hardware prefetchers follow (16 rows in short stretches ran several times slower).
        int per = n < 4 ? 4 : RW;
        int tasks = ceilDiv(rows, per);
        java.util.function.IntConsumer task = t -> rowBlock(w, rows, cols, t * per, Math.min(per, rows - t * per),
                x, xOff, n, y, yOff, accumulate, SCRATCH.get());
        if (tasks > 1 && parallel) {
            pool.parallelFor(tasks, task);
        } else {
            for (int t = 0; t < tasks; t++) task.accept(t);
        }
    }

    /** Row {@code row} of w as floats into {@code dst} (an embedding lookup, or a reference for tests). */
    public static void dequantizeRow(WeightTensor w, long row, float[] dst, int dstOff) {
        if (row < 0 || row >= w.rows()) throw new IndexOutOfBoundsException(w.name() + ": row " + row + " of " + w.rows());
        int cols = Math.toIntExact(w.cols());
        RowDecoder.decode(w.type(), w.data(), row * w.rowBytes(), 0, 1, 0, cols, dst, dstOff, 0);
    }

    /**
     * Outputs of weight rows [r0, r0+nr) for all n rows of x, fused ({@link RowDots}): quantised rows
     * up to 4096 columns one after the other, others four at a time; each x row in turn while those
     * rows' bytes are still in cache.
     */
    private static void rowDots(WeightTensor w, int rows, int cols, int r0, int nr, float[] x, int xOff, int n,
                                float[] y, int yOff, boolean accumulate, Scratch s) {
        QuantType type = w.type();
        MemorySegment data = w.data();
        long rowBytes = w.rowBytes();
        if (s.factors.length < RowDots.scratchFloats(cols)) s.factors = new float[RowDots.scratchFloats(cols)];
        if (RowDots.oneAtATime(type, cols)) {
            for (int r = r0; r < r0 + nr; r++) {
                for (int o = 0; o < n; o++) {
                    float sum = RowDots.dot(type, data, r * rowBytes, cols, x, xOff + o * cols, s.factors);
                    int yr = yOff + o * rows + r;
                    y[yr] = accumulate ? y[yr] + sum : sum;
                }
            }
            return;
        }
        int last = r0 + nr - 1;
        for (int r = r0; r <= last; r += 4) {
            // a group past the last row repeats it; those sums are dropped
            long b0 = r * rowBytes, b1 = Math.min(r + 1, last) * rowBytes;
            long b2 = Math.min(r + 2, last) * rowBytes, b3 = Math.min(r + 3, last) * rowBytes;
            int count = Math.min(4, last + 1 - r);
            for (int o = 0; o < n; o++) {
                RowDots.dot4(type, data, b0, b1, b2, b3, cols, x, xOff + o * cols, s.sums, s.factors);
                int yr = yOff + o * rows + r;
                for (int i = 0; i < count; i++) y[yr + i] = accumulate ? y[yr + i] + s.sums[i] : s.sums[i];
            }
        }
    }

    /** Outputs of weight rows [r0, r0+nr) for all n (fewer than GEMM_MIN_N) rows of x. */
    private static void rowBlock(WeightTensor w, int rows, int cols, int r0, int nr, float[] x, int xOff, int n,
                                 float[] y, int yOff, boolean accumulate, Scratch s) {
        QuantType type = w.type();
        long rowBytes = w.rowBytes();
        int kv = cols - cols % L; // whole vectors; only the float types can have a tail
        if (s.acc.length < n * RW * L) s.acc = new float[n * RW * L];
        float[] wb = s.w, acc = s.acc, tail = s.tail;
        MemorySegment data = w.data();
        long base = r0 * rowBytes;
        if (kv < cols) RowDecoder.decode(type, data, base, rowBytes, nr, kv, cols - kv, tail, 0, L);
        int ldw = n < 4 ? KC_FEW : KC; // decoded row stride and K block
        java.util.Arrays.fill(acc, 0, n * RW * L, 0f);
        for (int k0 = 0; k0 < kv; k0 += ldw) {
            int kc = Math.min(ldw, kv - k0);
            RowDecoder.decode(type, data, base, rowBytes, nr, k0, kc, wb, 0, ldw);
            int xb = xOff + k0;
            int o = 0;
            for (; o + 4 <= n; o += 4) {
                int r = 0;
                for (; r + 4 <= nr; r += 4) tile4x4(wb, r * ldw, ldw, x, xb + o * cols, cols, kc, acc, (o * RW + r) * L);
                for (; r < nr; r++) {
                    for (int oo = o; oo < o + 4; oo++) tile1x1(wb, r * ldw, x, xb + oo * cols, kc, acc, (oo * RW + r) * L);
                }
            }
            for (; o < n; o++) {
                int r = 0;
                for (; r + 4 <= nr; r += 4) tile4x1(wb, r * ldw, ldw, x, xb + o * cols, kc, acc, (o * RW + r) * L);
                for (; r < nr; r++) tile1x1(wb, r * ldw, x, xb + o * cols, kc, acc, (o * RW + r) * L);
            }
        }
        for (int o = 0; o < n; o++) {
            int xr = xOff + o * cols, yr = yOff + o * rows + r0;
            for (int r = 0; r < nr; r++) {
                float sum = LaneSum.of(FloatVector.fromArray(S, acc, (o * RW + r) * L));
                for (int p = kv; p < cols; p++) sum += tail[r * L + p - kv] * x[xr + p];
                y[yr + r] = accumulate ? y[yr + r] + sum : sum;
            }
        }
    }

    /**
     * acc(o, r) += w[r, 0:len] · x[o, 0:len] lanewise for 4 weight rows r (ldw apart from wi) and 4
     * rows o of x (ldx apart from xi); acc(o, r) is the vector at {@code ai + (o*RW + r)*L}.
     */
    private static void tile4x4(float[] w, int wi, int ldw, float[] x, int xi, int ldx, int len, float[] acc, int ai) {
        final int o1 = RW * L, o2 = 2 * RW * L, o3 = 3 * RW * L;
        FloatVector a00 = FloatVector.fromArray(S, acc, ai), a01 = FloatVector.fromArray(S, acc, ai + L);
        FloatVector a02 = FloatVector.fromArray(S, acc, ai + 2 * L), a03 = FloatVector.fromArray(S, acc, ai + 3 * L);
        FloatVector a10 = FloatVector.fromArray(S, acc, ai + o1), a11 = FloatVector.fromArray(S, acc, ai + o1 + L);
        FloatVector a12 = FloatVector.fromArray(S, acc, ai + o1 + 2 * L), a13 = FloatVector.fromArray(S, acc, ai + o1 + 3 * L);
        FloatVector a20 = FloatVector.fromArray(S, acc, ai + o2), a21 = FloatVector.fromArray(S, acc, ai + o2 + L);
        FloatVector a22 = FloatVector.fromArray(S, acc, ai + o2 + 2 * L), a23 = FloatVector.fromArray(S, acc, ai + o2 + 3 * L);
        FloatVector a30 = FloatVector.fromArray(S, acc, ai + o3), a31 = FloatVector.fromArray(S, acc, ai + o3 + L);
        FloatVector a32 = FloatVector.fromArray(S, acc, ai + o3 + 2 * L), a33 = FloatVector.fromArray(S, acc, ai + o3 + 3 * L);
        for (int p = 0; p < len; p += L) {
            FloatVector w0 = FloatVector.fromArray(S, w, wi + p), w1 = FloatVector.fromArray(S, w, wi + ldw + p);
            FloatVector w2 = FloatVector.fromArray(S, w, wi + 2 * ldw + p), w3 = FloatVector.fromArray(S, w, wi + 3 * ldw + p);
            FloatVector xv = FloatVector.fromArray(S, x, xi + p);
            a00 = w0.fma(xv, a00); a01 = w1.fma(xv, a01); a02 = w2.fma(xv, a02); a03 = w3.fma(xv, a03);
            xv = FloatVector.fromArray(S, x, xi + ldx + p);
            a10 = w0.fma(xv, a10); a11 = w1.fma(xv, a11); a12 = w2.fma(xv, a12); a13 = w3.fma(xv, a13);
            xv = FloatVector.fromArray(S, x, xi + 2 * ldx + p);
            a20 = w0.fma(xv, a20); a21 = w1.fma(xv, a21); a22 = w2.fma(xv, a22); a23 = w3.fma(xv, a23);
            xv = FloatVector.fromArray(S, x, xi + 3 * ldx + p);
            a30 = w0.fma(xv, a30); a31 = w1.fma(xv, a31); a32 = w2.fma(xv, a32); a33 = w3.fma(xv, a33);
        }
        a00.intoArray(acc, ai); a01.intoArray(acc, ai + L); a02.intoArray(acc, ai + 2 * L); a03.intoArray(acc, ai + 3 * L);
        a10.intoArray(acc, ai + o1); a11.intoArray(acc, ai + o1 + L); a12.intoArray(acc, ai + o1 + 2 * L); a13.intoArray(acc, ai + o1 + 3 * L);
        a20.intoArray(acc, ai + o2); a21.intoArray(acc, ai + o2 + L); a22.intoArray(acc, ai + o2 + 2 * L); a23.intoArray(acc, ai + o2 + 3 * L);
        a30.intoArray(acc, ai + o3); a31.intoArray(acc, ai + o3 + L); a32.intoArray(acc, ai + o3 + 2 * L); a33.intoArray(acc, ai + o3 + 3 * L);
    }

    /** {@link #tile4x4} for one row of x: the matrix-vector product. */
    private static void tile4x1(float[] w, int wi, int ldw, float[] x, int xi, int len, float[] acc, int ai) {
        FloatVector a0 = FloatVector.fromArray(S, acc, ai), a1 = FloatVector.fromArray(S, acc, ai + L);
        FloatVector a2 = FloatVector.fromArray(S, acc, ai + 2 * L), a3 = FloatVector.fromArray(S, acc, ai + 3 * L);
        for (int p = 0; p < len; p += L) {
            FloatVector xv = FloatVector.fromArray(S, x, xi + p);
            a0 = FloatVector.fromArray(S, w, wi + p).fma(xv, a0);
            a1 = FloatVector.fromArray(S, w, wi + ldw + p).fma(xv, a1);
            a2 = FloatVector.fromArray(S, w, wi + 2 * ldw + p).fma(xv, a2);
            a3 = FloatVector.fromArray(S, w, wi + 3 * ldw + p).fma(xv, a3);
        }
        a0.intoArray(acc, ai); a1.intoArray(acc, ai + L); a2.intoArray(acc, ai + 2 * L); a3.intoArray(acc, ai + 3 * L);
    }

    /** One weight row against one row of x, for the edges. */
    private static void tile1x1(float[] w, int wi, float[] x, int xi, int len, float[] acc, int ai) {
        FloatVector a = FloatVector.fromArray(S, acc, ai);
        for (int p = 0; p < len; p += L) a = FloatVector.fromArray(S, w, wi + p).fma(FloatVector.fromArray(S, x, xi + p), a);
        a.intoArray(acc, ai);
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
