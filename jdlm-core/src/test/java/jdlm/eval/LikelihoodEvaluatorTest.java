package jdlm.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import jdlm.model.ModelConfig;
import jdlm.model.ModelConfig.AttentionMode;
import jdlm.model.Transformer;
import jdlm.noise.LinearSchedule;
import jdlm.noise.NoiseSchedule;
import org.junit.jupiter.api.Test;

/**
 * With sequences of 4 tokens every mask pattern (2⁴ of them) can be enumerated, and because the
 * model has no time input, each bound is an exact finite sum over patterns times an integral
 * (or sum) over t. That gives exact values to hold the Monte-Carlo estimators against.
 */
class LikelihoodEvaluatorTest {
    private static final int MASK = 7, L = 4, COUNT = 3;
    private static final ModelConfig C = ModelConfig.of(1, 8, 2, 12, 8, 8, AttentionMode.BIDIRECTIONAL);
    private static final NoiseSchedule SCHEDULE = new LinearSchedule(1e-3);

    private static Transformer model() {
        Transformer m = Transformer.initialized(C, 1);
        SplittableRandom r = new SplittableRandom(2);
        float[] p = m.parameters();
        for (int i = 0; i < p.length; i++) p[i] = (float) (r.nextGaussian() * 0.7);
        return m;
    }

    private static int[] sequences() {
        SplittableRandom r = new SplittableRandom(3);
        int[] s = new int[COUNT * L];
        for (int i = 0; i < s.length; i++) s[i] = r.nextInt(MASK);
        return s;
    }

    /** A masked position's score from its logits (at {@code off}) and its clean token. */
    private interface PositionScore {
        double of(float[] logits, int off, int target);
    }

    /** sum[seq][pattern]: Σ over the pattern's masked positions of their score, the model run on each x_t. */
    private static double[][] maskedSums(Transformer m, int[] seqs, PositionScore score) {
        double[][] sum = new double[COUNT][1 << L];
        for (int s = 0; s < COUNT; s++) {
            for (int pattern = 0; pattern < (1 << L); pattern++) {
                int[] xt = new int[L];
                for (int i = 0; i < L; i++) xt[i] = ((pattern >> i) & 1) != 0 ? MASK : seqs[s * L + i];
                float[] logits = m.logits(xt, 1, L);
                for (int i = 0; i < L; i++) {
                    if (((pattern >> i) & 1) != 0) sum[s][pattern] += score.of(logits, i * C.vocabSize(), seqs[s * L + i]);
                }
            }
        }
        return sum;
    }

    /** ce[seq][pattern]: Σ over masked positions of −log p(x₀ | x_t), MASK excluded, computed in double. */
    private static double[][] maskedCrossEntropies(Transformer m, int[] seqs) {
        return maskedSums(m, seqs, (logits, off, target) -> {
            double z = 0;
            for (int v = 0; v < C.vocabSize(); v++) if (v != MASK) z += Math.exp(logits[off + v]);
            return Math.log(z) - logits[off + target];
        });
    }

    /** The mean of ce over the patterns that mask exactly l positions. */
    private static double subsetMean(double[] ce, int l) {
        double sum = 0;
        int subsets = 0;
        for (int pattern = 0; pattern < ce.length; pattern++) {
            if (Integer.bitCount(pattern) == l) {
                sum += ce[pattern];
                subsets++;
            }
        }
        return sum / subsets;
    }

    /** E over patterns given the mask probability q: Σ_pattern q^k (1−q)^(L−k) · ce. */
    private static double expectedCe(double[] ce, double q) {
        double sum = 0;
        for (int pattern = 0; pattern < ce.length; pattern++) {
            int k = Integer.bitCount(pattern);
            sum += Math.pow(q, k) * Math.pow(1 - q, L - k) * ce[pattern];
        }
        return sum;
    }

