package jdlm.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Row softmax, max-subtracted so logits of any magnitude are safe. */
public final class Softmax {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private Softmax() {}

    /** In place: {@code x[off..off+n) = exp(x − max) / Σ exp(x − max)}. */
    public static void forward(float[] x, int off, int n) {
        float max = max(x, off, n);
        FloatVector vmax = FloatVector.broadcast(F, max);
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        int bound = F.loopBound(n);
        for (; i < bound; i += F.length()) {
            FloatVector e = VectorExp.exp(FloatVector.fromArray(F, x, off + i).sub(vmax));
            e.intoArray(x, off + i);
            acc = acc.add(e);
        }
        double sum = LaneSum.of(acc);
        for (; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        FloatVector vinv = FloatVector.broadcast(F, inv);
        i = 0;
        for (; i < bound; i += F.length()) {
            FloatVector.fromArray(F, x, off + i).mul(vinv).intoArray(x, off + i);
        }
        for (; i < n; i++) x[off + i] *= inv;
    }

    /** Accumulates (+=) the softmax Jacobian–vector product: {@code dx += y ⊙ (dy − ⟨dy, y⟩)}. */
    public static void backward(float[] dx, int dxOff, float[] y, int yOff, float[] dy, int dyOff, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        int bound = F.loopBound(n);
        for (; i < bound; i += F.length()) {
            acc = FloatVector.fromArray(F, dy, dyOff + i).fma(FloatVector.fromArray(F, y, yOff + i), acc);
        }
        float dot = LaneSum.of(acc);
        for (; i < n; i++) dot += dy[dyOff + i] * y[yOff + i];
        FloatVector vdot = FloatVector.broadcast(F, dot);
        i = 0;
        for (; i < bound; i += F.length()) {
            FloatVector yv = FloatVector.fromArray(F, y, yOff + i);
            FloatVector.fromArray(F, dy, dyOff + i).sub(vdot)
                    .fma(yv, FloatVector.fromArray(F, dx, dxOff + i)).intoArray(dx, dxOff + i);
        }
        for (; i < n; i++) dx[dxOff + i] += y[yOff + i] * (dy[dyOff + i] - dot);
    }

    /** Largest of x[off..off+n); n ≥ 1. */
    static float max(float[] x, int off, int n) {
        FloatVector vmax = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            vmax = vmax.max(FloatVector.fromArray(F, x, off + i));
        }
        float max = vmax.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) max = Math.max(max, x[off + i]);
        return max;
    }
}
