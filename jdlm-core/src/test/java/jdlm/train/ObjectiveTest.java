package jdlm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import jdlm.model.Activations;
import jdlm.model.ModelConfig;
import jdlm.model.ModelConfig.AttentionMode;
import jdlm.model.ReferenceTransformer64;
import jdlm.model.TestModels;
import jdlm.model.Transformer;
import jdlm.noise.LinearSchedule;
import jdlm.noise.TimeSampler;
import org.junit.jupiter.api.Test;

class ObjectiveTest {
    private static final int MASK = 10;
    private static final ModelConfig CONFIG = ModelConfig.of(2, 12, 3, 20, 11, 16, AttentionMode.BIDIRECTIONAL);

    private static final int BLOCK = 3;
    private static final ModelConfig BLOCKS = CONFIG.withBlocks(BLOCK);

    private static Transformer model() {
        return model(CONFIG);
    }

    private static Transformer model(ModelConfig config) {
        Transformer m = Transformer.initialized(config, 3);
        SplittableRandom r = new SplittableRandom(4);
        float[] p = m.parameters();
        for (int i = 0; i < p.length; i++) p[i] = (float) (r.nextGaussian() * 0.4);
        return m;
    }

    private static int[] cleanBatch(int n) {
        SplittableRandom r = new SplittableRandom(5);
        int[] x = new int[n];
        for (int i = 0; i < n; i++) x[i] = r.nextInt(MASK); // data never contains MASK
        return x;
    }

    private static double engineLoss(Transformer m, Objective objective, TrainingBatch b, float[] grads) {
        Activations a = new Activations(m.config(), b.batch(), b.seqLen(), grads != null, b.cleanNoisyPairs());
        m.forward(a, b.inputs());
        float[] dLogits = grads == null ? null : new float[a.logits().length];
        double loss = objective.lossAndGradient(a.logits(), m.config().vocabSize(), b, dLogits);
        if (grads != null) m.backward(a, dLogits, grads);
        return loss;
    }

    /** The MDLM formula written out in float64: Σ_b (1/t_b) Σ_{x_t = MASK} −log p(x₀ | x_t), MASK excluded, / (B·L). */
    private static double referenceLoss(double[] p, int[] x0, int[] xt, double[] t, int B, int L) {
        ReferenceTransformer64 ref = new ReferenceTransformer64(CONFIG);
        double total = 0;
        for (int b = 0; b < B; b++) {
            double[][] logits = ref.logits(p, Arrays.copyOfRange(xt, b * L, (b + 1) * L));
            for (int i = 0; i < L; i++) {
                if (xt[b * L + i] != MASK) continue;
                double max = Double.NEGATIVE_INFINITY;
                for (int v = 0; v < CONFIG.vocabSize(); v++) if (v != MASK) max = Math.max(max, logits[i][v]);
                double z = 0;
                for (int v = 0; v < CONFIG.vocabSize(); v++) if (v != MASK) z += Math.exp(logits[i][v] - max);
                total += (1 / t[b]) * (max + Math.log(z) - logits[i][x0[b * L + i]]);
            }
        }
        return total / (B * L);
    }

    /**
     * SEDD's absorbing score entropy as the paper writes it, in float64: the scores are
     * s_y = e^{o_y}·r/N (its scaling by the true ratio r = α/(1 − α), N = vocab − 1), and each masked
     * position costs σ·(Σ_{y≠MASK} s_y − r·log s_{x₀} + r·(log r − 1)) with σ = −α′/α.
     */
    private static double referenceScoreEntropy(double[] p, int[] x0, int[] xt, double[] t, int B, int L) {
        ReferenceTransformer64 ref = new ReferenceTransformer64(CONFIG);
        LinearSchedule schedule = new LinearSchedule(1e-3);
        double n = CONFIG.vocabSize() - 1, total = 0;
        for (int b = 0; b < B; b++) {
            double alpha = schedule.alpha(t[b]), r = alpha / (1 - alpha), sigma = -schedule.alphaPrime(t[b]) / alpha;
            double[][] logits = ref.logits(p, Arrays.copyOfRange(xt, b * L, (b + 1) * L));
            for (int i = 0; i < L; i++) {
                if (xt[b * L + i] != MASK) continue;
                double sum = 0;
                for (int v = 0; v < CONFIG.vocabSize(); v++) if (v != MASK) sum += Math.exp(logits[i][v]) * r / n;
                double logScore = logits[i][x0[b * L + i]] + Math.log(r / n);
                total += sigma * (sum - r * logScore + r * (Math.log(r) - 1));
            }
        }
        return total / (B * L);
    }

