package jdlm.train;

import java.util.SplittableRandom;

/** A training objective: turns a batch of clean sequences x₀ into model inputs, targets and weights. */
public interface Objective {

    /**
     * x₀ holds {@code batch} sequences of {@code seqLen} tokens; randomness (t, masks) comes from
     * rng. {@code promptLengths} (null: none) marks each sequence's leading prompt tokens, which
     * stay clean and carry no loss; the loss is then per answer token (LLaDA SFT).
     */
    TrainingBatch prepare(int[] x0, int[] promptLengths, int batch, int seqLen, SplittableRandom rng);

    /** Plain text, no prompts. */
    default TrainingBatch prepare(int[] x0, int batch, int seqLen, SplittableRandom rng) {
        return prepare(x0, null, batch, seqLen, rng);
    }

    /**
     * The loss of a prepared batch given the model's logits (rows × vocab); ADDS dLoss/dLogits into
     * {@code dLogits} when it is non-null. Most objectives are a weighted cross-entropy.
     */
    default double lossAndGradient(float[] logits, int vocab, TrainingBatch b, float[] dLogits) {
        return WeightedCrossEntropy.lossAndGradient(logits, vocab, b, dLogits);
    }

    /** Short name for configs and logs: mdlm, sedd, llada, ar. */
    String name();

    /** Prompt length of sequence b, checked: every sequence needs at least one answer token. */
    static int promptLength(int[] promptLengths, int b, int seqLen) {
        if (promptLengths == null) return 0;
        int p = promptLengths[b];
        if (p < 0 || p >= seqLen) {
            throw new IllegalArgumentException("prompt of sequence " + b + " has " + p + " tokens; it must leave at least one answer token of " + seqLen);
        }
        return p;
    }
}
