package jdlm.sample;

import java.util.random.RandomGenerator;

/** Commits the positions with the largest margin p₁ − p₂ between the two most likely tokens (Dream "topk_margin"). */
public record MarginPolicy() implements UnmaskingPolicy {
    @Override public double score(double[] probs, int vocab, int chosen, RandomGenerator rng) {
        double p1 = 0, p2 = 0;
        for (int v = 0; v < vocab; v++) {
            double p = probs[v];
            if (p > p1) { p2 = p1; p1 = p; }
            else if (p > p2) p2 = p;
        }
        return p1 - p2;
    }
}
