package jdlm.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class GemmTest {

    /** C = op(A)·op(B) (+C) in float64, the independent reference. */
    private static double[] reference(boolean transA, boolean transB, int m, int n, int k,
                                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                      float[] c, int cOff, int ldc, boolean accumulate) {
        double[] out = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = accumulate ? c[cOff + i * ldc + j] : 0;
                for (int p = 0; p < k; p++) {
                    double av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    double bv = transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                    s += av * bv;
                }
                out[i * n + j] = s;
            }
        }
        return out;
    }

    private static float[] random(Random rnd, int size) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) x[i] = rnd.nextFloat() * 2 - 1;
        return x;
    }

    /**
     * Runs one case with offsets and padded strides, checks the result against float64 within 1e-5 of
     * the result's scale (max|diff| / max|ref|), and checks that C outside the [m,n] window is untouched.
     */
    private static void check(boolean transA, boolean transB, int m, int n, int k, int pad, boolean accumulate,
                              long seed) {
        Random rnd = new Random(seed);
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        int lda = aCols + pad, ldb = bCols + pad, ldc = n + pad;
        int aOff = 3, bOff = 5, cOff = 7;
        float[] a = random(rnd, aOff + aRows * lda + 1);
        float[] b = random(rnd, bOff + bRows * ldb + 1);
        float[] c = random(rnd, cOff + m * ldc + 1);
        float[] before = c.clone();
        double[] ref = reference(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
        Gemm.gemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
        double maxRef = 0, maxDiff = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double r = ref[i * n + j];
                maxRef = Math.max(maxRef, Math.abs(r));
                maxDiff = Math.max(maxDiff, Math.abs(r - c[cOff + i * ldc + j]));
            }
        }
        String what = "transA=" + transA + " transB=" + transB + " m=" + m + " n=" + n + " k=" + k
                + " pad=" + pad + " acc=" + accumulate;
        assertTrue(maxDiff <= 1e-5 * Math.max(maxRef, 1e-30) || maxDiff == 0,
                what + ": max|diff|=" + maxDiff + " max|ref|=" + maxRef);
        // everything outside the window (offset prefix, stride padding, tail) is untouched
        for (int idx = 0; idx < c.length; idx++) {
            int rel = idx - cOff;
            boolean inside = rel >= 0 && rel / ldc < m && rel % ldc < n;
            if (!inside) assertEquals(before[idx], c[idx], what + ": wrote outside C at " + idx);
        }
    }

    @Test
    void allTransposeCombosMatchFloat64OnOddShapes() {
        int[][] shapes = {
                {1, 1, 1}, {2, 3, 5}, {7, 1, 9}, {1, 17, 33}, {6, 32, 16}, {13, 37, 29}, {31, 65, 257},
                {97, 45, 300}, {5, 200, 70}, {130, 33, 513}, {64, 64, 64}, {300, 7, 40}, {3, 3, 1000},
        };
        long seed = 1;
        for (int[] s : shapes) {
            for (int t = 0; t < 4; t++) {
                check((t & 1) != 0, (t & 2) != 0, s[0], s[1], s[2], 0, false, seed++);
                check((t & 1) != 0, (t & 2) != 0, s[0], s[1], s[2], 19, true, seed++);
            }
        }
    }

    @Test
    void tallAndWideProductsCrossTileAndKBlockEdges() {
        check(false, true, 257, 300, 600, 3, false, 11);   // several C tiles, K not a multiple of KC
        check(false, false, 1000, 40, 70, 0, true, 12);    // tall
        check(true, false, 20, 1100, 90, 1, false, 13);    // wide
        check(true, true, 140, 260, 530, 17, true, 14);
        check(false, true, 70, 259, 90, 2, true, 15);    // a last sliver of 3 columns (the narrow kernel)
    }

    @Test
    void matrixVectorPathsMatchFloat64() {
        for (int t = 0; t < 4; t++) {
            boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
            check(ta, tb, 1, 1, 1, 0, false, 20 + t);
            check(ta, tb, 1, 4099, 1031, 0, false, 30 + t);   // m == 1, big enough to run in parallel
            check(ta, tb, 1, 37, 45, 5, true, 40 + t);
            check(ta, tb, 2051, 1, 513, 2, false, 50 + t);   // n == 1
            check(ta, tb, 29, 1, 77, 0, true, 60 + t);
        }
    }

    @Test
    void sameCallGivesIdenticalBitsAgainAndOnAFreshPoolOfTheSameSize() {
        // the blocked path on two threads: every shape crosses tile, sliver and K-block edges
        int[][] shapes = {{257, 300, 600}, {96, 1408, 512}, {1, 4099, 1031}, {300, 1, 700}};
        ThreadPool first = new ThreadPool(2, true);
        ThreadPool fresh = new ThreadPool(2, true);
        long seed = 70;
        for (int[] s : shapes) {
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                int m = s[0], n = s[1], k = s[2];
                Random rnd = new Random(seed++);
                float[] a = random(rnd, m * k), b = random(rnd, k * n), c0 = random(rnd, m * n);
                int lda = ta ? m : k, ldb = tb ? k : n;
                float[] c1 = c0.clone(), c2 = c0.clone(), c3 = c0.clone();
                boolean acc = (t & 1) == 0;
                Gemm.gemm(first, ta, tb, m, n, k, a, 0, lda, b, 0, ldb, c1, 0, n, acc);
                Gemm.gemm(first, ta, tb, m, n, k, a, 0, lda, b, 0, ldb, c2, 0, n, acc);
                Gemm.gemm(fresh, ta, tb, m, n, k, a, 0, lda, b, 0, ldb, c3, 0, n, acc);
                String what = "ta=" + ta + " tb=" + tb + " " + m + "x" + n + "x" + k;
                assertTrue(bitsEqual(c1, c2), what + ": second call differs");
                assertTrue(bitsEqual(c1, c3), what + ": fresh pool differs");
                assertTrue(!bitsEqual(c0, c1), what + ": C was not written");
            }
        }
    }

    private static boolean bitsEqual(float[] x, float[] y) {
        for (int i = 0; i < x.length; i++) {
            if (Float.floatToRawIntBits(x[i]) != Float.floatToRawIntBits(y[i])) return false;
        }
        return x.length == y.length;
    }

    @Test
    void emptyKGivesZeroOrLeavesCUnchanged() {
        float[] c = {1, 2, 3, 4, 5, 6};
        Gemm.gemm(false, true, 2, 2, 0, new float[0], 0, 0, new float[0], 0, 0, c, 0, 3, true);
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, c);
        Gemm.gemm(false, true, 2, 2, 0, new float[0], 0, 0, new float[0], 0, 0, c, 0, 3, false);
        assertArrayEquals(new float[] {0, 0, 3, 0, 0, 6}, c);
    }

    @Test
    void matmulIsXTimesWTransposed() {
        // x = [[1,2],[3,4]], W = [[1,0],[0,1],[1,1]] → y = [[1,2,3],[3,4,7]]
        float[] y = new float[6];
        Gemm.matmul(y, new float[] {1, 2, 3, 4}, new float[] {9, 1, 0, 0, 1, 1, 1}, 1, 2, 3, 2);
        assertArrayEquals(new float[] {1, 2, 3, 3, 4, 7}, y);
    }
}
