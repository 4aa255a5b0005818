package jdlm.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class VectorExpTest {
    private static final int L = FloatVector.SPECIES_PREFERRED.length();

    private static float[] exp(float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i += L) {
            VectorExp.exp(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, i)).intoArray(y, i);
        }
        return y;
    }

    @Test
    void agreesWithMathExpWithinTwoUlpsOverTheUsefulRange() {
        SplittableRandom r = new SplittableRandom(1);
        float[] x = new float[L * 4096];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 174 - 87);
        float[] y = exp(x);
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
            double want = Math.exp(x[i]);
            worst = Math.max(worst, Math.abs(y[i] - want) / Math.ulp((float) want));
        }
        assertTrue(worst <= 2, "worst error " + worst + " ulp");
    }

    @Test
    void specialValues() {
        float[] x = new float[L];
        float[] in = {0f, Float.NEGATIVE_INFINITY, -100f, Float.NaN, 1f, -1f, 200f, Float.POSITIVE_INFINITY};
        System.arraycopy(in, 0, x, 0, Math.min(in.length, L));
        float[] y = exp(x);
        assertEquals(1f, y[0], 0f, "e^0 is exactly 1");
        assertEquals(0f, y[1], 0f, "e^−∞ = 0: masked logits drop out of a softmax");
        assertEquals(0f, y[2], 0f);
        assertTrue(Float.isNaN(y[3]));
        assertEquals(Math.E, y[4], 1e-6);
        assertEquals(1 / Math.E, y[5], 1e-7);
        assertTrue(Float.isFinite(y[6]) && y[6] > 1e38f, "large inputs saturate instead of overflowing");
    }
}
