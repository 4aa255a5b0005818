package jdlm.tensor;

import static jdlm.tensor.GradientCheck.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SoftmaxTest {
    static double[] reference(double[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : x) max = Math.max(max, v);
        double sum = 0;
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) sum += y[i] = Math.exp(x[i] - max);
        for (int i = 0; i < x.length; i++) y[i] /= sum;
        return y;
    }

    @Test
    void forwardMatchesFloat64ReferenceAtAnOffset() {
        Random rnd = new Random(5);
        int n = 45, off = 3;
        float[] x = randn(rnd, off + n + 2, 3.0);
        float[] orig = x.clone();
        Softmax.forward(x, off, n);
        double[] ref = reference(toDouble(java.util.Arrays.copyOfRange(orig, off, off + n)));
        double err = relativeError(java.util.Arrays.copyOfRange(x, off, off + n), ref);
        report("Softmax.forward", err);
        assertTrue(err < 1e-6, "" + err);
        assertEquals(orig[0], x[0]);
        assertEquals(orig[off + n], x[off + n], "elements past the row untouched");
    }

    @Test
    void forwardIsStableForHugeLogits() {
        float[] x = new float[19];
        for (int i = 0; i < x.length; i++) x[i] = 1e4f + i;
        x[5] = -1e4f;
        Softmax.forward(x, 0, x.length);
        double[] ref = new double[x.length];
        for (int i = 0; i < x.length; i++) ref[i] = 1e4 + i;
        ref[5] = -1e4;
        ref = reference(ref);
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            assertTrue(Float.isFinite(x[i]), "finite at " + i);
            assertEquals(ref[i], x[i], 1e-6);
            sum += x[i];
        }
        assertEquals(1.0, sum, 1e-6);
        assertEquals(0f, x[5]);
    }

    @Test
    void backwardMatchesFiniteDifferencesAndAccumulates() {
        Random rnd = new Random(6);
        int n = 23;
        float[] x = randn(rnd, n, 2.0), g = randn(rnd, n, 1.0);
        float[] y = x.clone();
        Softmax.forward(y, 0, n);
        float[] dx0 = randn(rnd, n + 4, 1.0);
        float[] dx = dx0.clone();
        float[] yPad = new float[n + 1], gPad = new float[n + 2];
        System.arraycopy(y, 0, yPad, 1, n);
        System.arraycopy(g, 0, gPad, 2, n);
        Softmax.backward(dx, 4, yPad, 1, gPad, 2, n);
        double[] fd = finiteDifferences(toDouble(x), xx -> project(reference(xx), g));
        double err = relativeErrorOfIncrement(java.util.Arrays.copyOfRange(dx, 4, 4 + n),
                java.util.Arrays.copyOfRange(dx0, 4, 4 + n), fd);
        report("Softmax.backward", err);
        assertTrue(err < 1e-4, "" + err);
        for (int i = 0; i < 4; i++) assertEquals(dx0[i], dx[i]);
    }
}
