package jdlm.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** The SwiGLU gate of the Llama / LLaDA MLP (Shazeer 2020): {@code out = silu(gate) ⊙ up}. */
public final class SwiGlu {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private SwiGlu() {}

    /** {@code out[i] = silu(gate[i]) · up[i]}, {@code silu(g) = g·σ(g)}; out may alias gate or up. */
    public static void forward(float[] out, float[] gate, float[] up, int n) {
        FloatVector one = FloatVector.broadcast(F, 1f);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector g = FloatVector.fromArray(F, gate, i);
            // σ(g) = 1/(1+e^{-g}); e^{-g} → +inf for g ≪ 0 gives σ = 0, never NaN
            FloatVector s = one.div(VectorExp.exp(g.neg()).add(one));
            g.mul(s).mul(FloatVector.fromArray(F, up, i)).intoArray(out, i);
        }
        for (; i < n; i++) {
            float g = gate[i];
            out[i] = g * sigmoid(g) * up[i];
        }
    }

    /**
     * Accumulates (+=): {@code dUp += dOut·silu(g)}, {@code dGate += dOut·up·σ(g)·(1 + g·(1 − σ(g)))}
     * (the derivative of g·σ(g)).
     */
    public static void backward(float[] dGate, float[] dUp, float[] dOut, float[] gate, float[] up, int n) {
        FloatVector one = FloatVector.broadcast(F, 1f);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector g = FloatVector.fromArray(F, gate, i);
            FloatVector d = FloatVector.fromArray(F, dOut, i);
            FloatVector s = one.div(VectorExp.exp(g.neg()).add(one));
            FloatVector silu = g.mul(s);
            silu.fma(d, FloatVector.fromArray(F, dUp, i)).intoArray(dUp, i);
            FloatVector dsilu = s.mul(g.mul(one.sub(s)).add(one));
            d.mul(FloatVector.fromArray(F, up, i)).fma(dsilu, FloatVector.fromArray(F, dGate, i)).intoArray(dGate, i);
        }
        for (; i < n; i++) {
            float g = gate[i], s = sigmoid(g);
            dUp[i] += dOut[i] * g * s;
            dGate[i] += dOut[i] * up[i] * s * (1f + g * (1f - s));
        }
    }

    private static float sigmoid(float g) {
        return (float) (1.0 / (1.0 + Math.exp(-g)));
    }
}