    /**
     * BD3-LM's loss in float64, block by block: block k of sequence b (time t[b·blocks + k]) is read
     * by a block-causal reference pass over x₀'s blocks before k followed by x_t's block k; each
     * masked position costs (1/t)·(−log p(x₀)), MASK excluded; the sum is divided by B·L.
     */
    private static double referenceBlockLoss(double[] p, int[] x0, int[] xt, double[] t, int B, int L) {
        ReferenceTransformer64 ref = new ReferenceTransformer64(BLOCKS);
        int blocks = (L + BLOCK - 1) / BLOCK;
        double total = 0;
        for (int b = 0; b < B; b++) {
            for (int k = 0; k < blocks; k++) {
                int from = k * BLOCK, to = Math.min(L, from + BLOCK);
                int[] seq = new int[to];
                System.arraycopy(x0, b * L, seq, 0, from);
                System.arraycopy(xt, b * L + from, seq, from, to - from);
                double[][] logits = ref.logits(p, seq);
                for (int i = from; i < to; i++) {
                    if (xt[b * L + i] != MASK) continue;
                    double max = Double.NEGATIVE_INFINITY, z = 0;
                    for (int v = 0; v < BLOCKS.vocabSize(); v++) if (v != MASK) max = Math.max(max, logits[i][v]);
                    for (int v = 0; v < BLOCKS.vocabSize(); v++) if (v != MASK) z += Math.exp(logits[i][v] - max);
                    total += (1 / t[b * blocks + k]) * (max + Math.log(z) - logits[i][x0[b * L + i]]);
                }
            }
        }
        return total / (B * L);
    }

    /**
     * D3PM's uniform bound as its paper writes it, with explicit K×K matrices over the states (every
     * id but MASK) in float64: Q_{t|s} = r·I + (1 − r)/K·11ᵀ (r = α_t/α_s), Q̄_s = α_s·I + (1 − α_s)/K·11ᵀ,
     * q(x_s = y | x_t = z, x₀) ∝ Q_{t|s}[y, z]·Q̄_s[x₀, y], p_θ(x_s = y | x_t = z) ∝ Σ_x x̂₀(x)·Q̄_s[x, y]·Q_{t|s}[y, z];
     * each position costs T·KL(q ‖ p), the sum divided by B·L.
     */
    private static double referenceUniformLoss(double[] p, int[] x0, int[] xt, int[] step, int T, int B, int L) {
        ReferenceTransformer64 ref = new ReferenceTransformer64(CONFIG);
        LinearSchedule schedule = new LinearSchedule(1e-3);
        int V = CONFIG.vocabSize(), K = V - 1;
        double total = 0;
        for (int b = 0; b < B; b++) {
            double as = schedule.alpha((step[b] - 1.0) / T), at = schedule.alpha((double) step[b] / T), r = at / as;
            double[][] qts = new double[K][K], qbar = new double[K][K];
            for (int i = 0; i < K; i++) {
                for (int j = 0; j < K; j++) {
                    qts[i][j] = (i == j ? r : 0) + (1 - r) / K;
                    qbar[i][j] = (i == j ? as : 0) + (1 - as) / K;
                }
            }
            double[][] logits = ref.logits(p, Arrays.copyOfRange(xt, b * L, (b + 1) * L));
            for (int i = 0; i < L; i++) {
                int z = state(xt[b * L + i]), x = state(x0[b * L + i]);
                double[] xhat = new double[K];
                double norm = 0;
                for (int v = 0; v < V; v++) if (v != MASK) norm += xhat[state(v)] = Math.exp(logits[i][v]);
                for (int k = 0; k < K; k++) xhat[k] /= norm;
                double[] q = new double[K], pt = new double[K];
                double zq = 0, zp = 0;
                for (int y = 0; y < K; y++) {
                    q[y] = qts[y][z] * qbar[x][y];
                    double mix = 0;
                    for (int k = 0; k < K; k++) mix += xhat[k] * qbar[k][y];
                    pt[y] = qts[y][z] * mix;
                    zq += q[y];
                    zp += pt[y];
                }
                double kl = 0;
                for (int y = 0; y < K; y++) if (q[y] > 0) kl += q[y] / zq * Math.log((q[y] / zq) / (pt[y] / zp));
                total += T * kl;
            }
        }
        return total / (B * L);
    }

