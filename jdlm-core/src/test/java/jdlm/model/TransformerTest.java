package jdlm.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;

import jdlm.model.ModelConfig.AttentionMode;
import jdlm.tensor.Rope;
import org.junit.jupiter.api.Test;

class TransformerTest {

    /**
     * Small and deliberately odd: GQA (4 query heads on 2 KV heads), qDim 24 ≠ dim 10, hidden 14,
     * vocab 11; block-causal models have blocks of 3.
     */
    private static ModelConfig tiny(AttentionMode mode, Rope.Style style) {
        ModelConfig c = new ModelConfig(2, 10, 4, 2, 6, 14, 11, 16, 10000.0, 1e-5f,
                mode == AttentionMode.BLOCK_CAUSAL ? AttentionMode.BIDIRECTIONAL : mode, style);
        return mode == AttentionMode.BLOCK_CAUSAL ? c.withBlocks(3) : c;
    }

    @Test
    void forwardMatchesFloat64Reference() {
        for (AttentionMode mode : AttentionMode.values()) {
            for (Rope.Style style : Rope.Style.values()) {
                ModelConfig c = tiny(mode, style);
                Transformer m = TestModels.random(c, 7);
                int B = 2, T = 9;
                int[] tokens = TestModels.tokens(B * T, c.vocabSize(), 3);
                float[] logits = m.logits(tokens, B, T);
                ReferenceTransformer64 ref = new ReferenceTransformer64(c);
                double maxErr = 0, maxRef = 0;
                for (int b = 0; b < B; b++) {
                    double[][] want = ref.logits(TestModels.toDouble(m.parameters()), Arrays.copyOfRange(tokens, b * T, (b + 1) * T));
                    for (int t = 0; t < T; t++) {
                        for (int j = 0; j < c.vocabSize(); j++) {
                            maxErr = Math.max(maxErr, Math.abs(want[t][j] - logits[(b * T + t) * c.vocabSize() + j]));
                            maxRef = Math.max(maxRef, Math.abs(want[t][j]));
                        }
                    }
                }
                assertTrue(maxErr / maxRef < 1e-5, mode + "/" + style + ": relative error " + maxErr / maxRef);
            }
        }
    }

    @Test
    void gradientMatchesFiniteDifferencesOfFloat64Reference() {
        for (AttentionMode mode : AttentionMode.values()) {
            ModelConfig c = tiny(mode, Rope.Style.ADJACENT_PAIRS);
            Transformer m = TestModels.random(c, 11);
            int T = 7;
            int[] tokens = TestModels.tokens(T, c.vocabSize(), 5);
            // L = Σ logits ⊙ G for a fixed random G, so dL/dlogits = G.
            SplittableRandom r = new SplittableRandom(13);
            float[] g = new float[T * c.vocabSize()];
            for (int i = 0; i < g.length; i++) g[i] = (float) r.nextGaussian();

            Activations a = new Activations(c, 1, T, true);
            m.forward(a, tokens);
            float[] grads = new float[m.parameters().length];
            m.backward(a, g, grads);

            ReferenceTransformer64 ref = new ReferenceTransformer64(c);
            double[] p = TestModels.toDouble(m.parameters());
            double h = 1e-5, errSq = 0, refSq = 0, maxAbsErr = 0;
            int checked = 0;
            for (ParameterLayout.View v : m.layout().views().values()) {
                for (int s = 0; s < 6; s++) {
                    int i = v.offset() + r.nextInt(v.size());
                    double keep = p[i];
                    p[i] = keep + h;
                    double up = TestModels.project(ref.logits(p, tokens), g);
                    p[i] = keep - h;
                    double down = TestModels.project(ref.logits(p, tokens), g);
                    p[i] = keep;
                    double fd = (up - down) / (2 * h);
                    double diff = grads[i] - fd;
                    errSq += diff * diff;
                    refSq += fd * fd;
                    maxAbsErr = Math.max(maxAbsErr, Math.abs(diff));
                    checked++;
                }
            }
            double rel = Math.sqrt(errSq / refSq);
            assertTrue(refSq > 0);
            assertTrue(rel < 1e-4, mode + ": float32 backward vs float64 finite differences over " + checked
                    + " parameters: relative error " + rel + ", max abs error " + maxAbsErr);
        }
    }

