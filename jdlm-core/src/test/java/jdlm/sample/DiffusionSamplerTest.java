package jdlm.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import jdlm.noise.NoiseSchedule;
import org.junit.jupiter.api.Test;

/** The denoising loop on hand-made logits, where every commit is worked out by hand. */
class DiffusionSamplerTest {
    static final int VOCAB = 6, EOS = 4, MASK = 5;
    static final SpecialTokens SPECIAL = new SpecialTokens(MASK, EOS, 3);

    private static List<StepEvent> run(DenoisingModel m, Canvas c, SamplerOptions o, GenerationResult[] out) {
        List<StepEvent> events = new ArrayList<>();
        out[0] = new DiffusionSampler(m, SPECIAL).generate(c, o, events::add);
        return events;
    }

    /** Position p predicts token p % 4 with a logit growing in p: later positions are more confident. */
    private static ScriptedModel risingConfidence() {
        return new ScriptedModel(VOCAB, 64, (row, p, out) -> out[p % 4] = 1 + 0.5f * p);
    }

    @Test
    void blocksAreDecodedLeftToRightAndNothingOutsideTheBlockIsCommitted() {
        var model = risingConfidence();
        GenerationResult[] r = new GenerationResult[1];
        // prompt of 2, length 8 in blocks of 4, 4 steps: 2 per block, 2 tokens per step
        var events = run(model, Canvas.completion(new int[][] {{0, 1}}, 8, MASK), SamplerOptions.of(4, 4), r);
        assertEquals(4, events.size());
        // block 1 (positions 6..9) is more confident, yet block 0 goes first, most confident first
        assertArrayEquals(new int[] {4, 5}, events.get(0).positions());
        assertArrayEquals(new int[] {2, 3}, events.get(1).positions());
        assertArrayEquals(new int[] {8, 9}, events.get(2).positions());
        assertArrayEquals(new int[] {6, 7}, events.get(3).positions());
        assertArrayEquals(new int[] {0, 0}, new int[] {events.get(0).block(), events.get(1).block()});
        assertArrayEquals(new int[] {1, 1}, new int[] {events.get(2).block(), events.get(3).block()});
        assertArrayEquals(new int[] {0, 1, 2, 3, 0, 1, 2, 3, 0, 1}, r[0].canvases()[0]);
        assertArrayEquals(new int[] {2, 3, 0, 1, 2, 3, 0, 1}, r[0].answers()[0]);
        assertEquals(4, r[0].forwardPasses());
        assertEquals(4, model.calls);
    }

    @Test
    void transferCountsArePerSequenceNotABatchMean() {
        var model = risingConfidence();
        GenerationResult[] r = new GenerationResult[1];
        // same length, one block, 2 steps: 5 masked → 3, 2; 4 masked (one given) → 2, 2
        Canvas c = Canvas.infill(new int[][] {{MASK, MASK, MASK, MASK, MASK}, {MASK, 0, MASK, MASK, MASK}}, MASK);
        var events = run(model, c, SamplerOptions.of(2, 0), r);
        int[][] counts = new int[2][2];
        for (StepEvent e : events) counts[e.sequence()][e.step()] = e.positions().length;
        assertArrayEquals(new int[] {3, 2}, counts[0]);
        assertArrayEquals(new int[] {2, 2}, counts[1]);
        assertEquals(2, r[0].forwardPasses()); // rows of equal length share each pass
        assertEquals(0, r[0].canvases()[1][1]);
    }

    @Test
    void thresholdFinishesConfidentBlocksInOneStepAndSavesForwardPasses() {
        var model = new ScriptedModel(VOCAB, 64, (row, p, out) -> out[1] = 10);
        GenerationResult[] r = new GenerationResult[1];
        var o = SamplerOptions.of(8, 4).withPolicy(new ThresholdPolicy(0.9));
        var events = run(model, Canvas.completion(new int[][] {{0}}, 8, MASK), o, r);
        assertEquals(2, events.size());
        assertEquals(4, events.get(0).positions().length);
        assertEquals(2, r[0].forwardPasses());
        assertEquals(2, r[0].steps()[0]);
        GenerationResult plain = new DiffusionSampler(model, SPECIAL).generate(Canvas.completion(new int[][] {{0}}, 8, MASK),
                SamplerOptions.of(8, 4), StepListener.NONE);
        assertEquals(8, plain.forwardPasses());
    }

    @Test
    void thresholdStillProgressesWhenNothingReachesTau() {
        // confidences near 1/5 never reach τ = 0.9: one commit per step, past the block's share of 2 steps
        var model = new ScriptedModel(VOCAB, 64, (row, p, out) -> out[p % 5] = 0.01f * p);
        GenerationResult[] r = new GenerationResult[1];
        var events = run(model, Canvas.completion(new int[][] {{0}}, 8, MASK), SamplerOptions.of(2, 0).withPolicy(new ThresholdPolicy(0.9)), r);
        assertEquals(8, events.size());
        for (StepEvent e : events) assertEquals(1, e.positions().length);
        assertFalse(Arrays.stream(r[0].canvases()[0]).anyMatch(t -> t == MASK));
    }

