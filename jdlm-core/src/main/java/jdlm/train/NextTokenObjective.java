package jdlm.train;

import java.util.SplittableRandom;

/**
 * The autoregressive twin's objective: position i predicts token i+1 of the same window, averaged
 * per sequence over the tokens it predicts and then over the batch. With a prompt (SFT) only the
 * answer tokens are predicted.
 */
public final class NextTokenObjective implements Objective {

    @Override
    public TrainingBatch prepare(int[] x0, int[] promptLengths, int batch, int seqLen, SplittableRandom rng) {
        if (seqLen < 2) throw new IllegalArgumentException("next-token training needs seqLen ≥ 2, got " + seqLen);
        int n = batch * seqLen;
        int[] targets = new int[n];
        float[] weights = new float[n];
        java.util.Arrays.fill(targets, -1);
        for (int b = 0; b < batch; b++) {
            // the first predicted token is at max(prompt, 1): the first token of a window has no context
            int first = Math.max(Objective.promptLength(promptLengths, b, seqLen), 1);
            float w = 1f / ((float) (seqLen - first) * batch);
            for (int i = first; i < seqLen; i++) {
                int p = b * seqLen + i - 1; // the position that predicts token i
                targets[p] = x0[b * seqLen + i];
                weights[p] = w;
            }
        }
        return new TrainingBatch(batch, seqLen, x0.clone(), targets, weights, -1);
    }

    @Override
    public String name() { return "ar"; }
}