    private static double exactContinuous(double[][] ce) {
        // ∫_ε^1 w(t) E[ce | q = 1 − α(t)] dt / L, midpoint rule on a fine grid (the integrand is smooth).
        int n = 200_000;
        double eps = 1e-3, h = (1 - eps) / n, total = 0;
        for (double[] row : ce) {
            double integral = 0;
            for (int j = 0; j < n; j++) {
                double t = eps + (j + 0.5) * h;
                integral += SCHEDULE.weight(t) * expectedCe(row, SCHEDULE.maskProbability(t)) * h;
            }
            total += integral / L;
        }
        return total / ce.length / (1 - eps); // the estimator draws t uniformly on [ε, 1]
    }

    private static double exactDiscrete(double[][] ce, int steps) {
        double total = 0;
        for (double[] row : ce) {
            for (int i = 1; i <= steps; i++) {
                double as = SCHEDULE.alpha((i - 1.0) / steps), at = SCHEDULE.alpha((double) i / steps);
                total += (as - at) / (1 - at) * expectedCe(row, 1 - at) / L; // (1/T) · T(α_s − α_t)/(1 − α_t)
            }
        }
        return total / ce.length;
    }

    @Test
    void discreteBoundApproachesTheContinuousOneAsStepsGrow() {
        double[][] ce = maskedCrossEntropies(model(), sequences());
        double continuous = exactContinuous(ce);
        double previousGap = Double.POSITIVE_INFINITY;
        for (int steps : new int[] {1, 2, 4, 16, 64, 256, 1024}) {
            double gap = Math.abs(exactDiscrete(ce, steps) - continuous);
            assertTrue(gap < previousGap, "gap to the continuous bound must shrink: T=" + steps + " gap " + gap);
            previousGap = gap;
        }
        assertTrue(previousGap < 2e-3 * continuous, "T=1024 within 0.2% of the continuous bound, gap " + previousGap);
    }

    @Test
    void monteCarloEstimatorsAgreeWithExactValues() {
        Transformer m = model();
        int[] seqs = sequences();
        double[][] ce = maskedCrossEntropies(m, seqs);
        LikelihoodEvaluator eval = new LikelihoodEvaluator(m, MASK, 64);

        Estimate disc = eval.discreteNelbo(seqs, COUNT, L, SCHEDULE, 4, 3000, 11);
        assertEquals(exactDiscrete(ce, 4), disc.natsPerToken(), 4 * disc.standardError(), "discrete T=4");

        // LLaDA form: l ~ U{1..L}, uniform subset of size l, weight L/l ⇒ exact Σ_l (1/L)(L/l) mean_{|S|=l} ce / L.
        double lladaExact = 0;
        for (double[] row : ce) {
            for (int l = 1; l <= L; l++) lladaExact += (1.0 / L) * ((double) L / l) * subsetMean(row, l) / L;
        }
        lladaExact /= ce.length;
        Estimate llada = eval.lladaBound(seqs, COUNT, L, 3000, 12);
        assertEquals(lladaExact, llada.natsPerToken(), 4 * llada.standardError(), "LLaDA bound");

        Estimate cont = eval.continuousNelbo(seqs, COUNT, L, SCHEDULE, 3000, 13);
        assertEquals(exactContinuous(ce), cont.natsPerToken(), 4 * cont.standardError(), "continuous NELBO");
        assertTrue(cont.standardError() > 0 && cont.standardError() < 0.1 * cont.natsPerToken());
    }

    /**
     * se[seq][pattern]: Σ over masked positions of SEDD's score entropy with jdlm's scaling, written out
     * here in double: Σ_{y≠MASK} e^{o_y}/N − o_{x₀} + log N − 1, N = V − 1.
     */
    private static double[][] maskedScoreEntropies(Transformer m, int[] seqs) {
        double n = C.vocabSize() - 1;
        return maskedSums(m, seqs, (logits, off, target) -> {
            double sum = 0;
            for (int v = 0; v < C.vocabSize(); v++) if (v != MASK) sum += Math.exp(logits[off + v]) / n;
            return sum - logits[off + target] + Math.log(n) - 1;
        });
    }

