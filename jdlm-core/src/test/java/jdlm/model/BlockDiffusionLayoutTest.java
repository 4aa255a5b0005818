package jdlm.model;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;

import jdlm.model.ModelConfig.AttentionMode;
import jdlm.tensor.Rope;
import org.junit.jupiter.api.Test;

/**
 * BD3-LM's training layout [x₀ | x_t]: one pass must give, for every block k, the logits of a plain
 * block-causal pass over x₀'s blocks before k followed by x_t's block k (the float64 reference
 * runs one such pass per block), and the clean half the logits of a block-causal pass over x₀.
 * With shifted logits (a block model adapted from a causal one) a block's first row reads x₀'s last
 * row of the block before, as the per-block reference does by itself.
 */
class BlockDiffusionLayoutTest {
    private static final int BLOCK = 3, L = 8; // blocks [0,3) [3,6) [6,8): the last one partial

    /** With {@code shift}, a block model adapted from a causal one: logits read from the row before. */
    private static ModelConfig config(boolean shift) {
        return new ModelConfig(2, 10, 4, 2, 6, 14, 11, 16, 10000.0, 1e-5f, shift ? AttentionMode.CAUSAL : AttentionMode.BIDIRECTIONAL,
                Rope.Style.ADJACENT_PAIRS).withBlocks(BLOCK);
    }

    /** Reference logits of the 2L rows of one [x₀ | x_t] sequence, from one block-causal pass per block. */
    private static double[][] reference(ReferenceTransformer64 ref, double[] p, int[] x0, int[] xt) {
        double[][] out = new double[2 * L][];
        double[][] clean = ref.logits(p, x0);
        System.arraycopy(clean, 0, out, 0, L);
        for (int start = 0; start < L; start += BLOCK) {
            int end = Math.min(L, start + BLOCK);
            int[] seq = new int[end];
            System.arraycopy(x0, 0, seq, 0, start);
            System.arraycopy(xt, start, seq, start, end - start);
            double[][] rows = ref.logits(p, seq);
            System.arraycopy(rows, start, out, L + start, end - start);
        }
        return out;
    }

    private static int[] pairs(int[] x0, int[] xt, int B) {
        int[] in = new int[B * 2 * L];
        for (int b = 0; b < B; b++) {
            System.arraycopy(x0, b * L, in, b * 2 * L, L);
            System.arraycopy(xt, b * L, in, b * 2 * L + L, L);
        }
        return in;
    }

    @Test
    void onePassScoresEveryBlockGivenTheCleanBlocksBeforeIt() {
        for (boolean shift : new boolean[] {false, true}) onePassScoresEveryBlock(config(shift));
    }

    private static void onePassScoresEveryBlock(ModelConfig c) {
        Transformer m = TestModels.random(c, 7);
        int B = 2, V = c.vocabSize();
        int[] x0 = TestModels.tokens(B * L, V, 3), xt = TestModels.tokens(B * L, V, 4);
        Activations a = new Activations(c, B, 2 * L, false, true);
        m.forward(a, pairs(x0, xt, B));
        ReferenceTransformer64 ref = new ReferenceTransformer64(c);
        double[] p = TestModels.toDouble(m.parameters());
        double maxErr = 0, maxRef = 0;
        for (int b = 0; b < B; b++) {
            double[][] want = reference(ref, p, Arrays.copyOfRange(x0, b * L, (b + 1) * L), Arrays.copyOfRange(xt, b * L, (b + 1) * L));
            for (int r = 0; r < 2 * L; r++) {
                for (int j = 0; j < V; j++) {
                    maxErr = Math.max(maxErr, Math.abs(want[r][j] - a.logits[(b * 2 * L + r) * V + j]));
                    maxRef = Math.max(maxRef, Math.abs(want[r][j]));
                }
            }
        }
        assertTrue(maxErr / maxRef < 1e-5, c.shiftLogits() + ": relative error " + maxErr / maxRef);
    }

    @Test
    void gradientMatchesFiniteDifferencesOfThePerBlockReference() {
        for (boolean shift : new boolean[] {false, true}) gradientMatches(config(shift));
    }

    private static void gradientMatches(ModelConfig c) {
        Transformer m = TestModels.random(c, 11);
        int V = c.vocabSize();
        int[] x0 = TestModels.tokens(L, V, 5), xt = TestModels.tokens(L, V, 6);
        SplittableRandom r = new SplittableRandom(13);
        float[] g = new float[2 * L * V]; // L = Σ logits ⊙ G over both halves
        for (int i = 0; i < g.length; i++) g[i] = (float) r.nextGaussian();
        Activations a = new Activations(c, 1, 2 * L, true, true);
        m.forward(a, pairs(x0, xt, 1));
        float[] grads = new float[m.parameters().length];
        m.backward(a, g.clone(), grads);

        ReferenceTransformer64 ref = new ReferenceTransformer64(c);
        double rel = TestModels.finiteDifferenceError(m, grads, p -> TestModels.project(reference(ref, p, x0, xt), g), 6, r);
        assertTrue(rel < 1e-4, c.shiftLogits() + ": float32 backward vs float64 finite differences: relative error " + rel);
    }

    @Test
    void pairsNeedABlockCausalModelAndAnEvenLength() {
        ModelConfig c = config(false);
        assertThrows(IllegalArgumentException.class, () -> new Activations(c, 1, 7, false, true));
        ModelConfig plain = new ModelConfig(2, 10, 4, 2, 6, 14, 11, 16, 10000.0, 1e-5f, AttentionMode.BIDIRECTIONAL, Rope.Style.ADJACENT_PAIRS);
        assertThrows(IllegalArgumentException.class, () -> new Activations(plain, 1, 8, false, true));
    }
}
