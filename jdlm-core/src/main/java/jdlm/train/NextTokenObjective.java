package jdlm.train;

import java.util.SplittableRandom;

/**
 * The autoregressive twin's objective: position i predicts token i+1 of the same window
 * (the last position has no target), cross-entropy averaged over the B·(L−1) predictions.
 */
public final class NextTokenObjective implements Objective {

    @Override
    public TrainingBatch prepare(int[] x0, int batch, int seqLen, SplittableRandom rng) {
        if (seqLen < 2) throw new IllegalArgumentException("next-token training needs seqLen ≥ 2, got " + seqLen);
        int n = batch * seqLen;
        int[] targets = new int[n];
        float[] weights = new float[n];
        float w = 1f / (batch * (seqLen - 1));
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < seqLen; i++) {
                int p = b * seqLen + i;
                boolean last = i == seqLen - 1;
                targets[p] = last ? -1 : x0[p + 1];
                weights[p] = last ? 0f : w;
            }
        }
        return new TrainingBatch(batch, seqLen, x0.clone(), targets, weights, -1);
    }

    @Override
    public String name() { return "ar"; }
}
