package jdlm.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;

import jdlm.model.ModelConfig;
import jdlm.model.ModelConfig.AttentionMode;
import jdlm.model.Transformer;
import org.junit.jupiter.api.Test;

/** Sampling end to end on a tiny random transformer. */
class TransformerSamplingTest {
    static final int VOCAB = 12, MASK = 11, EOS = 10;
    static final SpecialTokens SPECIAL = new SpecialTokens(MASK, EOS, 0);

    static Transformer tiny(AttentionMode mode) {
        ModelConfig c = ModelConfig.of(2, 16, 2, 24, VOCAB, 32, mode);
        Transformer m = Transformer.initialized(c, 11);
        float[] p = m.parameters();
        SplittableRandom r = new SplittableRandom(12);
        for (int i = 0; i < p.length; i++) p[i] = (float) (r.nextGaussian() * 0.5);
        return m;
    }

    private static final DiffusionSampler SAMPLER = new DiffusionSampler(new TransformerDenoiser(tiny(AttentionMode.BIDIRECTIONAL)), SPECIAL);
    private static final int[][] PROMPTS = {{1, 2, 3}, {4, 5}, {6, 7, 8}};

    private static GenerationResult generate(int[][] prompts, SamplerOptions o) {
        return SAMPLER.generate(Canvas.completion(prompts, 8, MASK), o, StepListener.NONE);
    }

    private static SamplerOptions sampled(long seed) {
        return SamplerOptions.of(8, 4).withTokens(new TokenChooser(1.0, 0, 1)).withSeed(seed);
    }

    @Test
    void greedyDecodingIsDeterministic() {
        GenerationResult a = generate(PROMPTS, SamplerOptions.of(8, 4)), b = generate(PROMPTS, SamplerOptions.of(8, 4));
        assertArrayEquals(a.canvases(), b.canvases());
        for (int[] row : a.canvases()) assertFalse(Arrays.stream(row).anyMatch(t -> t == MASK));
    }

    @Test
    void aFixedSeedReproducesSampledOutputAndAnotherSeedDiffers() {
        GenerationResult a = generate(PROMPTS, sampled(42)), b = generate(PROMPTS, sampled(42)), c = generate(PROMPTS, sampled(43));
        assertArrayEquals(a.canvases(), b.canvases());
        assertFalse(Arrays.deepEquals(a.canvases(), c.canvases()));
    }

    @Test
    void batchedGenerationEqualsGeneratingEachPromptAlone() {
        GenerationResult batch = generate(PROMPTS, SamplerOptions.of(8, 4));
        for (int s = 0; s < PROMPTS.length; s++) {
            GenerationResult alone = generate(new int[][] {PROMPTS[s]}, SamplerOptions.of(8, 4));
            assertArrayEquals(alone.canvases()[0], batch.canvases()[s], "sequence " + s);
        }
        assertEquals(16, batch.forwardPasses()); // 8 steps × 2 distinct row lengths
    }

    @Test
    void guidanceWeightZeroEqualsPlainDecodingBitForBit() {
        GenerationResult plain = generate(PROMPTS, sampled(5));
        GenerationResult zero = generate(PROMPTS, sampled(5).withGuidance(0));
        GenerationResult guided = generate(PROMPTS, sampled(5).withGuidance(2));
        assertArrayEquals(plain.canvases(), zero.canvases());
        assertEquals(plain.forwardPasses(), zero.forwardPasses());
        assertEquals(2 * plain.forwardPasses(), guided.forwardPasses());
    }

    @Test
    void infillNeverAltersGivenTokens() {
        int[] row = {1, 2, MASK, MASK, 3, MASK, 4, MASK, MASK, MASK, 5, 6, MASK, 7};
        for (UnmaskingPolicy policy : new UnmaskingPolicy[] {new ConfidencePolicy(), new MarginPolicy(), new EntropyPolicy(),
                new RandomPolicy(), new ThresholdPolicy(0.5), new FactorPolicy(1)}) {
            var o = SamplerOptions.of(8, 0).withTokens(new TokenChooser(1, 0, 1)).withPolicy(policy).withRemask(1)
                    .withEos(false, false, true, false);
            GenerationResult r = SAMPLER.generate(Canvas.infill(new int[][] {row}, MASK), o, StepListener.NONE);
            int[] out = r.canvases()[0];
            for (int i = 0; i < row.length; i++) {
                if (row[i] != MASK) assertEquals(row[i], out[i], policy + " changed given position " + i);
                else assertFalse(out[i] == MASK, policy + " left position " + i + " masked");
            }
        }
    }

    @Test
    void transformerDenoiserRefusesACausalModel() {
        assertThrows(IllegalArgumentException.class, () -> new TransformerDenoiser(tiny(AttentionMode.CAUSAL)));
    }

    // ------------------------------------------------------------------ autoregressive twin

