package jdlm.train;

/**
 * What an objective makes of a clean batch: the model's input tokens, the target of each position
 * (−1 where the position carries no loss), and the weight of each position's cross-entropy.
 * The loss is Σ weights[i] · CE(logits[i], targets[i]). {@code suppressedToken} ≥ 0 is a token
 * whose logit is forced to −∞ first (SUBS: a masked-diffusion model never predicts MASK).
 * {@code cleanNoisyPairs}: each sequence of seqLen = 2L rows is block diffusion's [x₀ | x_t].
 */
public record TrainingBatch(int batch, int seqLen, int[] inputs, int[] targets, float[] weights, int suppressedToken,
                            boolean cleanNoisyPairs) {

    /** A batch of plain sequences. */
    public TrainingBatch(int batch, int seqLen, int[] inputs, int[] targets, float[] weights, int suppressedToken) {
        this(batch, seqLen, inputs, targets, weights, suppressedToken, false);
    }
}
