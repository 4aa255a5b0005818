package jdlm.train;

/**
 * What an objective makes of a clean batch: the model's input tokens, the target of each position
 * (−1 where the position carries no loss), and the weight of each position's loss.
 * For the cross-entropy objectives the loss is Σ weights[i] · CE(logits[i], targets[i]).
 * {@code suppressedToken} ≥ 0 is a token whose logit is forced to −∞ first (SUBS: a masked-diffusion
 * model never predicts MASK). {@code cleanNoisyPairs}: each sequence of seqLen = 2L rows is block
 * diffusion's [x₀ | x_t]. {@code times}: per sequence, what an objective's own loss needs to know
 * of its noise (uniform diffusion: the step's s and t); null otherwise.
 */
public record TrainingBatch(int batch, int seqLen, int[] inputs, int[] targets, float[] weights, int suppressedToken,
                            boolean cleanNoisyPairs, double[] times) {

    /** A batch of plain sequences. */
    public TrainingBatch(int batch, int seqLen, int[] inputs, int[] targets, float[] weights, int suppressedToken) {
        this(batch, seqLen, inputs, targets, weights, suppressedToken, false, null);
    }

    /** A batch of plain sequences or [x₀ | x_t] pairs. */
    public TrainingBatch(int batch, int seqLen, int[] inputs, int[] targets, float[] weights, int suppressedToken, boolean cleanNoisyPairs) {
        this(batch, seqLen, inputs, targets, weights, suppressedToken, cleanNoisyPairs, null);
    }
}
