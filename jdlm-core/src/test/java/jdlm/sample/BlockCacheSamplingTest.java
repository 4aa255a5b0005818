package jdlm.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The sampler's side of Fast-dLLM's dual cache: when it makes full passes and when window passes. */
class BlockCacheSamplingTest {
    static final int VOCAB = 6, EOS = 4, MASK = 5;
    static final SpecialTokens SPECIAL = new SpecialTokens(MASK, EOS, 3);

    /** Logits depend on the whole row (how many positions are still masked), so stale context would show. */
    static final ScriptedModel.Script SCRIPT = (row, p, out) -> {
        int masked = 0;
        for (int t : row) if (t == MASK) masked++;
        out[(p + masked) % 4] = 1 + 0.25f * p;
    };

    /** A windowed model that recomputes the window exactly (nothing is stale) and logs its calls. */
    static final class ExactWindowModel implements WindowedDenoisingModel {
        final ScriptedModel full = new ScriptedModel(VOCAB, 64, SCRIPT);
        final List<String> calls = new ArrayList<>();

        @Override public Cache newCache(int length) { return new Cache() {}; }
        @Override public float[] logits(int[] row, int length, Cache cache) {
            calls.add("full");
            return full.logits(row, 1, length);
        }
        @Override public float[] windowLogits(int[] row, int lo, int hi, Cache cache) {
            calls.add(lo + ".." + hi);
            return Arrays.copyOfRange(full.logits(row, 1, row.length), lo * VOCAB, hi * VOCAB);
        }
        @Override public float[] logits(int[] canvas, int batch, int length) { return full.logits(canvas, batch, length); }
        @Override public int vocabSize() { return VOCAB; }
        @Override public int contextLength() { return 64; }
    }

    @Test
    void oneFullPassPerBlockThenWindowPassesOverTheBlock() {
        var m = new ExactWindowModel();
        // prompt of 2, 8 to generate in blocks of 4, 8 steps: 4 steps per block
        GenerationResult r = new DiffusionSampler(m, SPECIAL).generate(Canvas.completion(new int[][] {{0, 1}}, 8, MASK),
                SamplerOptions.of(8, 4).withBlockCache(true), StepListener.NONE);
        assertEquals(List.of("full", "2..6", "2..6", "2..6", "full", "6..10", "6..10", "6..10"), m.calls);
        assertEquals(8, r.forwardPasses());
    }

    @Test
    void thePrefixCacheRecomputesTheBlockAndEverythingAfterIt() {
        var m = new ExactWindowModel();
        GenerationResult r = new DiffusionSampler(m, SPECIAL).generate(Canvas.completion(new int[][] {{0, 1}}, 8, MASK),
                SamplerOptions.of(8, 4).withBlockCache(BlockCache.PREFIX), StepListener.NONE);
        assertEquals(List.of("full", "2..10", "2..10", "2..10", "full", "6..10", "6..10", "6..10"), m.calls);
        assertEquals(8, r.forwardPasses());
    }

    @Test
    void withAnExactWindowTheOutputEqualsPlainDecoding() {
        for (long seed = 0; seed < 5; seed++) {
            var o = SamplerOptions.of(6, 3).withTokens(new TokenChooser(1.0, 0, 1.0)).withSeed(seed);
            GenerationResult plain = new DiffusionSampler(new ScriptedModel(VOCAB, 64, SCRIPT), SPECIAL)
                    .generate(Canvas.completion(new int[][] {{0}}, 9, MASK), o, StepListener.NONE);
            for (BlockCache kind : new BlockCache[] {BlockCache.DUAL, BlockCache.PREFIX}) {
                GenerationResult cached = new DiffusionSampler(new ExactWindowModel(), SPECIAL).generate(
                        Canvas.completion(new int[][] {{0}}, 9, MASK), o.withBlockCache(kind), StepListener.NONE);
                assertArrayEquals(plain.canvases()[0], cached.canvases()[0], kind + ", seed " + seed);
            }
        }
    }

    @Test
    void aModelWithoutWindowsOrGuidanceWithTheCacheIsRefused() {
        var plain = new ScriptedModel(VOCAB, 64, SCRIPT);
        var e = assertThrows(IllegalArgumentException.class, () -> new DiffusionSampler(plain, SPECIAL)
                .generate(Canvas.completion(new int[][] {{0}}, 4, MASK), SamplerOptions.of(4, 4).withBlockCache(true), StepListener.NONE));
        assertEquals("the block cache needs a model that can recompute a window of the canvas; this one cannot", e.getMessage());
        var g = assertThrows(IllegalArgumentException.class, () -> new DiffusionSampler(new ExactWindowModel(), SPECIAL)
                .generate(Canvas.completion(new int[][] {{0}}, 4, MASK), SamplerOptions.of(4, 4).withBlockCache(true).withGuidance(1),
                        StepListener.NONE));
        assertEquals("--cfg cannot be combined with the block cache (it caches the conditional pass only)", g.getMessage());
    }
}
