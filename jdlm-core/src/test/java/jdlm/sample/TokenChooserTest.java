package jdlm.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

class TokenChooserTest {

    private static float[] logProbs(double... p) {
        float[] l = new float[p.length];
        for (int i = 0; i < p.length; i++) l[i] = (float) Math.log(p[i]);
        return l;
    }

    private static TreeSet<Integer> chosenOver(TokenChooser c, float[] logits, int draws) {
        SplittableRandom rng = new SplittableRandom(7);
        double[] scratch = new double[logits.length];
        TreeSet<Integer> seen = new TreeSet<>();
        for (int i = 0; i < draws; i++) seen.add(c.choose(logits, 0, logits.length, rng, scratch));
        return seen;
    }

    @Test
    void greedyPicksTheArgmaxAndBreaksTiesToTheLowerId() {
        float[] l = {0.1f, 2f, -1f, 2f};
        assertEquals(1, TokenChooser.greedy().choose(l, 0, 4, new SplittableRandom(1), new double[4]));
    }

    @Test
    void suppressedTokensAreNeverChosen() {
        float[] l = {Float.NEGATIVE_INFINITY, 0f, 0f};
        assertEquals(Set.of(1, 2), Set.copyOf(chosenOver(new TokenChooser(1, 0, 1), l, 500)));
    }

    @Test
    void temperatureSamplesFromTheWholeDistribution() {
        assertEquals(Set.of(0, 1, 2), Set.copyOf(chosenOver(new TokenChooser(1, 0, 1), logProbs(0.5, 0.3, 0.2), 500)));
    }

    @Test
    void topKOneEqualsGreedyAtAnyTemperature() {
        SplittableRandom data = new SplittableRandom(3);
        for (int trial = 0; trial < 50; trial++) {
            float[] l = new float[13];
            for (int v = 0; v < l.length; v++) l[v] = (float) data.nextGaussian();
            int greedy = TokenChooser.greedy().choose(l, 0, l.length, data, new double[13]);
            assertEquals(Set.of(greedy), Set.copyOf(chosenOver(new TokenChooser(2.0, 1, 1), l, 20)));
        }
    }

    @Test
    void topKKeepsExactlyTheKMostLikely() {
        assertEquals(Set.of(0, 3), Set.copyOf(chosenOver(new TokenChooser(1, 2, 1), logProbs(0.4, 0.1, 0.15, 0.35), 1000)));
    }

    @Test
    void topPKeepsTheSmallestSetWithMassAtLeastP() {
        float[] l = logProbs(0.15, 0.5, 0.05, 0.3); // sorted: 0.5 (1), 0.3 (3), 0.15 (0), 0.05 (2)
        assertEquals(Set.of(1), Set.copyOf(chosenOver(new TokenChooser(1, 0, 0.5), l, 1000)));   // 0.5 ≥ 0.5
        assertEquals(Set.of(1, 3), Set.copyOf(chosenOver(new TokenChooser(1, 0, 0.8), l, 1000))); // 0.8 ≥ 0.8
        assertEquals(Set.of(0, 1, 3), Set.copyOf(chosenOver(new TokenChooser(1, 0, 0.81), l, 1000)));
    }

    @Test
    void impossibleSettingsAreRejectedNamingTheOption() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new TokenChooser(-1, 0, 1)).getMessage().contains("--temperature"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new TokenChooser(1, -2, 1)).getMessage().contains("--top-k"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new TokenChooser(1, 0, 0)).getMessage().contains("--top-p"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new TokenChooser(1, 0, 1.5)).getMessage().contains("--top-p"));
    }

}
