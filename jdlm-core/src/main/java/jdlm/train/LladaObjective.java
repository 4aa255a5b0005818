package jdlm.train;

import java.util.SplittableRandom;

import jdlm.noise.AbsorbingProcess;

/**
 * LLaDA's pre-training recipe (DESIGN.md §4): t ~ U[0,1] per sequence, p_mask = (1 − ε)t + ε,
 * loss = Σ_{masked} CE / p_mask / (B·L). With probability {@code cropProbability} (1% in LLaDA) a
 * batch is cropped to a random length in [1, L] so the model also sees short sequences.
 * This is the linear schedule's NELBO with plain (not antithetic) times.
 */
public final class LladaObjective implements Objective {
    private final AbsorbingProcess process;
    private final double eps;
    private final double cropProbability;

    public LladaObjective(int maskId, double eps, double cropProbability) {
        this.process = new AbsorbingProcess(maskId);
        this.eps = eps;
        this.cropProbability = cropProbability;
    }

    @Override
    public TrainingBatch prepare(int[] x0, int batch, int seqLen, SplittableRandom rng) {
        int len = seqLen;
        if (cropProbability > 0 && rng.nextDouble() < cropProbability) len = 1 + rng.nextInt(seqLen);
        int n = batch * len;
        int[] xt = new int[n];
        int[] clean = new int[n];
        int[] targets = new int[n];
        float[] weights = new float[n];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(x0, b * seqLen, clean, b * len, len); // crop keeps each sequence's start
            double pMask = (1 - eps) * rng.nextDouble() + eps;
            int off = b * len;
            process.corrupt(clean, xt, off, len, pMask, rng);
            float w = (float) (1.0 / pMask / n);
            for (int i = off; i < off + len; i++) {
                boolean masked = xt[i] == process.maskId();
                targets[i] = masked ? clean[i] : -1;
                weights[i] = masked ? w : 0f;
            }
        }
        return new TrainingBatch(batch, len, xt, targets, weights, process.maskId());
    }

    @Override
    public String name() { return "llada"; }
}
