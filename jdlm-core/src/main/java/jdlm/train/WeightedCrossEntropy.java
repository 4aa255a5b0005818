package jdlm.train;

import jdlm.tensor.CrossEntropy;

/** The loss every objective shares: Σ_i w_i · CE(logits_i, target_i), with SUBS suppression. */
public final class WeightedCrossEntropy {
    private WeightedCrossEntropy() {}

    /**
     * Returns the loss and ADDS dLoss/dLogits into {@code dLogits} (when non-null).
     * Sets the suppressed token's logit to −∞ in {@code logits} first.
     */
    public static double lossAndGradient(float[] logits, int vocab, TrainingBatch b, float[] dLogits) {
        int rows = b.batch() * b.seqLen();
        suppress(logits, rows, vocab, b.suppressedToken());
        float[] perRow = new float[rows];
        CrossEntropy.forward(logits, rows, vocab, b.targets(), perRow);
        double loss = 0;
        for (int r = 0; r < rows; r++) loss += (double) b.weights()[r] * perRow[r];
        if (dLogits != null) CrossEntropy.backward(dLogits, logits, rows, vocab, b.targets(), b.weights());
        return loss;
    }

    /** logits[r, token] = −∞ for every row (no-op for token < 0). */
    public static void suppress(float[] logits, int rows, int vocab, int token) {
        if (token < 0) return;
        for (int r = 0; r < rows; r++) logits[r * vocab + token] = Float.NEGATIVE_INFINITY;
    }
}
