package jdlm.sample;

import java.util.random.RandomGenerator;

/** Commits the most confident positions, confidence p(x̂) of the chosen token (LLaDA "low_confidence", Dream "maskgit_plus"). */
public record ConfidencePolicy() implements UnmaskingPolicy {
    @Override public double score(double[] probs, int vocab, int chosen, RandomGenerator rng) {
        return probs[chosen];
    }
}
