package jdlm.train;

import java.util.SplittableRandom;

import jdlm.noise.NoiseSchedule;

/**
 * SEDD's denoising score entropy for the absorbing process (Lou, Meng and Ermon 2024; DESIGN.md §4).
 * The model's outputs o are read as log concrete scores with SEDD's own scaling, log s_y = o_y +
 * log r − log N, where r = α/(1 − α) is the true ratio p_t(x₀)/p_t(MASK) at a masked position and N
 * the number of states besides MASK (vocab − 1). Per masked position the loss is
 * σ · (Σ_{y≠MASK} s_y − r·log s_{x₀} + r·(log r − 1)) with σ = −α′/α.
 *
 * <p>jdlm's network has no time input, and with that scaling r cancels: the loss is
 * w · (Σ_{y≠MASK} e^{o_y}/N − o_{x₀} + log N − 1) with w = σr = −α′/(1 − α), MDLM's weight. Written
 * with p = softmax(o) and u = Σ e^{o}/N it is w·(−log p_{x₀}) + w·(u − 1 − log u): MDLM's loss plus a
 * penalty, zero only when the scores sum to N. Both are minimised by the same p, so sampling and the
 * NELBO of {@code eval} read the model through softmax(o) as for any masked model; the score entropy
 * itself (the validation loss of a sedd run) is an upper bound on that NELBO.
 *
 * <p>Corruption, times (antithetic), weights and prompts are those of {@link MaskedDiffusionObjective}.
 */
public final class ScoreEntropyObjective implements Objective {
    private final MaskedDiffusionObjective masking;

    public ScoreEntropyObjective(NoiseSchedule schedule, int maskId, double eps) {
        this.masking = new MaskedDiffusionObjective(schedule, maskId, eps);
    }

    @Override
    public TrainingBatch prepare(int[] x0, int[] promptLengths, int batch, int seqLen, SplittableRandom rng) {
        return masking.prepare(x0, promptLengths, batch, seqLen, rng);
    }

    /** As {@link #prepare(int[], int[], int, int, SplittableRandom)} with the times given (for tests). */
    public TrainingBatch prepare(int[] x0, int[] promptLengths, int batch, int seqLen, double[] t, SplittableRandom rng) {
        return masking.prepare(x0, promptLengths, batch, seqLen, t, rng);
    }

    @Override
    public double lossAndGradient(float[] logits, int vocab, TrainingBatch b, float[] dLogits) {
        int rows = b.batch() * b.seqLen(), mask = b.suppressedToken();
        WeightedCrossEntropy.suppress(logits, rows, vocab, mask); // e^{−∞} = 0: MASK has no score
        double loss = 0;
        double[] e = new double[vocab];
        for (int r = 0; r < rows; r++) {
            int target = b.targets()[r];
            if (target < 0) continue;
            double w = b.weights()[r];
            int off = r * vocab;
            loss += w * positionLoss(logits, off, vocab, target, e);
            if (dLogits != null) {
                for (int y = 0; y < vocab; y++) dLogits[off + y] += (float) (w * e[y]);
                dLogits[off + target] -= (float) w;
            }
        }
        return loss;
    }

    /**
     * The unweighted score entropy of one masked position whose logits start at {@code off} (MASK's
     * already −∞): {@code Σ_y e^{o_y}/N − o_target + log N − 1}, N = vocab − 1; {@code e} (vocab long)
     * receives e^{o_y}/N.
     */
    public static double positionLoss(float[] logits, int off, int vocab, int target, double[] e) {
        double n = vocab - 1, sum = 0;
        for (int y = 0; y < vocab; y++) {
            e[y] = Math.exp(logits[off + y]) / n;
            sum += e[y];
        }
        return sum - logits[off + target] + Math.log(n) - 1;
    }

    @Override
    public String name() { return "sedd"; }
}