    /** Index of a token among the uniform process's states (every id but MASK). */
    private static int state(int token) {
        return token < MASK ? token : token - 1;
    }

    @Test
    void uniformDiffusionLossEqualsFloat64MatrixFormula() {
        Transformer m = model();
        int B = 3, L = 8, T = 10;
        int[] x0 = cleanBatch(B * L), step = {1, 4, 10}; // step 1 is the reconstruction term (s = 0)
        UniformDiffusionObjective obj = new UniformDiffusionObjective(new LinearSchedule(1e-3), CONFIG.vocabSize(), MASK, T);
        TrainingBatch batch = obj.prepare(x0, null, B, L, step, new SplittableRandom(6));
        for (int i = 0; i < B * L; i++) {
            assertTrue(batch.inputs()[i] != MASK, "uniform noise never uses MASK");
            assertEquals(x0[i], batch.targets()[i], "every position carries loss");
        }
        double want = referenceUniformLoss(toDouble(m.parameters()), x0, batch.inputs(), step, T, B, L);
        assertEquals(want, engineLoss(m, obj, batch, null), 1e-5 * Math.abs(want));
    }

    @Test
    void gradientOfTheUniformLossMatchesFiniteDifferences() {
        int B = 2, L = 6, T = 8;
        int[] x0 = cleanBatch(B * L), step = {1, 5};
        UniformDiffusionObjective obj = new UniformDiffusionObjective(new LinearSchedule(1e-3), CONFIG.vocabSize(), MASK, T);
        TrainingBatch batch = obj.prepare(x0, null, B, L, step, new SplittableRandom(7));
        checkGradient(CONFIG, obj, batch, p -> referenceUniformLoss(p, x0, batch.inputs(), step, T, B, L));
    }

    /** The noisy half (x_t) of a [x₀ | x_t] batch. */
    private static int[] noisyHalves(TrainingBatch b) {
        int L = b.seqLen() / 2;
        int[] xt = new int[b.batch() * L];
        for (int s = 0; s < b.batch(); s++) System.arraycopy(b.inputs(), s * 2 * L + L, xt, s * L, L);
        return xt;
    }

    @Test
    void blockDiffusionLossEqualsFloat64FormulaBlockByBlock() {
        Transformer m = model(BLOCKS);
        int B = 2, L = 8; // blocks [0,3) [3,6) [6,8)
        int[] x0 = cleanBatch(B * L);
        double[] t = {0.2, 0.5, 0.9, 0.35, 0.7, 0.99};
        BlockDiffusionObjective obj = new BlockDiffusionObjective(new LinearSchedule(1e-3), MASK, 1e-3, BLOCK);
        TrainingBatch batch = obj.prepare(x0, null, B, L, t, new SplittableRandom(6));
        assertEquals(2 * L, batch.seqLen());
        int[] xt = noisyHalves(batch);
        for (int s = 0; s < B; s++) {
            for (int i = 0; i < L; i++) {
                assertEquals(x0[s * L + i], batch.inputs()[s * 2 * L + i], "the clean half is x₀");
                assertEquals(-1, batch.targets()[s * 2 * L + i], "the clean half carries no loss");
                assertTrue(xt[s * L + i] == MASK || xt[s * L + i] == x0[s * L + i]);
            }
        }
        double want = referenceBlockLoss(toDouble(m.parameters()), x0, xt, t, B, L);
        assertEquals(want, engineLoss(m, obj, batch, null), 1e-5 * Math.abs(want));
    }

