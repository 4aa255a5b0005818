package jdlm.sample;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import jdlm.model.ModelConfig;
import jdlm.model.ModelConfig.AttentionMode;
import jdlm.model.Transformer;
import jdlm.noise.LinearSchedule;
import jdlm.train.BatchSource;
import jdlm.train.LearningRateSchedule;
import jdlm.train.MaskedDiffusionObjective;
import jdlm.train.Trainer;
import jdlm.train.TrainingOptions;
import org.junit.jupiter.api.Test;

/**
 * A tiny masked model learns a synthetic language — a Markov chain in which every symbol has only
 * two allowed successors — and then writes strings of it. With the random policy, one position
 * per step and temperature 1, each step draws a token from the model's own conditional q(x_i | canvas),
 * so the number of placements that break no rule must match the sum, over steps, of the mass q puts
 * on rule-abiding tokens (a martingale: any bias in position choice, temperature or token choice
 * breaks it). And since training drove the likelihood close to the language's entropy, that mass is
 * high: nearly all placements are valid.
 */
class SyntheticLanguageSamplingTest {
    private static final int SYMBOLS = 6, MASK = 6, VOCAB = 7, L = 16;

    private static boolean allowed(int from, int to) {
        return to == (from + 1) % SYMBOLS || to == (from + 3) % SYMBOLS;
    }

    private static int[] language(int sequences, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] out = new int[sequences * L];
        for (int q = 0; q < sequences; q++) {
            int s = r.nextInt(SYMBOLS);
            for (int i = 0; i < L; i++) {
                out[q * L + i] = s;
                s = r.nextDouble() < 0.75 ? (s + 1) % SYMBOLS : (s + 3) % SYMBOLS;
            }
        }
        return out;
    }

    /** Whether token v at position i breaks no rule with its already-decided neighbours. */
    private static boolean validPlacement(int[] canvas, int i, int v) {
        boolean ok = true;
        if (i > 0 && canvas[i - 1] != MASK) ok &= allowed(canvas[i - 1], v);
        if (i + 1 < L && canvas[i + 1] != MASK) ok &= allowed(v, canvas[i + 1]);
        return ok;
    }

    @Test
    void samplesFollowTheLanguageAtTheRateTheModelsProbabilitiesPredict() {
        int[] data = language(3000, 1);
        BatchSource source = (index, out, batch, len) -> {
            for (int b = 0; b < batch; b++) System.arraycopy(data, (int) ((index * batch + b) % 3000) * L, out, b * len, len);
        };
        ModelConfig c = ModelConfig.of(2, 48, 4, 96, VOCAB, L, AttentionMode.BIDIRECTIONAL);
        int steps = 500;
        Trainer trainer = new Trainer(Transformer.initialized(c, 3), new MaskedDiffusionObjective(new LinearSchedule(1e-3), MASK, 1e-3),
                new TrainingOptions(steps, 16, L, 1, new LearningRateSchedule(LearningRateSchedule.Kind.COSINE, 3e-3, 3e-4, 50, steps, 0),
                        1.0, 0.0, 0.9, 0.95, 0, 0, 0, 0, 5));
        for (int i = 0; i < steps; i++) trainer.step(source);
        Transformer model = trainer.model();

        int samples = 48;
        List<StepEvent> events = new ArrayList<>();
        SamplerOptions options = SamplerOptions.of(L, L).withTokens(new TokenChooser(1.0, 0, 1.0))
                .withPolicy(new RandomPolicy()).withSeed(11);
        new DiffusionSampler(new TransformerDenoiser(model), SpecialTokens.maskOnly(MASK))
                .generate(Canvas.completion(new int[samples][0], L, MASK), options, events::add);

        double predicted = 0, variance = 0;
        int valid = 0, placements = 0;
        for (StepEvent e : events) {
            if (e.positions().length == 0) continue;
            assertTrue(e.positions().length == 1, "one position per step");
            int i = e.positions()[0], v = e.tokens()[0];
            int[] before = e.canvas().clone();
            before[i] = MASK;
            float[] logits = model.logits(before, 1, L);
            double z = 0, ok = 0;
            for (int t = 0; t < SYMBOLS; t++) { // MASK is never a choice
                double p = Math.exp(logits[i * VOCAB + t]);
                z += p;
                if (validPlacement(before, i, t)) ok += p;
            }
            double pValid = ok / z;
            predicted += pValid;
            variance += pValid * (1 - pValid);
            if (validPlacement(before, i, v)) valid++;
            placements++;
        }
        String report = String.format("%d placements: %d valid, model predicts %.1f ± %.1f", placements, valid, predicted, Math.sqrt(variance));
        assertTrue(placements == samples * L, report);
        assertTrue(Math.abs(valid - predicted) < 4 * Math.sqrt(variance) + 1, report);
        assertTrue(valid > 0.9 * placements, "a trained model writes the language: " + report);
        System.out.println("synthetic language: " + report);
    }
}