    @Test
    void gradientsAccumulateAcrossBackwardCalls() {
        ModelConfig c = tiny(AttentionMode.BIDIRECTIONAL, Rope.Style.ADJACENT_PAIRS);
        Transformer m = TestModels.random(c, 2);
        int T = 5;
        int[] tokens = TestModels.tokens(T, c.vocabSize(), 9);
        float[] g = new float[T * c.vocabSize()];
        Arrays.fill(g, 0.25f);
        Activations a = new Activations(c, 1, T, true);
        m.forward(a, tokens);
        float[] once = new float[m.parameters().length];
        m.backward(a, g, once);
        float[] twice = new float[once.length];
        m.backward(a, g, twice);
        m.backward(a, g, twice);
        for (int i = 0; i < once.length; i++) assertEquals(2 * once[i], twice[i], 1e-5f * (1 + Math.abs(once[i])));
    }

    @Test
    void kvCacheDecodingEqualsFullCausalForward() {
        ModelConfig c = tiny(AttentionMode.CAUSAL, Rope.Style.HALVES);
        Transformer m = TestModels.random(c, 21);
        int T = 12;
        int[] tokens = TestModels.tokens(T, c.vocabSize(), 4);
        float[] full = m.logits(tokens, 1, T);
        int V = c.vocabSize();

        KVCache cache = new KVCache(c, T);
        float[] stepwise = new float[T * V];
        for (int t = 0; t < T; t++) {
            float[] row = m.decode(cache, tokens, t, 1);
            System.arraycopy(row, 0, stepwise, t * V, V);
        }
        assertClose(full, stepwise, 1e-5);

        // Chunks of uneven size (prompt ingestion followed by steps) give the same rows too.
        cache.clear();
        float[] chunked = new float[T * V];
        int[] chunks = {5, 1, 4, 2};
        int pos = 0;
        for (int n : chunks) {
            float[] rows = m.decode(cache, tokens, pos, n);
            System.arraycopy(rows, 0, chunked, pos * V, n * V);
            pos += n;
        }
        assertClose(full, chunked, 1e-5);
        assertThrows(IllegalArgumentException.class, () -> m.decode(cache, tokens, 0, 1), "a full cache must refuse more tokens");
    }

    @Test
    void kvCacheIsRefusedForBidirectionalModels() {
        ModelConfig c = tiny(AttentionMode.BIDIRECTIONAL, Rope.Style.ADJACENT_PAIRS);
        Transformer m = TestModels.random(c, 1);
        assertThrows(IllegalStateException.class, () -> m.decode(new KVCache(c, 4), new int[] {1}, 0, 1));
    }

    @Test
    void bidirectionalOutputDependsOnLaterTokensAndCausalDoesNot() {
        for (AttentionMode mode : AttentionMode.values()) {
            ModelConfig c = tiny(mode, Rope.Style.ADJACENT_PAIRS);
            Transformer m = TestModels.random(c, 5);
            int T = 8, i = 3, V = c.vocabSize();
            int[] a = TestModels.tokens(T, V, 6);
            int[] b = a.clone();
            b[T - 1] = (a[T - 1] + 1) % V; // change only the last token
            float[] la = m.logits(a, 1, T), lb = m.logits(b, 1, T);
            float[] rowA = Arrays.copyOfRange(la, i * V, (i + 1) * V);
            float[] rowB = Arrays.copyOfRange(lb, i * V, (i + 1) * V);
            if (mode != AttentionMode.BIDIRECTIONAL) { // block-causal: position 3 is in block [3, 6), the last token in [6, 9)
                assertArrayEquals(rowA, rowB, 0f, mode + ": position " + i + " must not see the last token");
            } else {
                assertFalse(Arrays.equals(rowA, rowB), "bidirectional: position " + i + " must see the last token");
            }
        }
    }

