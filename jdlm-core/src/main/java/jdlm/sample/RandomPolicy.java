package jdlm.sample;

import java.util.random.RandomGenerator;

/** Commits uniformly random positions (LLaDA "random" remasking; MaskGIT without confidence). */
public record RandomPolicy() implements UnmaskingPolicy {
    @Override public double score(double[] probs, int vocab, int chosen, RandomGenerator rng) {
        return rng.nextDouble();
    }
}
