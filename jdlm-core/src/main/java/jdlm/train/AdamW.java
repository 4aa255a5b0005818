package jdlm.train;

import jdlm.model.ParameterLayout;
import jdlm.tensor.ThreadPool;

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter) over the flat parameter buffer:
 * m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², p ← p − lr·(m̂/(√v̂ + ε) + λ·p), with bias-corrected
 * m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ). Weight decay applies to matrices only (not to norm gains),
 * as in GPT-2 / nanoGPT.
 */
public final class AdamW {
    private static final int CHUNK = 1 << 14;

    private final float[] m;
    private final float[] v;
    private final float[] decayMask; // 1 where weight decay applies, else 0
    private final double beta1, beta2, eps, weightDecay;
    private long step;

    public AdamW(ParameterLayout layout, double beta1, double beta2, double eps, double weightDecay) {
        this.m = new float[layout.size()];
        this.v = new float[layout.size()];
        this.decayMask = new float[layout.size()];
        for (ParameterLayout.View view : layout.views().values()) {
            if (view.shape().length >= 2) java.util.Arrays.fill(decayMask, view.offset(), view.offset() + view.size(), 1f);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    /** Applies one update with learning rate {@code lr}. */
    public void step(float[] params, float[] grads, double lr) {
        step++;
        double c1 = 1 - Math.pow(beta1, step), c2 = 1 - Math.pow(beta2, step);
        float b1 = (float) beta1, b2 = (float) beta2;
        float stepSize = (float) (lr / c1), invSqrtC2 = (float) (1 / Math.sqrt(c2));
        float e = (float) eps, decay = (float) (lr * weightDecay);
        int n = params.length;
        ThreadPool.shared().parallelFor((n + CHUNK - 1) / CHUNK, chunk -> {
            int end = Math.min(n, (chunk + 1) * CHUNK);
            for (int i = chunk * CHUNK; i < end; i++) {
                float g = grads[i];
                float mi = b1 * m[i] + (1 - b1) * g;
                float vi = b2 * v[i] + (1 - b2) * g * g;
                m[i] = mi;
                v[i] = vi;
                float denom = (float) Math.sqrt(vi) * invSqrtC2 + e;
                params[i] -= stepSize * mi / denom + decay * decayMask[i] * params[i];
            }
        });
    }

    /** Number of updates applied so far. */
    public long steps() { return step; }

    /** First and second moment buffers (live), for checkpoints. */
    public float[] firstMoment() { return m; }
    public float[] secondMoment() { return v; }

    /** Restores the state saved in a checkpoint. */
    public void restore(float[] firstMoment, float[] secondMoment, long steps) {
        if (firstMoment.length != m.length || secondMoment.length != v.length) {
            throw new IllegalArgumentException("optimizer state has " + firstMoment.length + " moments, the model " + m.length);
        }
        System.arraycopy(firstMoment, 0, m, 0, m.length);
        System.arraycopy(secondMoment, 0, v, 0, v.length);
        this.step = steps;
    }

    /**
     * Scales {@code grads} so their global L2 norm is at most {@code maxNorm} (no-op when
     * maxNorm ≤ 0) and returns the norm before clipping, summed in double.
     */
    public static double clipGlobalNorm(float[] grads, double maxNorm) {
        double ss = 0;
        for (float g : grads) ss += (double) g * g;
        double norm = Math.sqrt(ss);
        if (maxNorm > 0 && norm > maxNorm) {
            float s = (float) (maxNorm / (norm + 1e-6));
            for (int i = 0; i < grads.length; i++) grads[i] *= s;
        }
        return norm;
    }
}
