package jdlm.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import jdlm.model.ModelConfig.AttentionMode;
import jdlm.tensor.Rope;
import org.junit.jupiter.api.Test;

/**
 * Fast-dLLM's dual cache in the transformer: a window recomputed against cached keys and values is
 * exact when the rest of the canvas is what the cache saw, and — for one layer, where the other
 * positions' keys and values depend on their own tokens only — even after the window's tokens change.
 */
class BlockCacheForwardTest {
    static final int T = 14, V = 11;

    private static ModelConfig config(int layers, boolean shift) {
        return new ModelConfig(layers, 10, 4, 2, 6, 14, V, 16, 10000.0, 1e-5f, AttentionMode.BIDIRECTIONAL,
                Rope.Style.HALVES, shift, false, shift);
    }

    private static int[] tokens(long seed) {
        return TestModels.tokens(T, V, seed);
    }

    private static void assertRowsClose(float[] full, int lo, int hi, float[] window) {
        assertEquals((hi - lo) * V, window.length);
        double maxErr = 0, scale = 0;
        for (int i = 0; i < window.length; i++) {
            maxErr = Math.max(maxErr, Math.abs(full[lo * V + i] - window[i]));
            scale = Math.max(scale, Math.abs(full[lo * V + i]));
        }
        assertTrue(maxErr <= 1e-5 * scale, "window [" + lo + ", " + hi + "): max error " + maxErr + " vs scale " + scale);
    }

    @Test
    void unchangedCanvasGivesTheFullPassRows() {
        for (boolean shift : new boolean[] {false, true}) {
            Transformer m = TestModels.random(config(2, shift), 3);
            int[] row = tokens(4);
            float[] full = m.logits(row, 1, T);
            KVCache cache = new KVCache(m.config(), T);
            float[] cached = m.forwardCaching(cache, row, T).clone();
            assertRowsClose(full, 0, T, cached);
            for (int[] w : new int[][] {{0, 4}, {4, 8}, {10, 14}, {0, 14}}) {
                assertRowsClose(full, w[0], w[1], m.forwardWindow(cache, row, w[0], w[1]).clone());
            }
        }
    }

    @Test
    void oneLayerWindowIsExactAfterItsTokensChange() {
        for (boolean shift : new boolean[] {false, true}) {
            Transformer m = TestModels.random(config(1, shift), 5);
            int[] row = tokens(6);
            KVCache cache = new KVCache(m.config(), T);
            m.forwardCaching(cache, row, T);
            int lo = 5, hi = 9;
            int[] changed = row.clone();
            for (int i = lo; i < hi; i++) changed[i] = (row[i] + 1 + i) % V;
            float[] window = m.forwardWindow(cache, changed, lo, hi).clone();
            assertRowsClose(m.logits(changed, 1, T), lo, hi, window);
        }
    }

    @Test
    void deeperModelsSeeStaleContextAsDocumented() {
        Transformer m = TestModels.random(config(2, false), 7);
        int[] row = tokens(8);
        KVCache cache = new KVCache(m.config(), T);
        m.forwardCaching(cache, row, T);
        int[] changed = row.clone();
        for (int i = 5; i < 9; i++) changed[i] = (row[i] + 1) % V;
        float[] window = m.forwardWindow(cache, changed, 5, 9).clone();
        float[] exact = Arrays.copyOfRange(m.logits(changed, 1, T), 5 * V, 9 * V);
        double diff = 0;
        for (int i = 0; i < exact.length; i++) diff = Math.max(diff, Math.abs(exact[i] - window[i]));
        assertTrue(diff > 1e-4, "with two layers the cached context is stale, so the window differs from a full pass");
    }

    @Test
    void misuseIsRefused() {
        Transformer m = TestModels.random(config(1, false), 9);
        KVCache cache = new KVCache(m.config(), T);
        assertThrows(IllegalStateException.class, () -> m.forwardWindow(cache, tokens(1), 0, 4));
        m.forwardCaching(cache, tokens(1), T);
        assertThrows(IllegalArgumentException.class, () -> m.forwardWindow(cache, tokens(1), 4, T + 1));
        Transformer causal = TestModels.random(config(1, false).withAttention(AttentionMode.CAUSAL), 9);
        assertThrows(IllegalStateException.class, () -> causal.forwardCaching(new KVCache(causal.config(), T), tokens(1), T));
    }

    /**
     * BD3-LM's KV cache: with a block-causal model (two layers, blocks of 4) a window that is a whole
     * block sees only itself and the blocks before, so after its tokens change it still equals the
     * full pass over the new canvas. A window that leaves out the block's first rows is not exact:
     * those rows attend to the changed ones, and their cached keys and values went stale.
     */
    @Test
    void blockModelWindowOverAWholeBlockIsExactAfterItsTokensChange() {
        for (AttentionMode from : new AttentionMode[] {AttentionMode.BIDIRECTIONAL, AttentionMode.CAUSAL}) { // causal: shifted logits
            blockModelWindows(new ModelConfig(2, 10, 4, 2, 6, 14, V, 16, 10000.0, 1e-5f, from, Rope.Style.ADJACENT_PAIRS).withBlocks(4));
        }
    }

    private static void blockModelWindows(ModelConfig c) {
        Transformer m = TestModels.random(c, 7);
        int[] row = tokens(8);
        KVCache cache = new KVCache(c, T);
        m.forwardCaching(cache, row, T);
        int[] changed = row.clone();
        for (int i = 5; i < 8; i++) changed[i] = (row[i] + 1 + i) % V; // block [4, 8) changes after position 4
        float[] full = m.logits(changed, 1, T);
        assertRowsClose(full, 4, 8, m.forwardWindow(cache, changed, 4, 8).clone());

        // BD3-LM's way: no full pass, each block computed once after the ones before it, extending the cache
        KVCache grown = new KVCache(c, T);
        for (int lo = 0; lo < T; lo += 4) assertRowsClose(full, lo, Math.min(T, lo + 4), m.forwardWindow(grown, changed, lo, Math.min(T, lo + 4)).clone());
        assertEquals(T, grown.length());
        assertThrows(IllegalArgumentException.class, () -> m.forwardWindow(new KVCache(c, T), changed, 4, 8), "a window may not start past the cache");

        KVCache again = new KVCache(c, T);
        m.forwardCaching(again, row, T);
        float[] partial = m.forwardWindow(again, changed, 6, 8).clone(); // shifted: rows from 5 are recomputed, 4 is not
        double maxErr = 0;
        for (int i = 0; i < partial.length; i++) maxErr = Math.max(maxErr, Math.abs(full[6 * V + i] - partial[i]));
        assertTrue(maxErr > 1e-3, "a window that skips row 4 reads its stale keys: error " + maxErr);
    }
}
