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
        Random rnd = new Random(seed);
        int cols = colsFor(type);
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
            for (int n : new int[] {1, 2, 3, 7, 17}) {
                for (int rows : new int[] {1, 7, 37}) check(type, rows, n, false, TWO, seed++);
            }
        }
    }

    @Test
    void accumulateAddsToWhatIsThere() {
        for (QuantType type : QuantType.values()) check(type, 21, 5, true, TWO, 100 + type.ordinal());
    }

    @Test
    void manyRowsOfXPassTheAccumulatorBuffer() {
        check(QuantType.Q4_0, 9, 70, false, TWO, 200);
        check(QuantType.F16, 6, 67, true, ONE, 201);
    }

    /** One FMA chain per output in a fixed order: the thread count and the batch size change no bit. */
    @Test
    void resultsAreTheSameBitsForAnyThreadCountAndBatch() {
        for (QuantType type : new QuantType[] {QuantType.Q4_K, QuantType.BF16}) {
            float[] one = check(type, 53, 7, false, ONE, 300), two = check(type, 53, 7, false, TWO, 300);
            for (int i = 0; i < one.length; i++) assertEquals(Float.floatToIntBits(one[i]), Float.floatToIntBits(two[i]));
            Random rnd = new Random(300);
            int cols = colsFor(type);
            WeightTensor w = Quantizer.quantize("w", type, random(rnd, 53 * cols), 0, 53, cols, ARENA);
            float[] x = random(rnd, 5 + 7 * cols + 2);
            for (int o = 0; o < 7; o++) {
                float[] single = new float[53];
                WeightMatmul.multiply(TWO, w, x, 5 + o * cols, 1, single, 0, false);
                for (int r = 0; r < 53; r++) {
                    assertEquals(Float.floatToIntBits(one[o * 53 + r]), Float.floatToIntBits(single[r]), type + " row " + o);
                }
            }
        }
    }

    /** Matrix-vector (n < 4; fused for the types RowDots supports), with accumulate, offsets and rows split unevenly over 2 threads. */
    @Test
    void fusedMatrixVectorMatchesFloat64WithAccumulateAndOffsets() {
        for (QuantType type : QuantType.values()) {
            for (int n = 1; n <= 3; n++) check(type, 4 * 100 + 3, n, true, TWO, 400 + 10L * type.ordinal() + n);
            check(type, 2, 1, true, ONE, 450 + type.ordinal());
        }
    }

    /**
     * The fused path (n < 4, where RowDots supports the type) and the tiled one (n ≥ 4) give the same bits, on 1 or 2 threads, with
     * enough work that 2 threads really split the 803 rows (into ranges that are not whole groups of 4).
     */
    @Test
    void fusedAndTiledPathsGiveTheSameBits() {
        int rows = 803;
        for (QuantType type : QuantType.values()) {
            Random rnd = new Random(500 + type.ordinal());
            int cols = colsFor(type);
            WeightTensor w = Quantizer.quantize("w", type, random(rnd, rows * cols), 0, rows, cols, ARENA);
            float[] x = random(rnd, 6 * cols);
            float[] tiled = new float[6 * rows];
            WeightMatmul.multiply(ONE, w, x, 0, 6, tiled, 0, false);
            for (ThreadPool pool : new ThreadPool[] {ONE, TWO}) {
                for (int n = 1; n <= 3; n++) {
                    float[] fused = new float[n * rows];
                    WeightMatmul.multiply(pool, w, x, 2 * cols, n, fused, 0, false);
                    for (int i = 0; i < fused.length; i++) {
                        assertEquals(Float.floatToIntBits(tiled[2 * rows + i]), Float.floatToIntBits(fused[i]),
                                type + " n=" + n + " threads=" + pool.threads() + " y[" + i + "]");
                    }
                }
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