    /**
     * SEDD's bound: the Monte Carlo estimate against the exact integral over t of the enumerated score
     * entropies; with the same seed it lies above the continuous NELBO (the penalty u − 1 − log u ≥ 0),
     * and a model whose logits are all zero (scores summing to N) gives the NELBO itself.
     */
    @Test
    void scoreEntropyBoundAgreesWithExactValuesAndBoundsTheNelboFromAbove() {
        Transformer m = model();
        int[] seqs = sequences();
        LikelihoodEvaluator eval = new LikelihoodEvaluator(m, MASK, 64);
        Estimate sedd = eval.scoreEntropyBound(seqs, COUNT, L, SCHEDULE, 3000, 13);
        assertEquals(exactContinuous(maskedScoreEntropies(m, seqs)), sedd.natsPerToken(), 4 * sedd.standardError(), "SEDD bound");
        Estimate nelbo = eval.continuousNelbo(seqs, COUNT, L, SCHEDULE, 3000, 13);
        assertTrue(sedd.natsPerToken() > nelbo.natsPerToken() + 0.01, sedd.natsPerToken() + " vs NELBO " + nelbo.natsPerToken());

        float[] p = m.parameters().clone();
        jdlm.model.ParameterLayout.View norm = new jdlm.model.ParameterLayout(C).outputNorm();
        java.util.Arrays.fill(p, norm.offset(), norm.offset() + norm.size(), 0f); // every logit 0
        LikelihoodEvaluator flat = new LikelihoodEvaluator(new Transformer(C, p), MASK, 64);
        double a = flat.scoreEntropyBound(seqs, COUNT, L, SCHEDULE, 50, 14).natsPerToken();
        double b = flat.continuousNelbo(seqs, COUNT, L, SCHEDULE, 50, 14).natsPerToken();
        assertEquals(b, a, 1e-6 * b, "scores that sum to N: no penalty");
    }

    /** Exactly l of L masked: the mean over the C(L, l) subsets of their CE per masked token. */
    @Test
    void maskedCrossEntropyAtARateAgreesWithTheExactSubsetMean() {
        Transformer m = model();
        int[] seqs = sequences();
        double[][] ce = maskedCrossEntropies(m, seqs);
        LikelihoodEvaluator eval = new LikelihoodEvaluator(m, MASK, 64);
        for (int l = 1; l <= L; l++) {
            double exact = 0;
            for (double[] row : ce) exact += subsetMean(row, l) / l / ce.length;
            Estimate e = eval.maskedCrossEntropyAt(seqs, COUNT, L, (l - 0.2) / L, 2000, 20 + l);
            assertTrue(e.method().contains(l + " of " + L), e.method());
            assertEquals(exact, e.natsPerToken(), 4 * e.standardError() + 1e-5, "l = " + l);
        }
    }

    @Test
    void autoregressiveNllEqualsMeanNextTokenCrossEntropy() {
        ModelConfig causal = C.withAttention(AttentionMode.CAUSAL);
        Transformer m = new Transformer(causal, model().parameters());
        int[] seqs = sequences();
        double want = 0;
        for (int s = 0; s < COUNT; s++) {
            int[] x = java.util.Arrays.copyOfRange(seqs, s * L, (s + 1) * L);
            float[] logits = m.logits(x, 1, L);
            for (int i = 0; i < L - 1; i++) {
                double z = 0;
                for (int v = 0; v < C.vocabSize(); v++) z += Math.exp(logits[i * C.vocabSize() + v]);
                want += Math.log(z) - logits[i * C.vocabSize() + x[i + 1]];
            }
        }
        want /= COUNT * (L - 1);
        Estimate got = new LikelihoodEvaluator(m, MASK, 2).autoregressiveNll(seqs, COUNT, L);
        assertEquals(want, got.natsPerToken(), 1e-5 * want);
    }

