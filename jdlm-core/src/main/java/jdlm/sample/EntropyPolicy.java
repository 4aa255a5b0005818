package jdlm.sample;

import java.util.random.RandomGenerator;

/** Commits the positions of lowest entropy: score −H = Σ p log p (Dream "entropy"). */
public record EntropyPolicy() implements UnmaskingPolicy {
    @Override public double score(double[] probs, int vocab, int chosen, RandomGenerator rng) {
        double s = 0;
        for (int v = 0; v < vocab; v++) if (probs[v] > 0) s += probs[v] * Math.log(probs[v]);
        return s;
    }
}
