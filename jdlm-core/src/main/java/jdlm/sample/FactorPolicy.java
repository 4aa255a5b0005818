package jdlm.sample;

import java.util.random.RandomGenerator;

/**
 * Fast-dLLM factor rule: sort the candidates' confidences descending, c₍₁₎ ≥ c₍₂₎ ≥ …, and commit the
 * longest prefix with c₍ᵣ₎ ≥ 1 − f/(r+1) (r 1-based), at least one. Ignores the transfer count.
 */
public record FactorPolicy(double factor) implements UnmaskingPolicy {
    public FactorPolicy {
        if (!(factor > 0) || Double.isInfinite(factor)) throw new IllegalArgumentException("--factor must be a positive number, got " + factor);
    }

    @Override public double score(double[] probs, int vocab, int chosen, RandomGenerator rng) {
        return probs[chosen];
    }

    @Override public int[] select(double[] scores, int[] candidates, BlockStep step, RandomGenerator rng) {
        int[] sorted = UnmaskingPolicy.highest(scores, candidates, candidates.length);
        int n = 0;
        while (n < sorted.length && scores[sorted[n]] >= 1 - factor / (n + 2)) n++; // rank r = n + 1
        return java.util.Arrays.copyOf(sorted, Math.max(1, Math.min(n, sorted.length)));
    }
}