    @Test
    void autoregressiveGreedyWithKvCacheEqualsRepeatedFullCausalForwards() {
        Transformer causal = tiny(AttentionMode.CAUSAL);
        int[] prompt = {1, 2, 3};
        GenerationResult r = new AutoregressiveSampler(causal)
                .generate(prompt, new AutoregressiveOptions(10, TokenChooser.greedy(), -1, 0), StepListener.NONE);
        int[] seq = prompt.clone();
        for (int n = 0; n < 10; n++) {
            float[] logits = causal.logits(seq, 1, seq.length);
            int last = (seq.length - 1) * VOCAB, best = 0;
            for (int v = 1; v < VOCAB; v++) if (logits[last + v] > logits[last + best]) best = v;
            seq = Arrays.copyOf(seq, seq.length + 1);
            seq[seq.length - 1] = best;
        }
        assertArrayEquals(seq, r.canvases()[0]);
        assertArrayEquals(Arrays.copyOfRange(seq, 3, 13), r.answers()[0]);
        assertEquals(10, r.forwardPasses());
    }

    @Test
    void autoregressiveGenerationStopsAtEos() {
        Transformer causal = tiny(AttentionMode.CAUSAL);
        int[] prompt = {1, 2, 3};
        var greedy = new AutoregressiveSampler(causal).generate(prompt, new AutoregressiveOptions(5, TokenChooser.greedy(), -1, 0), StepListener.NONE);
        int first = greedy.answers()[0][0];
        var stopped = new AutoregressiveSampler(causal).generate(prompt, new AutoregressiveOptions(5, TokenChooser.greedy(), first, 0), StepListener.NONE);
        assertArrayEquals(new int[0], stopped.answers()[0]);
        assertArrayEquals(new int[] {1, 2, 3, first}, stopped.canvases()[0]);
        assertEquals(1, stopped.forwardPasses());
    }

    @Test
    void autoregressiveSamplingWithTopKOneEqualsGreedy() {
        Transformer causal = tiny(AttentionMode.CAUSAL);
        int[] prompt = {4, 5};
        var greedy = new AutoregressiveSampler(causal).generate(prompt, new AutoregressiveOptions(8, TokenChooser.greedy(), -1, 0), StepListener.NONE);
        var topOne = new AutoregressiveSampler(causal).generate(prompt, new AutoregressiveOptions(8, new TokenChooser(1.5, 1, 1), -1, 9), StepListener.NONE);
        assertArrayEquals(greedy.canvases()[0], topOne.canvases()[0]);
    }

    @Test
    void autoregressivePromptPlusMaxTokensBeyondTheContextIsRejected() {
        var e = assertThrows(IllegalArgumentException.class, () -> new AutoregressiveSampler(tiny(AttentionMode.CAUSAL))
                .generate(new int[30], new AutoregressiveOptions(5, TokenChooser.greedy(), -1, 0), StepListener.NONE));
        assertEquals("the 30-token prompt plus --max-tokens 5 exceeds the model's context length 32", e.getMessage());
    }

    /**
     * A block-diffusion model is decoded in its own blocks of 4 counted from position 0: prompts of 3
     * and 6 tokens first finish the block they end in. Every step commits inside the current model
     * block only, and the exact block cache gives the same greedy canvases as full passes.
     */
    @Test
    void blockModelDecodesInItsOwnBlocksAndItsCacheIsExact() {
        for (AttentionMode from : new AttentionMode[] {AttentionMode.BIDIRECTIONAL, AttentionMode.CAUSAL}) { // causal: shifted logits
            blockModelDecoding(ModelConfig.of(2, 16, 2, 24, VOCAB, 32, from).withBlocks(4));
        }
    }

    private static void blockModelDecoding(ModelConfig c) {
        Transformer m = new Transformer(c, tiny(AttentionMode.BIDIRECTIONAL).parameters());
        DiffusionSampler sampler = new DiffusionSampler(new TransformerDenoiser(m), SPECIAL);
        int[][] prompts = {{1, 2, 3}, {4, 5, 6, 7, 8, 9}};
        java.util.List<StepEvent> events = new java.util.ArrayList<>();
        GenerationResult plain = sampler.generate(Canvas.completion(prompts, 9, MASK), SamplerOptions.of(6, 0), events::add);
        for (StepEvent e : events) {
            int p = prompts[e.sequence()].length;
            int modelBlock = p / 4 + e.block(); // the region's blocks are the model blocks it overlaps
            int lo = Math.max(p, modelBlock * 4), hi = Math.min(p + 9, (modelBlock + 1) * 4);
            for (int pos : e.positions()) {
                assertTrue(pos >= lo && pos < hi, "sequence " + e.sequence() + " block " + e.block() + " committed " + pos + " outside [" + lo + ", " + hi + ")");
            }
        }
        GenerationResult cached = sampler.generate(Canvas.completion(prompts, 9, MASK), SamplerOptions.of(6, 0).withBlockCache(true), StepListener.NONE);
        assertArrayEquals(plain.canvases(), cached.canvases());
        assertThrows(IllegalArgumentException.class, () -> sampler.generate(Canvas.completion(prompts, 9, MASK), SamplerOptions.of(6, 3), StepListener.NONE));
    }
}
