package jdlm.tensor;

import static jdlm.tensor.GradientCheck.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Test;

class RmsNormTest {
    static final float EPS = 1e-5f;

    static double[] reference(double[] x, double[] w, int wOff, int rows, int dim, double eps) {
        double[] out = new double[rows * dim];
        for (int r = 0; r < rows; r++) {
            double ss = 0;
            for (int j = 0; j < dim; j++) ss += x[r * dim + j] * x[r * dim + j];
            double rstd = 1 / Math.sqrt(ss / dim + eps);
            for (int j = 0; j < dim; j++) out[r * dim + j] = x[r * dim + j] * rstd * w[wOff + j];
        }
        return out;
    }

    @Test
    void forwardMatchesFloat64Reference() {
        Random rnd = new Random(1);
        for (int dim : new int[] {13, 64, 1030}) {
            int rows = 3, wOff = 5;
            float[] x = randn(rnd, rows * dim, 2.0);
            float[] w = randn(rnd, wOff + dim, 1.0);
            float[] out = new float[rows * dim];
            float[] rstd = new float[rows];
            RmsNorm.forward(out, x, w, wOff, rstd, rows, dim, EPS);
            double err = relativeError(out, reference(toDouble(x), toDouble(w), wOff, rows, dim, EPS));
            report("RmsNorm.forward dim " + dim, err);
            assertTrue(err < 1e-6, "dim " + dim + ": " + err);
            float[] noStats = new float[rows * dim];
            RmsNorm.forward(noStats, x, w, wOff, null, rows, dim, EPS);
            assertArrayEquals(out, noStats, "rstd == null must give the same output");
            for (int r = 0; r < rows; r++) {
                double ss = 0;
                for (int j = 0; j < dim; j++) ss += (double) x[r * dim + j] * x[r * dim + j];
                assertEquals(1 / Math.sqrt(ss / dim + EPS), rstd[r], 1e-6 * rstd[r]);
            }
        }
    }

    @Test
    void backwardMatchesFiniteDifferencesAndAccumulates() {
        Random rnd = new Random(2);
        int rows = 3, dim = 13, wOff = 2, dwOff = 3;
        float[] x = randn(rnd, rows * dim, 1.5);
        float[] w = randn(rnd, wOff + dim, 1.0);
        float[] g = randn(rnd, rows * dim, 1.0);
        float[] rstd = new float[rows];
        RmsNorm.forward(new float[rows * dim], x, w, wOff, rstd, rows, dim, EPS);

        float[] dx0 = randn(rnd, rows * dim, 1.0), dw0 = randn(rnd, dwOff + dim, 1.0);
        float[] dx = dx0.clone(), dw = dw0.clone();
        RmsNorm.backward(dx, dw, dwOff, g, x, w, wOff, rstd, rows, dim);

        double[] xd = toDouble(x), wd = toDouble(w);
        double[] fdX = finiteDifferences(xd, xx -> project(reference(xx, wd, wOff, rows, dim, EPS), g));
        double[] fdW = finiteDifferences(wd, ww -> project(reference(xd, ww, wOff, rows, dim, EPS), g));
        double errX = relativeErrorOfIncrement(dx, dx0, fdX);
        float[] dwInc = new float[dim];
        for (int j = 0; j < dim; j++) dwInc[j] = dw[dwOff + j] - dw0[dwOff + j];
        double errW = relativeError(dwInc, java.util.Arrays.copyOfRange(fdW, wOff, wOff + dim));
        report("RmsNorm.backward dx", errX);
        report("RmsNorm.backward dWeight", errW);
        assertTrue(errX < 1e-4, "dx " + errX);
        assertTrue(errW < 1e-4, "dWeight " + errW);
        for (int j = 0; j < dwOff; j++) assertEquals(dw0[j], dw[j], "dWeight outside dwOff..dwOff+dim untouched");
    }
}
