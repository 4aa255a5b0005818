package jdlm.sample;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * Which token to commit at a position: argmax of logits + τ·Gumbel noise in float64 (τ = 0 is the
 * greedy argmax; τ > 0 samples softmax(logits/τ)), after optional top-k and top-p filtering.
 * Top-k and top-p act on softmax(logits/τ) (on softmax(logits) when τ = 0). Ties go to the lower id.
 *
 * @param temperature τ ≥ 0
 * @param topK        keep the k most likely tokens; 0 keeps all
 * @param topP        keep the smallest set of most likely tokens whose mass is ≥ p; 1 keeps all
 */
public record TokenChooser(double temperature, int topK, double topP) {

    public TokenChooser {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("--temperature must be a finite number ≥ 0, got " + temperature);
        }
        if (topK < 0) throw new IllegalArgumentException("--top-k must be ≥ 0 (0 = off), got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("--top-p must be in (0, 1] (1 = off), got " + topP);
    }

    public static TokenChooser greedy() { return new TokenChooser(0, 0, 1); }

    /**
     * Chooses from {@code logits[off, off+vocab)}; tokens already at −∞ (suppressed) are never chosen.
     * {@code scratch} holds at least vocab doubles; the logits are not modified.
     */
    public int choose(float[] logits, int off, int vocab, RandomGenerator rng, double[] scratch) {
        double scale = temperature > 0 ? 1 / temperature : 1;
        double[] z = scratch;
        for (int v = 0; v < vocab; v++) z[v] = logits[off + v] * scale;
        if (topK > 0 && topK < vocab) keepTopK(z, vocab);
        if (topP < 1) keepTopP(z, vocab);
        int best = -1;
        double bestValue = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) {
            if (z[v] == Double.NEGATIVE_INFINITY) continue;
            // argmax(l + τG) = argmax(l/τ + G), G = −log(−log u) ~ Gumbel(0, 1)
            double value = temperature > 0 ? z[v] - Math.log(-Math.log(uniformOpen(rng))) : z[v];
            if (best < 0 || value > bestValue) {
                best = v;
                bestValue = value;
            }
        }
        if (best < 0) throw new IllegalStateException("every token is suppressed; nothing can be chosen");
        return best;
    }

    private static double uniformOpen(RandomGenerator rng) {
        double u;
        do u = rng.nextDouble(); while (u == 0);
        return u;
    }

    /** Keeps the k largest (ties: lower id first); the rest → −∞. */
    private void keepTopK(double[] z, int vocab) {
        double[] sorted = Arrays.copyOf(z, vocab);
        Arrays.sort(sorted);
        double kth = sorted[vocab - topK];
        int above = 0;
        for (int v = 0; v < vocab; v++) if (z[v] > kth) above++;
        int equalKept = topK - above;
        for (int v = 0; v < vocab; v++) {
            if (z[v] > kth) continue;
            if (z[v] == kth && equalKept > 0) equalKept--;
            else z[v] = Double.NEGATIVE_INFINITY;
        }
    }

    /** Keeps the smallest most-likely set with Σp ≥ topP (ties: lower id first); the rest → −∞. */
    private void keepTopP(double[] z, int vocab) {
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) max = Math.max(max, z[v]);
        double[] p = new double[vocab];
        double sum = 0;
        for (int v = 0; v < vocab; v++) sum += p[v] = Math.exp(z[v] - max);
        for (int v = 0; v < vocab; v++) p[v] /= sum;
        double[] sorted = p.clone();
        Arrays.sort(sorted);
        // the cut-off probability c: walking down from the top, the first value where the mass reaches p
        double mass = 0, cut = sorted[vocab - 1];
        for (int i = vocab - 1; i >= 0; i--) {
            cut = sorted[i];
            if ((mass += sorted[i]) >= topP) break;
        }
        double kept = 0;
        for (int v = 0; v < vocab; v++) if (p[v] > cut) kept += p[v];
        for (int v = 0; v < vocab; v++) {
            if (p[v] > cut) continue;
            if (p[v] == cut && kept < topP && p[v] > 0) kept += p[v];
            else z[v] = Double.NEGATIVE_INFINITY;
        }
    }
}