    /** −log p(x_i | x_<i, the rest masked), MASK excluded, in double from the model's logits. */
    private static double leftToRightNats(Transformer m, int[] x) {
        double nats = 0;
        for (int i = 0; i < x.length; i++) {
            int[] xt = new int[x.length];
            for (int p = 0; p < x.length; p++) xt[p] = p < i ? x[p] : MASK;
            float[] logits = m.logits(xt, 1, x.length);
            double z = 0;
            for (int v = 0; v < C.vocabSize(); v++) if (v != MASK) z += Math.exp(logits[i * C.vocabSize() + v]);
            nats += Math.log(z) - logits[i * C.vocabSize() + x[i]];
        }
        return nats;
    }

    @Test
    void leftToRightNllIsTheMeanOfEachTokensConditional() {
        Transformer m = model();
        int[] seqs = sequences();
        double want = 0;
        for (int s = 0; s < COUNT; s++) want += leftToRightNats(m, java.util.Arrays.copyOfRange(seqs, s * L, (s + 1) * L));
        want /= COUNT * L;
        for (int batch : new int[] {1, 3, 8}) { // rows of one window split across passes in different ways
            Estimate got = new LikelihoodEvaluator(m, MASK, batch).leftToRightNll(seqs, COUNT, L);
            assertEquals(want, got.natsPerToken(), 1e-5 * want, "batch " + batch);
        }
    }

    @Test
    void leftToRightProbabilitiesOfEverySequenceSumToOne() {
        // 7 tokens (MASK excluded) at 3 positions: all 343 sequences, each scored by the evaluator.
        Transformer m = model();
        LikelihoodEvaluator eval = new LikelihoodEvaluator(m, MASK, 2);
        int len = 3;
        double total = 0;
        int[] x = new int[len];
        for (int code = 0; code < 7 * 7 * 7; code++) {
            for (int i = 0, c = code; i < len; i++, c /= 7) x[i] = c % 7;
            total += Math.exp(-len * eval.leftToRightNll(x, 1, len).natsPerToken());
        }
        assertEquals(1.0, total, 1e-4);
    }

    /**
     * Block diffusion's bounds at the two ends of the block size, each against another code path:
     * with blocks of 1 token the LLaDA bound masks exactly that token with weight 1, so it is the
     * left-to-right NLL of the same model (a plain block-causal pass with the rest masked); with one
     * block over the whole window the block model is the bidirectional one, so every bound equals
     * the masked model's with the same weights and seed.
     */
    @Test
    void blockDiffusionBoundsMatchTheirLimitingCases() {
        Transformer plain = model();
        int[] seqs = sequences();
        Transformer ones = new Transformer(C.withBlocks(1), plain.parameters());
        LikelihoodEvaluator e1 = new LikelihoodEvaluator(ones, MASK, 2);
        Estimate llada = e1.lladaBound(seqs, COUNT, L, 3, 5), ltr = e1.leftToRightNll(seqs, COUNT, L);
        assertEquals(ltr.natsPerToken(), llada.natsPerToken(), 1e-5, "blocks of 1: LLaDA bound = left-to-right NLL");

        Transformer whole = new Transformer(C.withBlocks(L), plain.parameters());
        LikelihoodEvaluator eb = new LikelihoodEvaluator(whole, MASK, 2), ep = new LikelihoodEvaluator(plain, MASK, 2);
        assertEquals(ep.continuousNelbo(seqs, COUNT, L, SCHEDULE, 4, 9).natsPerToken(),
                eb.continuousNelbo(seqs, COUNT, L, SCHEDULE, 4, 9).natsPerToken(), 1e-5, "one block: the masked model's NELBO");
        assertEquals(ep.discreteNelbo(seqs, COUNT, L, SCHEDULE, 8, 4, 9).natsPerToken(),
                eb.discreteNelbo(seqs, COUNT, L, SCHEDULE, 8, 4, 9).natsPerToken(), 1e-5, "one block: the discrete NELBO");
    }

