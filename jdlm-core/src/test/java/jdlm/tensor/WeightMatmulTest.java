package jdlm.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Every type's product against dequantise-then-float64, on shapes that leave edges everywhere. */
class WeightMatmulTest {
    private static final Arena ARENA = Arena.ofShared();
    private static final ThreadPool ONE = new ThreadPool(1, false), TWO = new ThreadPool(2, false);

    @AfterAll
    static void close() {
        ARENA.close();
    }

    private static float[] random(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = rnd.nextFloat() * 2 - 1;
        return x;
    }

    /** Columns per type: past one K block (256) and, for the float types, not a whole vector. */
    private static int colsFor(QuantType type) {
        return switch (type) {
            case F32, F16, BF16 -> 333;
            case Q8_0, Q4_0 -> 32 * 19;
            case Q4_K, Q6_K -> 256 * 3;
        };
    }

    /**
     * y = x·Wᵀ (+ y) with x and y at offsets inside larger arrays; checks against float64 over the
     * dequantised rows within 1e-5 of Σ|w·x| per output, and that nothing outside y's window moved.
     */
    private static float[] check(QuantType type, int rows, int n, boolean accumulate, ThreadPool pool, long seed) {
        return check(type, rows, colsFor(type), n, accumulate, pool, seed);
    }