    @Test
    void factorPolicyCommitsWhatTheRuleSaysOnFixedLogits() {
        // one block of 3 with confidences 0.9, 0.8, 0.7 (two-token rows: logit log(c/(1−c)) on token 1)
        double[] conf = {0.7, 0.9, 0.8};
        var model = new ScriptedModel(VOCAB, 64, (row, p, out) -> {
            Arrays.fill(out, Float.NEGATIVE_INFINITY);
            out[0] = 0;
            out[1] = (float) Math.log(conf[p] / (1 - conf[p]));
        });
        GenerationResult[] r = new GenerationResult[1];
        var events = run(model, Canvas.infill(new int[][] {{MASK, MASK, MASK}}, MASK), SamplerOptions.of(1, 0).withPolicy(new FactorPolicy(1)), r);
        // f = 1: 0.9 ≥ 1/2, 0.8 ≥ 2/3, 0.7 < 3/4 → positions 1 and 2 first
        assertArrayEquals(new int[] {1, 2}, events.get(0).positions());
        assertArrayEquals(new int[] {0}, events.get(1).positions());
    }

    @Test
    void eosEndsTheAnswerAndNoFurtherBlocksAreDecoded() {
        // position 2 says token 0 (sure), position 3 says EOS, everything else token 1 (unsure)
        var model = new ScriptedModel(VOCAB, 64, (row, p, out) -> {
            if (p == 2) out[0] = 6;
            else if (p == 3) out[EOS] = 5;
            else out[1] = 1;
        });
        Canvas c = Canvas.completion(new int[][] {{0, 1}}, 8, MASK);
        GenerationResult[] r = new GenerationResult[1];
        var o = SamplerOptions.of(8, 2).withEos(false, false, true, false);
        run(model, c, o, r);
        assertEquals(2, r[0].forwardPasses());
        assertArrayEquals(new int[] {0}, r[0].answers()[0]);
        assertArrayEquals(new int[] {0, 1, 0, EOS, EOS, EOS, EOS, EOS, EOS, EOS}, r[0].canvases()[0]);

        GenerationResult padded = new DiffusionSampler(model, SPECIAL).generate(Canvas.completion(new int[][] {{0, 1}}, 8, MASK),
                SamplerOptions.of(8, 2).withEos(false, false, true, true), StepListener.NONE);
        assertArrayEquals(new int[] {0, 1, 0, EOS, 3, 3, 3, 3, 3, 3}, padded.canvases()[0]);

        GenerationResult noStop = new DiffusionSampler(model, SPECIAL).generate(Canvas.completion(new int[][] {{0, 1}}, 8, MASK),
                SamplerOptions.of(8, 2), StepListener.NONE);
        assertEquals(8, noStop.forwardPasses());
    }

    @Test
    void eosEndsOneSequenceWhileTheOtherContinues() {
        var model = new ScriptedModel(VOCAB, 64, (row, p, out) -> {
            if (row[0] == 0 && p == 1) out[EOS] = 5;
            else out[2] = 1;
        });
        Canvas c = Canvas.completion(new int[][] {{0}, {1}}, 4, MASK);
        GenerationResult r = new DiffusionSampler(model, SPECIAL).generate(c, SamplerOptions.of(4, 1).withEos(false, false, true, false), StepListener.NONE);
        assertArrayEquals(new int[0], r.answers()[0]);
        assertArrayEquals(new int[] {2, 2, 2, 2}, r.answers()[1]);
        assertArrayEquals(new int[] {1, 4}, r.steps());
    }

    @Test
    void eosSuppressedAsAChoiceIsNeverCommitted() {
        var model = new ScriptedModel(VOCAB, 64, (row, p, out) -> out[EOS] = 5);
        GenerationResult r = new DiffusionSampler(model, SPECIAL).generate(Canvas.completion(new int[][] {{0}}, 4, MASK),
                SamplerOptions.of(4, 0).withEos(true, false, false, false), StepListener.NONE);
        assertFalse(Arrays.stream(r.canvases()[0]).anyMatch(t -> t == EOS || t == MASK));
    }

    @Test
    void eosSuppressedAsAConfidenceIsCommittedLast() {
        var model = new ScriptedModel(VOCAB, 64, (row, p, out) -> {
            if (p == 1) out[EOS] = 9; else out[2] = p;
        });
        GenerationResult[] r = new GenerationResult[1];
        var events = run(model, Canvas.completion(new int[][] {{0}}, 4, MASK), SamplerOptions.of(4, 0).withEos(false, true, false, false), r);
        assertArrayEquals(new int[] {1}, events.get(3).positions());
        assertArrayEquals(new int[] {EOS}, events.get(3).tokens());
        var plain = run(model, Canvas.completion(new int[][] {{0}}, 4, MASK), SamplerOptions.of(4, 0), r);
        assertArrayEquals(new int[] {1}, plain.get(0).positions());
    }

