package jdlm.tensor;

import static jdlm.tensor.GradientCheck.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SwiGluTest {
    static double[] reference(double[] gate, double[] up) {
        double[] out = new double[gate.length];
        for (int i = 0; i < gate.length; i++) out[i] = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
        return out;
    }

    @Test
    void forwardMatchesFloat64ReferenceIncludingLargeGates() {
        Random rnd = new Random(3);
        int n = 37;
        float[] gate = randn(rnd, n, 3.0), up = randn(rnd, n, 1.0);
        gate[0] = -100f;
        gate[1] = 100f;
        gate[2] = -1e30f;
        float[] out = new float[n];
        SwiGlu.forward(out, gate, up, n);
        double[] ref = reference(toDouble(gate), toDouble(up));
        for (int i = 0; i < n; i++) {
            assertFalse(Float.isNaN(out[i]), "NaN at " + i);
            assertEquals(ref[i], out[i], 1e-6 * Math.max(1, Math.abs(ref[i])), "element " + i);
        }
    }

    @Test
    void backwardMatchesFiniteDifferencesAndAccumulates() {
        Random rnd = new Random(4);
        int n = 37;
        float[] gate = randn(rnd, n, 2.0), up = randn(rnd, n, 1.0), g = randn(rnd, n, 1.0);
        float[] dGate0 = randn(rnd, n, 1.0), dUp0 = randn(rnd, n, 1.0);
        float[] dGate = dGate0.clone(), dUp = dUp0.clone();
        SwiGlu.backward(dGate, dUp, g, gate, up, n);
        double[] gd = toDouble(gate), ud = toDouble(up);
        double errG = relativeErrorOfIncrement(dGate, dGate0, finiteDifferences(gd, x -> project(reference(x, ud), g)));
        double errU = relativeErrorOfIncrement(dUp, dUp0, finiteDifferences(ud, x -> project(reference(gd, x), g)));
        report("SwiGlu.backward dGate", errG);
        report("SwiGlu.backward dUp", errU);
        assertTrue(errG < 1e-4, "dGate " + errG);
        assertTrue(errU < 1e-4, "dUp " + errU);
    }
}
