package jdlm.tensor;

import static jdlm.tensor.GradientCheck.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Test;

class RopeTest {
    /** Float64 rotation: pair i = (a, b) per style, angle pos·θ^(−2i/hd). */
    static double[] reference(double[] x, int xOff, int rows, int nHeads, int hd, int startPos, double theta, Rope.Style style) {
        double[] y = x.clone();
        for (int r = 0; r < rows; r++) {
            for (int h = 0; h < nHeads; h++) {
                int base = xOff + (r * nHeads + h) * hd;
                for (int i = 0; i < hd / 2; i++) {
                    double angle = (startPos + r) * Math.pow(theta, -2.0 * i / hd);
                    int a = style == Rope.Style.ADJACENT_PAIRS ? base + 2 * i : base + i;
                    int b = style == Rope.Style.ADJACENT_PAIRS ? a + 1 : a + hd / 2;
                    y[a] = x[a] * Math.cos(angle) - x[b] * Math.sin(angle);
                    y[b] = x[a] * Math.sin(angle) + x[b] * Math.cos(angle);
                }
            }
        }
        return y;
    }

    @Test
    void handWorkedExampleAtPositionOneDistinguishesStyles() {
        // headDim 4, θ = 10000: pair 0 turns by 1 rad, pair 1 by 10000^(−1/2) = 0.01 rad.
        // ADJACENT pairs (x0,x1), (x2,x3); HALVES pairs (x0,x2), (x1,x3).  x = [1, 2, 3, 4].
        float[] adj = {1, 2, 3, 4}, halves = {1, 2, 3, 4};
        new Rope(4, 10000, 2, Rope.Style.ADJACENT_PAIRS).apply(adj, 0, 1, 1, 1, false);
        new Rope(4, 10000, 2, Rope.Style.HALVES).apply(halves, 0, 1, 1, 1, false);
        // cos1 − 2sin1, sin1 + 2cos1, 3cos.01 − 4sin.01, 3sin.01 + 4cos.01
        assertArrayEquals(new float[] {-1.1426397f, 1.9220756f, 2.9598507f, 4.0297995f}, adj, 1e-6f);
        // cos1 − 3sin1, 2cos.01 − 4sin.01, sin1 + 3cos1, 2sin.01 + 4cos.01
        assertArrayEquals(new float[] {-1.9841106f, 1.9599007f, 2.4623779f, 4.0197997f}, halves, 1e-6f);
    }

    @Test
    void positionZeroIsIdentity() {
        float[] x = {1, 2, 3, 4, 5, 6};
        new Rope(6, 10000, 4, Rope.Style.HALVES).apply(x, 0, 1, 1, 0, false);
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, x);
    }

    @Test
    void matchesFloat64ReferenceForBothStyles() {
        Random rnd = new Random(7);
        int rows = 5, nHeads = 3, hd = 6, xOff = 4, start = 7;
        for (Rope.Style style : Rope.Style.values()) {
            float[] x = randn(rnd, xOff + rows * nHeads * hd + 3, 1.0);
            double[] ref = reference(toDouble(x), xOff, rows, nHeads, hd, start, 500000, style);
            new Rope(hd, 500000, 64, style).apply(x, xOff, rows, nHeads, start, false);
            double err = relativeError(x, ref);
            report("Rope.apply " + style, err);
            assertTrue(err < 1e-6, style + ": " + err);
        }
    }

    @Test
    void inverseUndoesApplyAndPairNormsArePreserved() {
        Random rnd = new Random(8);
        int rows = 9, nHeads = 2, hd = 8;
        for (Rope.Style style : Rope.Style.values()) {
            Rope rope = new Rope(hd, 10000, 32, style);
            float[] x = randn(rnd, rows * nHeads * hd, 1.0);
            float[] y = x.clone();
            rope.apply(y, 0, rows, nHeads, 20, false);
            assertFalse(java.util.Arrays.equals(x, y), "rotation changes the vector");
            for (int base = 0; base < x.length; base += hd) {
                for (int i = 0; i < hd / 2; i++) {
                    int a = style == Rope.Style.ADJACENT_PAIRS ? base + 2 * i : base + i;
                    int b = style == Rope.Style.ADJACENT_PAIRS ? a + 1 : a + hd / 2;
                    assertEquals(Math.hypot(x[a], x[b]), Math.hypot(y[a], y[b]), 1e-5, style + " pair norm");
                }
            }
            rope.apply(y, 0, rows, nHeads, 20, true);
            assertArrayEquals(x, y, 1e-5f, style + " inverse(apply(x)) == x");
        }
    }

    @Test
    void inverseIsTheTransposeSoItIsTheBackward() {
        // ⟨R x, g⟩ = ⟨x, R⁻¹ g⟩: applying the inverse to the gradient is the exact backward.
        Random rnd = new Random(9);
        Rope rope = new Rope(10, 10000, 16, Rope.Style.ADJACENT_PAIRS);
        float[] x = randn(rnd, 3 * 2 * 10, 1.0), g = randn(rnd, x.length, 1.0);
        float[] rx = x.clone(), rg = g.clone();
        rope.apply(rx, 0, 3, 2, 4, false);
        rope.apply(rg, 0, 3, 2, 4, true);
        double lhs = 0, rhs = 0;
        for (int i = 0; i < x.length; i++) {
            lhs += (double) rx[i] * g[i];
            rhs += (double) x[i] * rg[i];
        }
        assertEquals(lhs, rhs, 1e-5 * Math.abs(lhs));
    }

    @Test
    void positionsBeyondTheTableAreRejected() {
        Rope rope = new Rope(4, 10000, 8, Rope.Style.HALVES);
        assertThrows(IllegalArgumentException.class, () -> rope.apply(new float[4 * 3], 0, 3, 1, 6, false));
        assertThrows(IllegalArgumentException.class, () -> new Rope(5, 10000, 8, Rope.Style.HALVES));
    }
}