    private static float[] check(QuantType type, int rows, int cols, int n, boolean accumulate, ThreadPool pool, long seed) {
        Random rnd = new Random(seed);
        WeightTensor w = Quantizer.quantize("w", type, random(rnd, rows * cols), 0, rows, cols, ARENA);
        int xOff = 5, yOff = 3;
        float[] x = random(rnd, xOff + n * cols + 2);
        float[] y = random(rnd, yOff + n * rows + 4), before = y.clone();
        WeightMatmul.multiply(pool, w, x, xOff, n, y, yOff, accumulate);
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            WeightMatmul.dequantizeRow(w, r, row, 0);
            for (int o = 0; o < n; o++) {
                double s = accumulate ? before[yOff + o * rows + r] : 0, mag = Math.abs(s);
                for (int k = 0; k < cols; k++) {
                    double p = (double) row[k] * x[xOff + o * cols + k];
                    s += p;
                    mag += Math.abs(p);
                }
                float got = y[yOff + o * rows + r];
                assertTrue(Math.abs(got - s) <= 1e-5 * mag + 1e-30,
                        type + " rows=" + rows + " n=" + n + " y[" + o + "," + r + "] = " + got + ", want " + s);
            }
        }
        for (int i = 0; i < yOff; i++) assertEquals(before[i], y[i]);
        for (int i = yOff + n * rows; i < y.length; i++) assertEquals(before[i], y[i]);
        float[] out = new float[n * rows];
        System.arraycopy(y, yOff, out, 0, out.length);
        return out;
    }

    @Test
    void everyTypeMatchesDequantisedFloat64OnOddShapes() {
        long seed = 0;
        for (QuantType type : QuantType.values()) {
            for (int n : new int[] {1, 2, 3, 7, 17, 33}) {
                for (int rows : new int[] {1, 7, 37}) check(type, rows, n, false, TWO, seed++);
            }
        }
    }

    @Test
    void accumulateAddsToWhatIsThere() {
        for (QuantType type : QuantType.values()) check(type, 21, 5, true, TWO, 100 + type.ordinal());
    }

    /** From 32 rows of x on, Gemm's packed path. */
    @Test
    void manyRowsOfXTakeGemmsPathAndMatchFloat64() {
        check(QuantType.Q4_0, 9, 70, false, TWO, 200);
        check(QuantType.F16, 6, 67, true, ONE, 201);
    }

    /**
     * Within a path (fused below 4 rows of x, tiled below 32, Gemm's from 32 on) every output is computed
     * alone in a fixed order: neither the thread count nor the other rows of x change a bit.
     */
    @Test
    void resultsAreTheSameBitsForAnyThreadCountAndBatchWithinAPath() {
        for (QuantType type : new QuantType[] {QuantType.Q4_K, QuantType.BF16, QuantType.Q6_K}) {
            for (int n : new int[] {3, 7, 67}) {
                float[] one = check(type, 53, n, false, ONE, 300), two = check(type, 53, n, false, TWO, 300);
                for (int i = 0; i < one.length; i++) assertEquals(Float.floatToIntBits(one[i]), Float.floatToIntBits(two[i]), type + " n=" + n);
            }
            Random rnd = new Random(300);
            int cols = colsFor(type);
            WeightTensor w = Quantizer.quantize("w", type, random(rnd, 53 * cols), 0, 53, cols, ARENA);
            float[] x = random(rnd, 5 + 70 * cols + 2);
            float[] seventy = new float[70 * 53], sixtyFour = new float[64 * 53];
            WeightMatmul.multiply(TWO, w, x, 5, 70, seventy, 0, false);
            WeightMatmul.multiply(ONE, w, x, 5 + 6 * cols, 64, sixtyFour, 0, false);
            for (int i = 0; i < sixtyFour.length; i++) {
                assertEquals(Float.floatToIntBits(seventy[6 * 53 + i]), Float.floatToIntBits(sixtyFour[i]), type + " y[" + i + "] of 64 rows vs 70");
            }
            float[] seven = new float[7 * 53], four = new float[4 * 53];
            WeightMatmul.multiply(TWO, w, x, 5, 7, seven, 0, false);
            WeightMatmul.multiply(TWO, w, x, 5 + 3 * cols, 4, four, 0, false);
            for (int i = 0; i < four.length; i++) {
                assertEquals(Float.floatToIntBits(seven[3 * 53 + i]), Float.floatToIntBits(four[i]), type + " y[" + i + "] of 4 rows vs 7");
            }
            float[] three = new float[3 * 53];
            WeightMatmul.multiply(TWO, w, x, 5, 3, three, 0, false);
            for (int o = 0; o < 3; o++) {
                float[] single = new float[53];
                WeightMatmul.multiply(TWO, w, x, 5 + o * cols, 1, single, 0, false);
                for (int r = 0; r < 53; r++) {
                    assertEquals(Float.floatToIntBits(three[o * 53 + r]), Float.floatToIntBits(single[r]), type + " row " + o);
                }
            }
        }
    }

    /**
     * Matrix-vector (n < 4; fused for the types RowDots supports), with accumulate, offsets and rows split
     * unevenly over 2 threads; quantised rows also wider than {@link RowDots#ROW_STREAM_MAX_COLS}, which
     * go four at a time.
     */
    @Test
    void fusedMatrixVectorMatchesFloat64WithAccumulateAndOffsets() {
        for (QuantType type : QuantType.values()) {
            for (int n = 1; n <= 3; n++) check(type, 4 * 100 + 3, n, true, TWO, 400 + 10L * type.ordinal() + n);
            check(type, 2, 1, true, ONE, 450 + type.ordinal());
            int wide = RowDots.ROW_STREAM_MAX_COLS + 256;
            for (int n = 1; n <= 3; n++) check(type, 4 * 10 + 3, wide, n, true, TWO, 470 + 10L * type.ordinal() + n);
        }
    }

    /**
     * The fused path (n < 4, where RowDots supports the type) against the tiled one (4 ≤ n < 32):
     * narrow quantised rows, summed in another order, agree with it to rounding, the four-row kernels
     * (float types, wide rows) and the types not fused to the bit; and the bits are the same on 1 or 2 threads, with enough work that 2 threads really split the 803 rows (into
     * ranges of uneven length), with odd block counts (19 Q8_0/Q4_0 blocks, 3 Q4_K blocks), and with
     * rows wider than {@link RowDots#ROW_STREAM_MAX_COLS} (quantised ones go four at a time).
     */
    @Test
    void fusedPathAgreesWithTiledToRoundingAndIsTheSameOnAnyThreadCount() {
        int rows = 803;
        for (QuantType type : QuantType.values()) {
            for (int cols : new int[] {colsFor(type), RowDots.ROW_STREAM_MAX_COLS + 256}) {
                Random rnd = new Random(500 + type.ordinal());
                WeightTensor w = Quantizer.quantize("w", type, random(rnd, rows * cols), 0, rows, cols, ARENA);
                float[] x = random(rnd, 6 * cols);
                float[] tiled = new float[6 * rows];
                WeightMatmul.multiply(ONE, w, x, 0, 6, tiled, 0, false);
                float[] row = new float[cols];
                for (int n = 1; n <= 3; n++) {
                    float[] one = new float[n * rows], two = new float[n * rows];
                    WeightMatmul.multiply(ONE, w, x, 2 * cols, n, one, 0, false);
                    WeightMatmul.multiply(TWO, w, x, 2 * cols, n, two, 0, false);
                    String where = type + " cols=" + cols + " n=" + n;
                    for (int i = 0; i < one.length; i++) {
                        assertEquals(Float.floatToIntBits(one[i]), Float.floatToIntBits(two[i]), where + " y[" + i + "] on 1 vs 2 threads");
                        int o = i / rows, r = i % rows;
                        WeightMatmul.dequantizeRow(w, r, row, 0);
                        double mag = 0;
                        for (int k = 0; k < cols; k++) mag += Math.abs((double) row[k] * x[(2 + o) * cols + k]);
                        assertTrue(Math.abs(one[i] - tiled[2 * rows + i]) <= 2e-6 * mag,
                                where + " y[" + i + "] fused " + one[i] + " vs tiled " + tiled[2 * rows + i]);
                        if (!RowDots.supports(type) || !RowDots.oneAtATime(type, cols)) {
                            assertEquals(Float.floatToIntBits(tiled[2 * rows + i]), Float.floatToIntBits(one[i]), where + " y[" + i + "] four-row vs tiled bits");
                        }
                    }
                }
            }
        }
    }

    /**
     * From 32 rows of x on the product is {@link Gemm}'s on the dequantised matrix, to the bit, on 1 or 2
     * threads, with accumulate; 803 rows leave an edge sliver of 35 and split unevenly over 2 threads.
     */
    @Test
    void manyRowsOfXGiveGemmsBitsOnTheDequantisedMatrix() {
        int rows = 803, n = 67;
        for (QuantType type : QuantType.values()) {
            Random rnd = new Random(500 + type.ordinal());
            int cols = colsFor(type);
            WeightTensor w = Quantizer.quantize("w", type, random(rnd, rows * cols), 0, rows, cols, ARENA);
            float[] dense = new float[rows * cols];
            for (int r = 0; r < rows; r++) WeightMatmul.dequantizeRow(w, r, dense, r * cols);
            float[] x = random(rnd, n * cols), y0 = random(rnd, n * rows);
            float[] want = y0.clone();
            Gemm.gemm(ONE, false, true, n, rows, cols, x, 0, cols, dense, 0, cols, want, 0, rows, true);
            for (ThreadPool pool : new ThreadPool[] {ONE, TWO}) {
                float[] got = y0.clone();
                WeightMatmul.multiply(pool, w, x, 0, n, got, 0, true);
                for (int i = 0; i < got.length; i++) {
                    assertEquals(Float.floatToIntBits(want[i]), Float.floatToIntBits(got[i]), type + " threads=" + pool.threads() + " y[" + i + "]");
                }
            }
        }
    }

    /** An F16 matrix holding these half bit patterns, row after row. */
    private static WeightTensor halves(short[] bits, int rows, int cols) {
        java.lang.foreign.MemorySegment seg = ARENA.allocate(2L * bits.length, 64);
        for (int i = 0; i < bits.length; i++) seg.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, 2L * i, bits[i]);
        return new WeightTensor("halves", QuantType.F16, new long[] {rows, cols}, seg);
    }

    /** Every finite half, read by the matrix-vector product against one-hot x: each comes out as Float.float16ToFloat's value. */
    @Test
    void everyFiniteHalfIsReadExactly() {
        short[] bits = new short[63488];
        int n = 0;
        for (int h = 0; h < 65536; h++) if ((h & 0x7C00) != 0x7C00) bits[n++] = (short) h;
        int rows = 992, cols = 64;
        WeightTensor w = halves(bits, rows, cols);
        float[] y = new float[rows];
        for (int j = 0; j < cols; j++) {
            float[] x = new float[cols];
            x[j] = 1;
            WeightMatmul.multiply(TWO, w, x, 0, 1, y, 0, false);
            for (int r = 0; r < rows; r++) {
                float want = Float.float16ToFloat(bits[r * cols + j]);
                assertTrue(y[r] == want, "half 0x" + Integer.toHexString(bits[r * cols + j] & 0xFFFF) + ": " + y[r] + ", want " + want);
            }
        }
    }

    /** Rows holding infinities and NaNs, in the vector part and in the tail, give what float arithmetic gives. */
    @Test
    void halfInfinitiesAndNaNsPropagateAsInFloat() {
        for (int cols : new int[] {333, 4096}) {
            int rows = 6;
            Random rnd = new Random(cols);
            short[] bits = new short[rows * cols];
            for (int i = 0; i < bits.length; i++) bits[i] = Float.floatToFloat16(rnd.nextFloat() - 0.5f);
            short inf = (short) 0x7C00, negInf = (short) 0xFC00, nan = (short) 0x7E00;
            bits[0 * cols + 5] = inf;                 // in the vectors
            bits[1 * cols + 6] = negInf;
            bits[2 * cols + 7] = nan;
            bits[3 * cols + cols - 1] = inf;          // in the tail (333) or the last vector (4096)
            bits[4 * cols + 9] = inf;
            bits[4 * cols + 10] = negInf;             // inf − inf: NaN
            WeightTensor w = halves(bits, rows, cols);
            float[] x = new float[cols];
            for (int i = 0; i < cols; i++) x[i] = 0.5f + rnd.nextFloat(); // positive: the signs of the infinities survive
            float[] y = new float[rows];
            WeightMatmul.multiply(ONE, w, x, 0, 1, y, 0, false);
            for (int r = 0; r < rows; r++) {
                double s = 0;
                for (int k = 0; k < cols; k++) s += (double) Float.float16ToFloat(bits[r * cols + k]) * x[k];
                String where = "cols=" + cols + " row " + r + ": " + y[r] + ", want " + s;
                if (Double.isNaN(s) || Double.isInfinite(s)) assertEquals(Double.valueOf(s).floatValue(), y[r], where);
                else assertTrue(Math.abs(y[r] - s) <= 1e-5 * cols, where);
            }
        }
    }

    @Test
    void operandsTooShortAreRejected() {
        WeightTensor w = Quantizer.quantize("blk.0.ffn_up", QuantType.Q8_0, new float[4 * 64], 0, 4, 64, ARENA);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WeightMatmul.multiply(w, new float[127], 0, 2, new float[8], 0, false));
        assertTrue(e.getMessage().contains("blk.0.ffn_up"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> WeightMatmul.multiply(w, new float[128], 0, 2, new float[7], 0, false));
        assertThrows(IndexOutOfBoundsException.class, () -> WeightMatmul.dequantizeRow(w, 4, new float[64], 0));
    }
}