    @Test
    void sameSeedGivesBitIdenticalLogits() {
        ModelConfig c = ModelConfig.of(2, 32, 4, 48, 40, 32, AttentionMode.BIDIRECTIONAL);
        int[] tokens = TestModels.tokens(3 * 17, c.vocabSize(), 8);
        float[] first = Transformer.initialized(c, 42).logits(tokens, 3, 17);
        float[] second = Transformer.initialized(c, 42).logits(tokens, 3, 17);
        assertArrayEquals(first, second, 0f);
        float[] other = Transformer.initialized(c, 43).logits(tokens, 3, 17);
        assertFalse(Arrays.equals(first, other), "a different seed must give a different model");
    }

    @Test
    void batchedForwardEqualsOneSequenceAtATime() {
        ModelConfig c = tiny(AttentionMode.BIDIRECTIONAL, Rope.Style.ADJACENT_PAIRS);
        Transformer m = TestModels.random(c, 31);
        int B = 3, T = 6, V = c.vocabSize();
        int[] tokens = TestModels.tokens(B * T, V, 12);
        float[] batched = m.logits(tokens, B, T);
        for (int b = 0; b < B; b++) {
            float[] alone = m.logits(Arrays.copyOfRange(tokens, b * T, (b + 1) * T), 1, T);
            assertClose(alone, Arrays.copyOfRange(batched, b * T * V, (b + 1) * T * V), 1e-6);
        }
    }

    @Test
    void badInputsAreRejectedWithClearMessages() {
        ModelConfig c = tiny(AttentionMode.BIDIRECTIONAL, Rope.Style.ADJACENT_PAIRS);
        Transformer m = TestModels.random(c, 1);
        IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class, () -> m.logits(new int[20], 1, 20));
        assertTrue(tooLong.getMessage().contains("context length 16"), tooLong.getMessage());
        IllegalArgumentException badToken = assertThrows(IllegalArgumentException.class, () -> m.logits(new int[] {0, 11}, 1, 2));
        assertTrue(badToken.getMessage().contains("token id 11"), badToken.getMessage());
        IllegalArgumentException badHeads = assertThrows(IllegalArgumentException.class,
                () -> new ModelConfig(1, 8, 3, 2, 4, 8, 10, 8, 1e4, 1e-5f, AttentionMode.CAUSAL, Rope.Style.HALVES));
        assertTrue(badHeads.getMessage().contains("kvHeads"), badHeads.getMessage());
    }

    @Test
    void aUsableVocabularyHidesThePaddingIdsAndKeepsTheRest() {
        ModelConfig c = tiny(AttentionMode.BIDIRECTIONAL, Rope.Style.ADJACENT_PAIRS);
        Transformer m = TestModels.random(c, 21);
        int[] x = TestModels.tokens(6, c.vocabSize(), 22);
        float[] full = m.logits(x, 1, 6), limited = m.withUsableVocabulary(8).logits(x, 1, 6);
        int V = c.vocabSize();
        for (int r = 0; r < 6; r++) {
            for (int v = 0; v < V; v++) {
                if (v < 8) assertEquals(full[r * V + v], limited[r * V + v], "row " + r + ", id " + v);
                else assertEquals(Float.NEGATIVE_INFINITY, limited[r * V + v], "row " + r + ", id " + v);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> m.withUsableVocabulary(V + 1));
    }

    private static void assertClose(float[] want, float[] got, double relTol) {
        assertEquals(want.length, got.length);
        double maxErr = 0, maxRef = 0;
        for (int i = 0; i < want.length; i++) {
            maxErr = Math.max(maxErr, Math.abs(want[i] - got[i]));
            maxRef = Math.max(maxRef, Math.abs(want[i]));
        }
        assertTrue(maxErr <= relTol * maxRef, "max error " + maxErr + " vs scale " + maxRef);
    }
}