    /**
     * The uniform-diffusion bound on windows of 2 tokens with T = 2 steps, where everything can be
     * enumerated over the K = 7 states: the Monte-Carlo estimate must agree with the exact bound
     * (Σ over steps and over every x_t, weighted by q(x_t | x₀)), and that must lie above the exact
     * NLL of the model's own generative process (x_1 uniform, then p(x_½ | x_1), then p(x₀ | x_½)).
     */
    @Test
    void uniformBoundIsItsEnumeratedValueAndLiesAboveTheExactNll() {
        Transformer m = model();
        int len = 2, T = 2, V = C.vocabSize(), K = V - 1;
        int[] seqs = {1, 4, 6, 2, 3, 3};
        int count = seqs.length / len;
        jdlm.noise.UniformProcess process = new jdlm.noise.UniformProcess(V, MASK);
        double[] probs = new double[V], q = new double[V], u = new double[V];
        int[] states = new int[K];
        for (int k = 0; k < K; k++) states[k] = k < MASK ? k : k + 1;
        Estimate mc = new LikelihoodEvaluator(m, MASK, 3).uniformNelbo(seqs, count, len, SCHEDULE, T, 3000, 11);
        double exactBound = 0, exactNll = 0;
        for (int w = 0; w < count; w++) {
            int[] x0 = {seqs[w * len], seqs[w * len + 1]};
            double bound = len * process.priorKl(SCHEDULE.alpha(1));
            for (int step = 1; step <= T; step++) {
                double as = SCHEDULE.alpha((step - 1.0) / T), at = SCHEDULE.alpha((double) step / T);
                for (int a = 0; a < K; a++) {
                    for (int b = 0; b < K; b++) {
                        int[] xt = {states[a], states[b]};
                        double weight = 1;
                        for (int i = 0; i < len; i++) weight *= (xt[i] == x0[i] ? at : 0) + (1 - at) / K;
                        float[] logits = m.logits(xt, 1, len);
                        for (int i = 0; i < len; i++) {
                            process.predicted(logits, i * V, probs);
                            bound += weight * process.kl(x0[i], probs, xt[i], as, at, q, u, null); // T · (1/T) per step
                        }
                    }
                }
            }
            exactBound += bound / len;
            // p(x₀) = Σ_{x_1, x_½} (1/K)² · p(x_½ | x_1) · p(x₀ | x_½), each step factorised over positions
            double px = 0;
            double aHalf = SCHEDULE.alpha(0.5), aOne = SCHEDULE.alpha(1), aZero = SCHEDULE.alpha(0);
            double[][] toHalf = new double[len][V], toZero = new double[len][V];
            for (int a = 0; a < K; a++) {
                for (int b = 0; b < K; b++) {
                    int[] x1 = {states[a], states[b]};
                    float[] l1 = m.logits(x1, 1, len);
                    for (int i = 0; i < len; i++) {
                        process.predicted(l1, i * V, probs);
                        double z = process.reverse(probs, x1[i], aHalf, aOne, toHalf[i]);
                        for (int y = 0; y < V; y++) toHalf[i][y] /= z;
                    }
                    for (int c = 0; c < K; c++) {
                        for (int d = 0; d < K; d++) {
                            int[] xh = {states[c], states[d]};
                            float[] lh = m.logits(xh, 1, len);
                            double path = toHalf[0][xh[0]] * toHalf[1][xh[1]] / (K * K);
                            for (int i = 0; i < len; i++) {
                                process.predicted(lh, i * V, probs);
                                double z = process.reverse(probs, xh[i], aZero, aHalf, toZero[i]);
                                path *= toZero[i][x0[i]] / z;
                            }
                            px += path;
                        }
                    }
                }
            }
            exactNll += -Math.log(px) / len;
        }
        exactBound /= count;
        exactNll /= count;
        String report = String.format("MC %.5f ± %.5f, exact bound %.5f, exact NLL %.5f", mc.natsPerToken(), mc.standardError(), exactBound, exactNll);
        assertEquals(exactBound, mc.natsPerToken(), 4 * mc.standardError(), report);
        assertTrue(exactBound >= exactNll - 1e-9, report);
        System.out.println("uniform bound: " + report);
    }
}
