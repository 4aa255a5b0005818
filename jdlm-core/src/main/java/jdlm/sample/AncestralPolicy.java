package jdlm.sample;

import java.util.random.RandomGenerator;

import jdlm.noise.NoiseSchedule;

/**
 * MDLM ancestral sampling: step k of S goes from t = 1 − k/S to s = 1 − (k+1)/S, and each masked
 * position unmasks independently with probability (α(s) − α(t)) / (1 − α(t)) (MDLM eq. 7). A step
 * may commit nothing; the block's last step commits everything still masked, since α(0) may fall
 * short of 1. Ignores the transfer count.
 */
public record AncestralPolicy(NoiseSchedule schedule) implements UnmaskingPolicy {

    @Override public double score(double[] probs, int vocab, int chosen, RandomGenerator rng) {
        return 0;
    }

    @Override public int[] select(double[] scores, int[] candidates, BlockStep step, RandomGenerator rng) {
        if (step.step() >= step.steps() - 1) return candidates.clone();
        double t = 1 - (double) step.step() / step.steps();
        double s = 1 - (double) (step.step() + 1) / step.steps();
        double p = (schedule.alpha(s) - schedule.alpha(t)) / (1 - schedule.alpha(t));
        int[] out = new int[candidates.length];
        int n = 0;
        for (int i : candidates) if (rng.nextDouble() < p) out[n++] = i;
        return java.util.Arrays.copyOf(out, n);
    }
}
