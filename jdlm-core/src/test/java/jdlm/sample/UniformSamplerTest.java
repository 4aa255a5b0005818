package jdlm.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import jdlm.noise.LinearSchedule;
import org.junit.jupiter.api.Test;

/** Ancestral sampling of uniform diffusion on hand-written models. */
class UniformSamplerTest {
    static final int VOCAB = 6, MASK = 5, K = VOCAB - 1;

    /** x̂₀ = softmax of fixed logits, whatever the input: {0.1, 0.2, 0.3, 0.15, 0.25} over the states. */
    static final double[] XHAT = {0.1, 0.2, 0.3, 0.15, 0.25};
    static final ScriptedModel FIXED = new ScriptedModel(VOCAB, 64, (row, pos, out) -> {
        for (int y = 0; y < K; y++) out[y] = (float) Math.log(XHAT[y]);
        out[MASK] = 50f; // never chosen: uniform diffusion excludes MASK
    });

    @Test
    void oneStepDrawsFromTheReverseOfAUniformStart() {
        // K = 1: x_1 is uniform, then x₀ ~ p(x₀ | x_1) ∝ c_y·x̂₀(y), c_y = r·[y = x_1] + (1 − r)/K, r = α_1/α_0.
        // Averaged over the uniform x_1 that is the expected frequency of each token, computed here by hand.
        LinearSchedule schedule = new LinearSchedule(1e-3);
        double r = schedule.alpha(1) / schedule.alpha(0);
        double[] want = new double[K];
        for (int z = 0; z < K; z++) {
            double norm = 0;
            for (int y = 0; y < K; y++) norm += ((y == z ? r : 0) + (1 - r) / K) * XHAT[y];
            for (int y = 0; y < K; y++) want[y] += ((y == z ? r : 0) + (1 - r) / K) * XHAT[y] / norm / K;
        }
        int rows = 400, len = 10;
        int[][] prompts = new int[rows][0];
        GenerationResult g = new UniformSampler(FIXED, MASK, schedule).generate(Canvas.completion(prompts, len, MASK), 1, 1.0, 3, StepListener.NONE);
        int[] counts = new int[VOCAB];
        for (int[] a : g.answers()) for (int t : a) counts[t]++;
        assertEquals(0, counts[MASK]);
        int n = rows * len;
        for (int y = 0; y < K; y++) {
            double se = Math.sqrt(want[y] * (1 - want[y]) / n);
            assertEquals(want[y], (double) counts[y] / n, 4 * se, "token " + y);
        }
    }

    @Test
    void givenTokensStayAndGreedyEndsOnTheArgmax() {
        // x̂₀ certain of token 2 ⇒ at the last step p(x₀ = y) ∝ c_y·[y = 2]: every generated token is 2.
        ScriptedModel sure = new ScriptedModel(VOCAB, 64, (row, pos, out) -> out[2] = 30f);
        List<StepEvent> events = new ArrayList<>();
        Canvas c = Canvas.completion(new int[][] {{4, 1}, {3}}, 6, MASK);
        GenerationResult g = new UniformSampler(sure, MASK, new LinearSchedule(1e-3)).generate(c, 5, 0, 9, events::add);
        assertArrayEquals(new int[] {2, 2, 2, 2, 2, 2}, g.answers()[0]);
        assertArrayEquals(new int[] {4, 1}, java.util.Arrays.copyOf(g.canvases()[0], 2));
        assertEquals(3, g.canvases()[1][0]);
        assertEquals(10, events.size(), "5 steps per sequence");
        assertEquals(10, g.forwardPasses());
        for (StepEvent e : events) for (int p : e.positions()) assertTrue(p >= (e.sequence() == 0 ? 2 : 1), "a given token moved: " + p);
    }
}