    @Test
    void guidanceFollowsTheLladaFormulaOnHandMadeLogits() {
        // conditional: token 1 → 2, token 2 → 1.5; unconditional (prompt masked): 3 and 0.
        // w = 1: l = u + 2(c − u) → token 1: 3 + 2(−1) = 1, token 2: 0 + 2(1.5) = 3 → token 2
        var model = new ScriptedModel(VOCAB, 64, (row, p, out) -> {
            boolean uncond = row[0] == MASK;
            out[1] = uncond ? 3f : 2f;
            out[2] = uncond ? 0f : 1.5f;
        });
        GenerationResult plain = new DiffusionSampler(model, SPECIAL).generate(Canvas.completion(new int[][] {{0}}, 1, MASK),
                SamplerOptions.of(1, 0), StepListener.NONE);
        GenerationResult guided = new DiffusionSampler(model, SPECIAL).generate(Canvas.completion(new int[][] {{0}}, 1, MASK),
                SamplerOptions.of(1, 0).withGuidance(1), StepListener.NONE);
        assertArrayEquals(new int[] {1}, plain.answers()[0]);
        assertArrayEquals(new int[] {2}, guided.answers()[0]);
        assertEquals(1, plain.forwardPasses());
        assertEquals(2, guided.forwardPasses());
    }

    @Test
    void unchangedCanvasSkipsTheForwardPass() {
        NoiseSchedule flat = new NoiseSchedule() { // ancestral steps commit nothing until the last
            public double alpha(double t) { return t == 0 ? 1 : 0.001; }
            public double alphaPrime(double t) { return 0; }
            public String name() { return "flat"; }
        };
        var model = risingConfidence();
        var o = SamplerOptions.of(4, 0).withPolicy(new AncestralPolicy(flat));
        GenerationResult cached = new DiffusionSampler(model, SPECIAL).generate(Canvas.completion(new int[][] {{0}}, 4, MASK), o, StepListener.NONE);
        GenerationResult uncached = new DiffusionSampler(model, SPECIAL).generate(Canvas.completion(new int[][] {{0}}, 4, MASK), o.withCache(false), StepListener.NONE);
        assertEquals(4, cached.steps()[0]);
        assertEquals(1, cached.forwardPasses());
        assertEquals(4, uncached.forwardPasses());
        assertArrayEquals(uncached.canvases()[0], cached.canvases()[0]);
    }

    @Test
    void lengthBeyondTheContextIsRejectedNamingTheOption() {
        var model = new ScriptedModel(VOCAB, 8, (row, p, out) -> out[1] = 1);
        var e = assertThrows(IllegalArgumentException.class, () -> new DiffusionSampler(model, SPECIAL)
                .generate(Canvas.completion(new int[][] {{0, 1, 2}}, 8, MASK), SamplerOptions.of(8, 0), StepListener.NONE));
        assertEquals("sequence 0 needs 11 positions (3 given + 8 to generate, --length) but the model's context length is 8", e.getMessage());
    }

    @Test
    void stepsNotDivisibleByBlocksIsRejectedBeforeAnyForwardPass() {
        var model = risingConfidence();
        var e = assertThrows(IllegalArgumentException.class, () -> new DiffusionSampler(model, SPECIAL)
                .generate(Canvas.completion(new int[][] {{0}}, 12, MASK), SamplerOptions.of(4, 4), StepListener.NONE));
        assertEquals("--steps 4 is not divisible by the 3 blocks (--length 12 / --block 4)", e.getMessage());
        assertEquals(0, model.calls);
    }

    @Test
    void remaskingReturnsTheLeastLikelyCommittedTokenAndStillFinishes() {
        // position p predicts token 1 with a logit growing in p; once committed, position 0's token
        // is the least likely, so it is remasked in every step but the last of the block
        var model = risingConfidence();
        GenerationResult[] r = new GenerationResult[1];
        var events = run(model, Canvas.infill(new int[][] {{0, MASK, MASK, MASK, MASK}}, MASK), SamplerOptions.of(3, 0).withRemask(1), r);
        assertArrayEquals(new int[0], events.get(0).remasked());       // nothing committed yet
        assertEquals(1, events.get(1).remasked().length);
        assertArrayEquals(new int[0], events.get(events.size() - 1).remasked());
        assertEquals(0, r[0].canvases()[0][0]);                          // given never remasked
        assertFalse(Arrays.stream(r[0].canvases()[0]).anyMatch(t -> t == MASK));
        assertTrue(events.size() >= 3);
    }
}
