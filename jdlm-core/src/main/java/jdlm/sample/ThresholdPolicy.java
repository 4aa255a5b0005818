package jdlm.sample;

import java.util.random.RandomGenerator;

/**
 * Fast-dLLM parallel decoding: commit every candidate with confidence p(x̂) ≥ τ, and always at least
 * the single most confident one so that every step makes progress. Ignores the transfer count.
 */
public record ThresholdPolicy(double threshold) implements UnmaskingPolicy {
    public ThresholdPolicy {
        if (!(threshold > 0 && threshold <= 1)) throw new IllegalArgumentException("--threshold must be in (0, 1], got " + threshold);
    }

    @Override public double score(double[] probs, int vocab, int chosen, RandomGenerator rng) {
        return probs[chosen];
    }

    @Override public int[] select(double[] scores, int[] candidates, BlockStep step, RandomGenerator rng) {
        int n = 0;
        for (int i : candidates) if (scores[i] >= threshold) n++;
        if (n == 0) return UnmaskingPolicy.highest(scores, candidates, 1);
        int[] out = new int[n];
        n = 0;
        for (int i : candidates) if (scores[i] >= threshold) out[n++] = i;
        return out;
    }
}
