package jdlm.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import jdlm.noise.LinearSchedule;
import jdlm.noise.NoiseSchedule;
import org.junit.jupiter.api.Test;

class UnmaskingPolicyTest {
    private static final double NEG = Double.NEGATIVE_INFINITY;

    /** Scores by position; position 1 is outside the candidates but most confident. */
    private static final double[] SCORES = {0.95, 0.99, 0.5, 0.91, 0.2};
    private static final int[] CANDIDATES = {0, 2, 3, 4};

    @Test
    void confidencePolicyCommitsTheCountMostConfidentCandidates() {
        int[] got = new ConfidencePolicy().select(SCORES, CANDIDATES, new BlockStep(0, 2, 2), new SplittableRandom(1));
        assertArrayEquals(new int[] {0, 3}, got);
    }

    @Test
    void thresholdCommitsEveryCandidateAtOrAboveTau() {
        int[] got = new ThresholdPolicy(0.91).select(SCORES, CANDIDATES, new BlockStep(0, 2, 1), new SplittableRandom(1));
        assertArrayEquals(new int[] {0, 3}, got);
    }

    @Test
    void thresholdCommitsTheSingleBestWhenNothingReachesTau() {
        int[] got = new ThresholdPolicy(0.999).select(SCORES, CANDIDATES, new BlockStep(0, 2, 2), new SplittableRandom(1));
        assertArrayEquals(new int[] {0}, got);
        double[] allSuppressed = {NEG, NEG, NEG};
        assertArrayEquals(new int[] {1}, new ThresholdPolicy(0.5).select(allSuppressed, new int[] {1, 2}, new BlockStep(0, 1, 1), null));
    }

    @Test
    void factorCommitsTheLongestPrefixAboveOneMinusFOverRankPlusOne() {
        double[] c = {0.7, 0.9, 0.6, 0.8};
        int[] all = {0, 1, 2, 3};
        // f = 1: bounds 1/2, 2/3, 3/4, 4/5 for ranks 1..4; sorted 0.9 ✓, 0.8 ✓, 0.7 ✗ → two
        assertArrayEquals(new int[] {1, 3}, new FactorPolicy(1).select(c, all, new BlockStep(0, 1, 1), null));
        // f = 1.2: bounds 0.4, 0.6, 0.7, 0.76 → 0.9 ✓, 0.8 ✓, 0.7 ✓, 0.6 ✗ → three
        assertArrayEquals(new int[] {1, 3, 0}, new FactorPolicy(1.2).select(c, all, new BlockStep(0, 1, 1), null));
        // f = 0.01: rank 1 needs 0.995 → none pass, the best one is still committed
        assertArrayEquals(new int[] {1}, new FactorPolicy(0.01).select(c, all, new BlockStep(0, 1, 1), null));
    }

    @Test
    void entropyBoundCommitsTheLongestPrefixWhoseEntropiesBelowTheLargestSumToGamma() {
        // entropies by position: 0.02, 0.05, 0.30, 0.01 → ascending: pos 3 (0.01), 0 (0.02), 1 (0.05), 2 (0.30)
        double[] negH = {-0.02, -0.05, -0.30, -0.01};
        int[] all = {0, 1, 2, 3};
        BlockStep any = new BlockStep(0, 1, 1);
        // sums below the k-th: k=2 0.01, k=3 0.03, k=4 0.08 (the largest, 0.30, never counts)
        assertArrayEquals(new int[] {3, 0, 1, 2}, new EntropyBoundPolicy(0.1).select(negH, all, any, null));
        assertArrayEquals(new int[] {3, 0, 1, 2}, new EntropyBoundPolicy(0.08).select(negH, all, any, null));
        assertArrayEquals(new int[] {3, 0, 1}, new EntropyBoundPolicy(0.05).select(negH, all, any, null));
        assertArrayEquals(new int[] {3, 0}, new EntropyBoundPolicy(0.01).select(negH, all, any, null));
        assertArrayEquals(new int[] {3}, new EntropyBoundPolicy(0).select(negH, all, any, null));
        assertArrayEquals(new int[] {2}, new EntropyBoundPolicy(0).select(negH, new int[] {2}, any, null));
        double[] p = {0.5, 0.3, 0.2};
        assertEquals(new EntropyPolicy().score(p, 3, 0, null), new EntropyBoundPolicy(1).score(p, 3, 0, null), 0);
        for (double g : new double[] {-0.1, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> new EntropyBoundPolicy(g)).getMessage().startsWith("--gamma"));
        }
    }

    @Test
    void marginAndEntropyScoresAreHandWorked() {
        double[] p = {0.5, 0.3, 0.2};
        assertEquals(0.2, new MarginPolicy().score(p, 3, 2, null), 1e-12);
        assertEquals(0.5 * Math.log(0.5) + 0.3 * Math.log(0.3) + 0.2 * Math.log(0.2), new EntropyPolicy().score(p, 3, 0, null), 1e-12);
        assertEquals(0.3, new ConfidencePolicy().score(p, 3, 1, null), 1e-12);
    }

    @Test
    void ancestralUnmasksWithProbabilityAlphaGapOverMaskedMass() {
        // linear: α(t) = 1 − (1−ε)t, so step 0 of 4 (t = 1 → s = 3/4) unmasks with (α_s − α_t)/(1 − α_t) = 1/4
        var policy = new AncestralPolicy(new LinearSchedule(1e-3));
        int[] candidates = new int[20000];
        for (int i = 0; i < candidates.length; i++) candidates[i] = i;
        int got = policy.select(null, candidates, new BlockStep(0, 4, 1), new SplittableRandom(5)).length;
        assertEquals(0.25, got / 20000.0, 0.015);
        // step 2 of 4 (t = 1/2 → s = 1/4): (1/4)/(1/2) = 1/2
        got = policy.select(null, candidates, new BlockStep(2, 4, 1), new SplittableRandom(5)).length;
        assertEquals(0.5, got / 20000.0, 0.015);
    }

    @Test
    void ancestralMayCommitNothingButItsLastStepCommitsEverything() {
        NoiseSchedule flat = new NoiseSchedule() { // α constant until 0: no unmasking before the last step
            public double alpha(double t) { return t == 0 ? 1 : 0.001; }
            public double alphaPrime(double t) { return 0; }
            public String name() { return "flat"; }
        };
        var policy = new AncestralPolicy(flat);
        int[] c = {3, 5, 8};
        assertEquals(0, policy.select(null, c, new BlockStep(0, 3, 1), new SplittableRandom(1)).length);
        assertArrayEquals(c, policy.select(null, c, new BlockStep(2, 3, 1), new SplittableRandom(1)));
    }

    @Test
    void thresholdAndFactorOutsideTheirRangeAreRejectedNamingTheOption() {
        for (double tau : new double[] {0, -0.1, 1.01, Double.NaN}) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> new ThresholdPolicy(tau)).getMessage().startsWith("--threshold"));
        }
        new ThresholdPolicy(1.0); // τ = 1 is allowed
        for (double f : new double[] {0, -1, Double.NaN}) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> new FactorPolicy(f)).getMessage().startsWith("--factor"));
        }
    }
}
