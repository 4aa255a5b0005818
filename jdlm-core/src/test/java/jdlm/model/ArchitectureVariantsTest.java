package jdlm.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import jdlm.model.ModelConfig.AttentionMode;
import jdlm.tensor.Rope;
import org.junit.jupiter.api.Test;

/** The Qwen2 / Dream variants of the architecture: q/k/v biases, tied embeddings, shifted logits. */
class ArchitectureVariantsTest {

    private static ModelConfig variant(AttentionMode mode, boolean bias, boolean tied, boolean shift) {
        return new ModelConfig(2, 10, 4, 2, 6, 14, 11, 16, 10000.0, 1e-5f, mode, Rope.Style.HALVES, bias, tied, shift);
    }

    @Test
    void variantsMatchFloat64Reference() {
        boolean[] tf = {false, true};
        for (boolean bias : tf) for (boolean tied : tf) for (boolean shift : tf) {
            ModelConfig c = variant(AttentionMode.BIDIRECTIONAL, bias, tied, shift);
            Transformer m = TestModels.random(c, 3);
            int T = 7, V = c.vocabSize();
            int[] tokens = new SplittableRandom(4).ints(T, 0, V).toArray();
            float[] got = m.logits(tokens, 1, T);
            double[][] want = new ReferenceTransformer64(c).logits(TestModels.toDouble(m.parameters()), tokens);
            double maxErr = 0, maxRef = 0;
            for (int t = 0; t < T; t++) {
                for (int j = 0; j < V; j++) {
                    maxErr = Math.max(maxErr, Math.abs(want[t][j] - got[t * V + j]));
                    maxRef = Math.max(maxRef, Math.abs(want[t][j]));
                }
            }
            assertTrue(maxErr / maxRef < 1e-5, "bias " + bias + " tied " + tied + " shift " + shift + ": relative error " + maxErr / maxRef);
        }
    }

    @Test
    void shiftedLogitsReadThePreviousPositionAndPositionZeroKeepsItsOwn() {
        ModelConfig plain = variant(AttentionMode.BIDIRECTIONAL, true, false, false);
        Transformer a = TestModels.random(plain, 9);
        Transformer b = new Transformer(variant(AttentionMode.BIDIRECTIONAL, true, false, true), a.parameters());
        int B = 2, T = 5, V = plain.vocabSize();
        int[] tokens = new SplittableRandom(2).ints(B * T, 0, V).toArray();
        float[] raw = a.logits(tokens, B, T), shifted = b.logits(tokens, B, T);
        for (int s = 0; s < B; s++) {
            for (int t = 0; t < T; t++) {
                int from = s * T + Math.max(t - 1, 0), to = s * T + t;
                for (int j = 0; j < V; j++) assertEquals(raw[from * V + j], shifted[to * V + j], 0f, "sequence " + s + " position " + t);
            }
        }
    }

    @Test
    void biasAndTiedEmbeddingGradientsMatchFiniteDifferences() {
        ModelConfig c = variant(AttentionMode.CAUSAL, true, true, false);
        Transformer m = TestModels.random(c, 11);
        int T = 6;
        int[] tokens = new SplittableRandom(5).ints(T, 0, c.vocabSize()).toArray();
        SplittableRandom r = new SplittableRandom(13);
        float[] g = new float[T * c.vocabSize()];
        for (int i = 0; i < g.length; i++) g[i] = (float) r.nextGaussian();
        Activations a = new Activations(c, 1, T, true);
        m.forward(a, tokens);
        float[] grads = new float[m.parameters().length];
        m.backward(a, g, grads);

        ReferenceTransformer64 ref = new ReferenceTransformer64(c);
        double[] p = TestModels.toDouble(m.parameters());
        double h = 1e-5, errSq = 0, refSq = 0;
        for (ParameterLayout.View v : m.layout().views().values()) {
            if (!v.name().endsWith(".bias") && !v.name().equals("token_embd.weight")) continue;
            for (int s = 0; s < 8; s++) {
                int i = v.offset() + r.nextInt(v.size());
                double keep = p[i];
                p[i] = keep + h;
                double up = TestModels.project(ref.logits(p, tokens), g);
                p[i] = keep - h;
                double down = TestModels.project(ref.logits(p, tokens), g);
                p[i] = keep;
                double fd = (up - down) / (2 * h);
                errSq += (grads[i] - fd) * (grads[i] - fd);
                refSq += fd * fd;
            }
        }
        assertTrue(refSq > 0);
        assertTrue(Math.sqrt(errSq / refSq) < 1e-4, "relative error " + Math.sqrt(errSq / refSq));
    }

    /** Dream's shift in backward: every parameter's gradient through shifted logits, two sequences (and one of length 1). */
    @Test
    void shiftedLogitGradientsMatchFiniteDifferences() {
        ModelConfig c = variant(AttentionMode.BIDIRECTIONAL, false, false, true);
        Transformer m = TestModels.random(c, 17);
        ReferenceTransformer64 ref = new ReferenceTransformer64(c);
        for (int T : new int[] {6, 1}) {
            int B = 2, V = c.vocabSize();
            int[] tokens = new SplittableRandom(7 + T).ints(B * T, 0, V).toArray();
            int[][] seqs = {java.util.Arrays.copyOfRange(tokens, 0, T), java.util.Arrays.copyOfRange(tokens, T, 2 * T)};
            SplittableRandom r = new SplittableRandom(19 + T);
            float[] g = new float[B * T * V];
            for (int i = 0; i < g.length; i++) g[i] = (float) r.nextGaussian();
            float[][] gs = {java.util.Arrays.copyOfRange(g, 0, T * V), java.util.Arrays.copyOfRange(g, T * V, 2 * T * V)};
            Activations a = new Activations(c, B, T, true);
            m.forward(a, tokens);
            float[] grads = new float[m.parameters().length];
            m.backward(a, g.clone(), grads);

            double rel = TestModels.finiteDifferenceError(m, grads,
                    p -> TestModels.project(ref.logits(p, seqs[0]), gs[0]) + TestModels.project(ref.logits(p, seqs[1]), gs[1]), 4, r);
            assertTrue(rel < 1e-4, "T=" + T + ": relative error " + rel);
        }
    }

    @Test
    void shiftedModelsRefuseCachedDecoding() {
        ModelConfig c = variant(AttentionMode.CAUSAL, false, false, true);
        Transformer m = TestModels.random(c, 1);
        assertThrows(IllegalStateException.class, () -> m.decode(new KVCache(c, 4), new int[] {1}, 0, 1));
    }

    @Test
    void configMapsWithoutTheVariantKeysReadAsTheNativeArchitecture() {
        ModelConfig native_ = ModelConfig.of(2, 8, 2, 12, 20, 16, AttentionMode.BIDIRECTIONAL);
        Map<String, Object> old = new LinkedHashMap<>(native_.toMap());
        old.remove("qkv_bias");
        old.remove("tied_embeddings");
        old.remove("shift_logits");
        assertEquals(native_, ModelConfig.fromMap(old));
        ModelConfig dream = variant(AttentionMode.BIDIRECTIONAL, true, true, true);
        assertEquals(dream, ModelConfig.fromMap(dream.toMap()));
        Map<String, Object> bad = new LinkedHashMap<>(dream.toMap());
        bad.put("shift_logits", "yes");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromMap(bad));
        assertTrue(e.getMessage().contains("shift_logits"), e.getMessage());
        assertFalse(new ParameterLayout(dream).views().containsKey("output.weight"), "tied embeddings have no separate output matrix");
    }
}
