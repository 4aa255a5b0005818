package jdlm.sample;

import java.util.random.RandomGenerator;

/**
 * EB-Sampler (Ben-Hamu et al., 2025, "entropy bounded unmasking"): sort the candidates by entropy,
 * H₍₁₎ ≤ H₍₂₎ ≤ …, and commit the longest prefix whose entropies, less the largest of them, sum to at
 * most γ: Σ_{r≤k} H₍ᵣ₎ − H₍ₖ₎ ≤ γ — a bound on the dependence between the tokens committed together.
 * At least one per step; ignores the transfer count. γ = 0 commits one token per step.
 */
public record EntropyBoundPolicy(double gamma) implements UnmaskingPolicy {
    public EntropyBoundPolicy {
        if (!(gamma >= 0) || Double.isInfinite(gamma)) throw new IllegalArgumentException("--gamma must be a finite number ≥ 0, got " + gamma);
    }

    /** −H in nats, as {@link EntropyPolicy}: the lowest entropy scores highest. */
    @Override public double score(double[] probs, int vocab, int chosen, RandomGenerator rng) {
        return new EntropyPolicy().score(probs, vocab, chosen, rng);
    }

    @Override public int[] select(double[] scores, int[] candidates, BlockStep step, RandomGenerator rng) {
        int[] sorted = UnmaskingPolicy.highest(scores, candidates, candidates.length); // entropy ascending
        int k = 1;
        double below = 0; // the entropies before the k-th, the largest of the first k
        while (k < sorted.length) {
            below += -scores[sorted[k - 1]];
            if (below > gamma) break;
            k++;
        }
        return java.util.Arrays.copyOf(sorted, Math.min(k, sorted.length));
    }
}