    @Test
    void gradientOfTheBlockDiffusionLossMatchesFiniteDifferences() {
        int B = 2, L = 7;
        int[] x0 = cleanBatch(B * L);
        double[] t = {0.3, 0.6, 0.95, 0.45, 0.8, 0.15};
        BlockDiffusionObjective obj = new BlockDiffusionObjective(new LinearSchedule(1e-3), MASK, 1e-3, BLOCK);
        TrainingBatch batch = obj.prepare(x0, null, B, L, t, new SplittableRandom(7));
        int[] xt = noisyHalves(batch);
        checkGradient(BLOCKS, obj, batch, p -> referenceBlockLoss(p, x0, xt, t, B, L));
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    @Test
    void maskedDiffusionLossEqualsFloat64Formula() {
        Transformer m = model();
        int B = 3, L = 8;
        int[] x0 = cleanBatch(B * L);
        double[] t = {0.2, 0.55, 0.9};
        MaskedDiffusionObjective obj = new MaskedDiffusionObjective(new LinearSchedule(1e-3), MASK, 1e-3);
        TrainingBatch batch = obj.prepare(x0, null, B, L, t, new SplittableRandom(6));
        int masked = 0;
        for (int i = 0; i < B * L; i++) {
            if (batch.inputs()[i] == MASK) masked++;
            else assertEquals(x0[i], batch.inputs()[i], "clean positions carry over");
        }
        assertTrue(masked > 0 && masked < B * L);
        double want = referenceLoss(toDouble(m.parameters()), x0, batch.inputs(), t, B, L);
        double got = engineLoss(m, obj, batch, null);
        assertEquals(want, got, 1e-5 * Math.abs(want));
    }

    @Test
    void scoreEntropyEqualsFloat64FormulaOfSedd() {
        Transformer m = model();
        int B = 3, L = 8;
        int[] x0 = cleanBatch(B * L);
        double[] t = {0.05, 0.5, 0.97};
        ScoreEntropyObjective obj = new ScoreEntropyObjective(new LinearSchedule(1e-3), MASK, 1e-3);
        TrainingBatch batch = obj.prepare(x0, null, B, L, t, new SplittableRandom(6));
        double want = referenceScoreEntropy(toDouble(m.parameters()), x0, batch.inputs(), t, B, L);
        double got = engineLoss(m, obj, batch, null);
        assertEquals(want, got, 1e-5 * Math.abs(want));
        // It bounds MDLM's loss of the same batch from above (a penalty for scores not summing to N).
        double mdlm = referenceLoss(toDouble(m.parameters()), x0, batch.inputs(), t, B, L);
        assertTrue(got > mdlm, "score entropy " + got + " vs MDLM " + mdlm);
    }

    @Test
    void scoreEntropyOfNormalisedScoresIsMdlmLoss() {
        // One masked row, vocab 4 with MASK = 3: scores e^{o} summing to N = 3 leave no penalty, so
        // the loss is w·(−log p(x₀)) with p = softmax(o) over the three tokens.
        double[] p = {0.5, 0.3, 0.2};
        float[] logits = new float[4];
        for (int y = 0; y < 3; y++) logits[y] = (float) Math.log(3 * p[y]);
        TrainingBatch b = new TrainingBatch(1, 1, new int[] {3}, new int[] {1}, new float[] {2f}, 3);
        ScoreEntropyObjective obj = new ScoreEntropyObjective(new LinearSchedule(1e-3), 3, 1e-3);
        float[] d = new float[4];
        assertEquals(2 * -Math.log(0.3), obj.lossAndGradient(logits, 4, b, d), 1e-6);
        // Gradient w·(e^{o_y}/N − [y = x₀]) = 2·(p_y − [y = 1]); MASK gets none.
        assertEquals(2 * 0.5, d[0], 1e-6);
        assertEquals(2 * (0.3 - 1), d[1], 1e-6);
        assertEquals(2 * 0.2, d[2], 1e-6);
        assertEquals(0f, d[3]);
    }

    @Test
    void gradientOfTheWholeLossMatchesFiniteDifferences() {
        int B = 2, L = 6;
        int[] x0 = cleanBatch(B * L);
        double[] t = {0.4, 0.8};
        TrainingBatch batch = new MaskedDiffusionObjective(new LinearSchedule(1e-3), MASK, 1e-3)
                .prepare(x0, null, B, L, t, new SplittableRandom(7));
        checkGradient(CONFIG, new MaskedDiffusionObjective(new LinearSchedule(1e-3), MASK, 1e-3), batch,
                p -> referenceLoss(p, x0, batch.inputs(), t, B, L));
    }

    @Test
    void gradientOfTheScoreEntropyMatchesFiniteDifferences() {
        int B = 2, L = 6;
        int[] x0 = cleanBatch(B * L);
        double[] t = {0.3, 0.9};
        ScoreEntropyObjective obj = new ScoreEntropyObjective(new LinearSchedule(1e-3), MASK, 1e-3);
        TrainingBatch batch = obj.prepare(x0, null, B, L, t, new SplittableRandom(7));
        checkGradient(CONFIG, obj, batch, p -> referenceScoreEntropy(p, x0, batch.inputs(), t, B, L));
    }

    /** The engine's gradient of the objective's loss against float64 central differences of {@code reference}. */
    private static void checkGradient(ModelConfig config, Objective objective, TrainingBatch batch,
                                      java.util.function.ToDoubleFunction<double[]> reference) {
        Transformer m = model(config);
        float[] grads = new float[m.parameters().length];
        engineLoss(m, objective, batch, grads);

        double rel = TestModels.finiteDifferenceError(m, grads, reference, 5, new SplittableRandom(8));
        assertTrue(rel < 1e-4, "gradient vs float64 finite differences: relative error " + rel);
    }

    @Test
    void antitheticTimesAreEvenlySpacedOverTheUnitInterval() {
        int B = 8;
        double eps = 1e-3;
        double[] t = new TimeSampler(eps, true).sample(B, new SplittableRandom(9));
        double[] sorted = t.clone();
        Arrays.sort(sorted);
        for (int i = 1; i < B; i++) assertEquals((1 - eps) / B, sorted[i] - sorted[i - 1], 1e-12);
        for (double v : t) assertTrue(v >= eps && v <= 1);
    }

    @Test
    void lladaWeightsAreOneOverMaskProbabilityPerToken() {
        int B = 4, L = 16;
        int[] x0 = cleanBatch(B * L);
        TrainingBatch b = new LladaObjective(MASK, 1e-3, 0).prepare(x0, B, L, new SplittableRandom(10));
        for (int s = 0; s < B; s++) {
            float w = -1;
            for (int i = s * L; i < (s + 1) * L; i++) {
                if (b.targets()[i] < 0) {
                    assertEquals(0f, b.weights()[i]);
                    continue;
                }
                assertEquals(MASK, b.inputs()[i]);
                if (w < 0) w = b.weights()[i];
                assertEquals(w, b.weights()[i], "one p_mask per sequence");
            }
            // weight = 1/(p_mask·B·L) with p_mask ∈ [ε, 1] ⇒ weight·B·L ≥ 1
            if (w > 0) assertTrue(w * B * L >= 1 - 1e-6);
        }
    }

    @Test
    void lladaCropShortensTheWholeBatchAndKeepsSequenceStarts() {
        int B = 2, L = 16;
        int[] x0 = cleanBatch(B * L);
        TrainingBatch b = new LladaObjective(MASK, 1e-3, 1.0).prepare(x0, B, L, new SplittableRandom(11));
        assertTrue(b.seqLen() >= 1 && b.seqLen() <= L);
        for (int s = 0; s < B; s++) {
            for (int i = 0; i < b.seqLen(); i++) {
                int in = b.inputs()[s * b.seqLen() + i];
                assertTrue(in == MASK || in == x0[s * L + i]);
            }
        }
    }

    @Test
    void nextTokenTargetsAreTheFollowingToken() {
        int[] x0 = {1, 2, 3, 4, 5, 6};
        TrainingBatch b = new NextTokenObjective().prepare(x0, 2, 3, new SplittableRandom(1));
        assertEquals(Arrays.toString(new int[] {2, 3, -1, 5, 6, -1}), Arrays.toString(b.targets()));
        assertEquals(0.25f, b.weights()[0]);
        assertEquals(0f, b.weights()[2]);
    }

    @Test
    void promptsStayCleanAndCarryNoLossInEveryObjective() {
        int B = 2, L = 10;
        int[] x0 = cleanBatch(B * L);
        int[] prompts = {4, 7};
        List<Objective> objectives = List.of(new MaskedDiffusionObjective(new LinearSchedule(1e-3), MASK, 1e-3),
                new ScoreEntropyObjective(new LinearSchedule(1e-3), MASK, 1e-3),
                new BlockDiffusionObjective(new LinearSchedule(1e-3), MASK, 1e-3, BLOCK),
                new UniformDiffusionObjective(new LinearSchedule(1e-3), CONFIG.vocabSize(), MASK, 10), new LladaObjective(MASK, 1e-3, 1.0), new NextTokenObjective());
        for (Objective obj : objectives) {
            for (int trial = 0; trial < 20; trial++) {
                TrainingBatch b = obj.prepare(x0, prompts, B, L, new SplittableRandom(trial));
                int row = b.cleanNoisyPairs() ? 2 * L : L, noisy = row - L; // block diffusion: [x₀ | x_t]
                assertEquals(row, b.seqLen(), obj.name() + ": SFT batches are never cropped");
                for (int s = 0; s < B; s++) {
                    for (int i = 0; i < prompts[s]; i++) {
                        assertEquals(x0[s * L + i], b.inputs()[s * row + noisy + i], obj.name() + ": prompt token changed");
                        if (!(obj instanceof NextTokenObjective)) assertEquals(-1, b.targets()[s * row + noisy + i], obj.name());
                    }
                }
            }
        }
        // AR: sequence 1 predicts only its answer tokens 7, 8, 9 (from positions 6, 7, 8), weight 1/(3·B).
        TrainingBatch ar = new NextTokenObjective().prepare(x0, prompts, B, L, new SplittableRandom(1));
        for (int i = 0; i < L; i++) {
            boolean predicts = i >= 6 && i <= 8;
            assertEquals(predicts ? x0[L + i + 1] : -1, ar.targets()[L + i]);
            assertEquals(predicts ? 1f / 6 : 0f, ar.weights()[L + i], 1e-7f);
        }
    }

    @Test
    void lladaSftWeightsAreOneOverMaskProbabilityAndAnswerLength() {
        int B = 1, L = 12;
        int[] x0 = cleanBatch(L);
        TrainingBatch b = new LladaObjective(MASK, 0.0, 0).prepare(x0, new int[] {4}, B, L, new SplittableRandom(3));
        int masked = 0;
        float w = 0;
        for (int i = 4; i < L; i++) {
            if (b.targets()[i] >= 0) {
                masked++;
                w = b.weights()[i];
            }
        }
        // Expected value of the weight sum over answers is 1: E[masked/(p·8)] = 1. Here one draw: w·8 = 1/p_mask ≥ 1.
        if (masked > 0) assertTrue(w * 8 >= 1 - 1e-6, "weight " + w);
    }
}
