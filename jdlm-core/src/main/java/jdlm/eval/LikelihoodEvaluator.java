package jdlm.eval;

import java.util.SplittableRandom;

import jdlm.model.Activations;
import jdlm.model.Transformer;
import jdlm.noise.AbsorbingProcess;
import jdlm.noise.NoiseSchedule;
import jdlm.noise.TimeSampler;
import jdlm.noise.UniformProcess;
import jdlm.train.ScoreEntropyObjective;
import jdlm.train.WeightedCrossEntropy;

/**
 * Likelihood bounds on held-out sequences (DESIGN.md §4), in nats per token:
 * <ul>
 *   <li>{@link #continuousNelbo}: the masked model's continuous-time NELBO, Monte Carlo over t
 *       (antithetic within each batch, fixed seed), weight −α′/(1 − α);</li>
 *   <li>{@link #lladaBound}: LLaDA's lower-variance form — l ~ U{1..L}, mask exactly l tokens,
 *       weight L/l;</li>
 *   <li>{@link #discreteNelbo}: the T-step discrete-time bound — step i ~ U{1..T}, s = (i−1)/T,
 *       t = i/T, weight T·(α_s − α_t)/(1 − α_t); it approaches the continuous bound as T grows;</li>
 *   <li>{@link #autoregressiveNll}: the exact negative log-likelihood of a causal model;</li>
 *   <li>{@link #leftToRightNll}: the exact negative log-likelihood of a masked model read left to
 *       right, one token at a time (not a bound: a likelihood of its own).</li>
 * </ul>
 * Every estimate is the mean over (sequence, sample) pairs with its standard error. For a
 * block-diffusion (BD3-LM) model the bounds are BD3-LM's: the sum over blocks of each block's
 * bound given the clean blocks before it.
 */
public final class LikelihoodEvaluator {
    private final Transformer model;
    private final int maskId;
    private final int batch;

    /** @param batch sequences per forward pass */
    public LikelihoodEvaluator(Transformer model, int maskId, int batch) {
        this.model = model;
        this.maskId = maskId;
        this.batch = batch;
    }

    /** How one sample of one sequence is corrupted and weighted. */
    private interface Corruption {
        /** Writes x_t for the sequence at {@code off} and returns the weight of its masked CE sum. */
        double apply(int[] x0, int[] xt, int off, int len, int indexInBatch, int batchSize, SplittableRandom rng, double[] times);
    }

    public Estimate continuousNelbo(int[] sequences, int count, int len, NoiseSchedule schedule, int samplesPerSequence, long seed) {
        return estimate("continuous NELBO (" + schedule.name() + ")", sequences, count, len, samplesPerSequence, seed,
                continuousCorruption(schedule), new TimeSampler(1e-3, true), false);
    }

    /** Masks at an antithetic time t of the schedule, weighted by its −α′/(1 − α). */
    private Corruption continuousCorruption(NoiseSchedule schedule) {
        AbsorbingProcess process = new AbsorbingProcess(maskId);
        return (x0, xt, off, n, i, b, rng, times) -> {
            double t = times[i];
            process.corrupt(x0, xt, off, n, schedule.maskProbability(t), rng);
            return schedule.weight(t);
        };
    }

    /**
     * SEDD's bound for a model trained on its score entropy ({@code train --objective sedd}): the
     * continuous NELBO's corruption and weights, each masked position scored by the score entropy
     * ({@link ScoreEntropyObjective#positionLoss}) instead of the cross-entropy of softmax. It is MDLM's
     * NELBO plus w·(u − 1 − log u) ≥ 0 per masked position (u the scores' sum over N), so with the same
     * seed it is never below {@link #continuousNelbo}, and equal when the scores sum to N.
     */
    public Estimate scoreEntropyBound(int[] sequences, int count, int len, NoiseSchedule schedule, int samplesPerSequence, long seed) {
        return estimate("score entropy (SEDD, " + schedule.name() + ")", sequences, count, len, samplesPerSequence, seed,
                continuousCorruption(schedule), new TimeSampler(1e-3, true), true);
    }

    public Estimate lladaBound(int[] sequences, int count, int len, int samplesPerSequence, long seed) {
        AbsorbingProcess process = new AbsorbingProcess(maskId);
        return estimate("LLaDA bound (l ~ U{1..L}, weight L/l)", sequences, count, len, samplesPerSequence, seed,
                (x0, xt, off, n, i, b, rng, times) -> {
                    int l = 1 + rng.nextInt(n);
                    process.corruptExactly(x0, xt, off, n, l, rng);
                    return (double) n / l;
                }, null);
    }

    /**
     * How well the model predicts at one masking rate: the mean −log p(x₀ⁱ | x_t) over the masked
     * positions when exactly l = max(1, round(rate·L)) of a window's L tokens are masked (a uniform
     * subset). Not a bound: the LLaDA bound is the mean of these over l = 1..L; near rate 0 it shows
     * how much the model makes of nearly full context, near 1 how little it needs.
     */
    public Estimate maskedCrossEntropyAt(int[] sequences, int count, int len, double rate, int samplesPerSequence, long seed) {
        if (!(rate > 0 && rate <= 1)) throw new IllegalArgumentException("masking rate must be in (0, 1], got " + rate);
        AbsorbingProcess process = new AbsorbingProcess(maskId);
        int l = maskedCount(rate, len);
        return estimate(String.format(java.util.Locale.ROOT, "masked CE at rate %.3f (%d of %d masked)", rate, l, len),
                sequences, count, len, samplesPerSequence, seed,
                (x0, xt, off, n, i, b, rng, times) -> { // n < len: one block of a block-diffusion model
                    int masked = maskedCount(rate, n);
                    process.corruptExactly(x0, xt, off, n, masked, rng);
                    return (double) n / masked;
                }, null);
    }

    /** How many of {@code len} tokens {@link #maskedCrossEntropyAt} masks at {@code rate}: round(rate·len), at least 1. */
    public static int maskedCount(double rate, int len) {
        return Math.max(1, (int) Math.round(rate * len));
    }

    public Estimate discreteNelbo(int[] sequences, int count, int len, NoiseSchedule schedule, int steps, int samplesPerSequence, long seed) {
        if (steps < 1) throw new IllegalArgumentException("steps T must be at least 1, got " + steps);
        AbsorbingProcess process = new AbsorbingProcess(maskId);
        return estimate("discrete NELBO (T=" + steps + ", " + schedule.name() + ")", sequences, count, len, samplesPerSequence, seed,
                (x0, xt, off, n, i, b, rng, times) -> {
                    int step = 1 + rng.nextInt(steps);
                    double s = (step - 1.0) / steps, t = (double) step / steps;
                    double as = schedule.alpha(s), at = schedule.alpha(t);
                    process.corrupt(x0, xt, off, n, 1 - at, rng);
                    return steps * (as - at) / (1 - at);
                }, null);
    }

    /**
     * The T-step bound of a uniform-diffusion (D3PM) model: per window, a step i ~ U{1..T} and
     * x_t ~ q(x_t | x₀) at t = i/T, then T·Σ_positions KL(q(x_s | x_t, x₀) ‖ p_θ(x_s | x_t)) plus
     * each position's prior term KL(q(x_1 | x₀) ‖ uniform), over L. Step 1 is the reconstruction.
     */
    public Estimate uniformNelbo(int[] sequences, int count, int len, NoiseSchedule schedule, int steps, int samplesPerSequence, long seed) {
        if (count < 1) throw new IllegalArgumentException("no sequences to evaluate");
        if (steps < 1) throw new IllegalArgumentException("steps T must be at least 1, got " + steps);
        if (samplesPerSequence < 1) throw new IllegalArgumentException("samples per sequence must be at least 1");
        int vocab = model.config().vocabSize();
        UniformProcess process = new UniformProcess(vocab, maskId);
        double prior = process.priorKl(schedule.alpha(1));
        SplittableRandom rng = new SplittableRandom(seed);
        double[] values = new double[count * samplesPerSequence];
        double[] probs = new double[vocab], q = new double[vocab], u = new double[vocab];
        int filled = 0;
        for (int sample = 0; sample < samplesPerSequence; sample++) {
            for (int first = 0; first < count; first += batch) {
                int b = Math.min(batch, count - first), n = b * len;
                int[] x0 = java.util.Arrays.copyOfRange(sequences, first * len, first * len + n), xt = new int[n];
                int[] step = new int[b];
                for (int s = 0; s < b; s++) {
                    step[s] = 1 + rng.nextInt(steps);
                    process.corrupt(x0, xt, s * len, len, schedule.alpha((double) step[s] / steps), rng);
                }
                Activations a = new Activations(model.config(), b, len, false);
                model.forward(a, xt);
                for (int s = 0; s < b; s++) {
                    double alphaS = schedule.alpha((step[s] - 1.0) / steps), alphaT = schedule.alpha((double) step[s] / steps), sum = 0;
                    for (int i = s * len; i < (s + 1) * len; i++) {
                        process.predicted(a.logits(), i * vocab, probs);
                        sum += steps * process.kl(x0[i], probs, xt[i], alphaS, alphaT, q, u, null) + prior;
                    }
                    values[filled++] = sum / len;
                }
            }
        }
        return Estimate.of("uniform-diffusion bound (T=" + steps + ", " + schedule.name() + ")", values, (long) count * len);
    }

    /** Mean next-token cross-entropy of a causal model (position i predicts token i+1 of the same sequence). */
    public Estimate autoregressiveNll(int[] sequences, int count, int len) {
        if (!model.config().causal()) throw new IllegalStateException("exact NLL needs a causal (autoregressive) model");
        int vocab = model.config().vocabSize();
        double[] values = new double[count];
        for (int first = 0; first < count; first += batch) {
            int b = Math.min(batch, count - first);
            int[] x = new int[b * len];
            System.arraycopy(sequences, first * len, x, 0, b * len);
            int[] targets = new int[b * len];
            for (int s = 0; s < b; s++) {
                for (int i = 0; i < len; i++) targets[s * len + i] = i + 1 < len ? x[s * len + i + 1] : -1;
            }
            Activations a = new Activations(model.config(), b, len, false);
            model.forward(a, x);
            float[] losses = new float[b * len];
            jdlm.tensor.CrossEntropy.forward(a.logits(), b * len, vocab, targets, losses);
            for (int s = 0; s < b; s++) {
                double sum = 0;
                for (int i = 0; i < len - 1; i++) sum += losses[s * len + i];
                values[first + s] = sum / (len - 1);
            }
        }
        return Estimate.of("autoregressive NLL", values, (long) count * (len - 1));
    }

    /**
     * Exact NLL of a masked model read left to right: token i predicted from tokens 0..i−1 with
     * positions i..L−1 masked (MASK never predicted), the order {@code generate --block 1} decodes in:
     * a normalised likelihood (over all sequences of L tokens its probabilities sum to one), not a
     * bound; where it is below the NELBO, the order the NELBO averages over (every order alike) costs
     * more than reading in order. L forward passes per sequence, each over the whole window, so it
     * costs L/(3·samples) times the three bounds.
     */
    public Estimate leftToRightNll(int[] sequences, int count, int len) {
        if (model.config().causal()) throw new IllegalStateException("left-to-right NLL is for masked models; a causal model has autoregressiveNll");
        if (count < 1) throw new IllegalArgumentException("no sequences to evaluate");
        int vocab = model.config().vocabSize();
        double[] values = new double[count];
        for (int s = 0; s < count; s++) {
            double sum = 0;
            for (int first = 0; first < len; first += batch) {
                int b = Math.min(batch, len - first), n = b * len;
                int[] xt = new int[n], targets = new int[n];
                java.util.Arrays.fill(targets, -1);
                for (int k = 0; k < b; k++) {
                    int i = first + k; // row k predicts token i from the i tokens before it
                    for (int p = 0; p < len; p++) xt[k * len + p] = p < i ? sequences[s * len + p] : maskId;
                    targets[k * len + i] = sequences[s * len + i];
                }
                Activations a = new Activations(model.config(), b, len, false);
                model.forward(a, xt);
                WeightedCrossEntropy.suppress(a.logits(), n, vocab, maskId);
                float[] losses = new float[n];
                jdlm.tensor.CrossEntropy.forward(a.logits(), n, vocab, targets, losses);
                for (int k = 0; k < b; k++) sum += losses[k * len + first + k];
            }
            values[s] = sum / len;
        }
        return Estimate.of("left-to-right NLL (exact, masked model)", values, (long) count * len);
    }

    /**
     * The Monte-Carlo loop of the bounds. A block-diffusion model is scored block by block: each
     * block of each window is corrupted alone (its own time, or its own l) given the clean blocks
     * before it, all in one pass over [x₀ | x_t]; the window's value is the sum of its blocks'
     * weighted masked cross-entropies over L. Other models have one block: the whole window. With
     * {@code scoreEntropy} a masked position is scored by SEDD's score entropy instead of the
     * cross-entropy.
     */
    private Estimate estimate(String method, int[] sequences, int count, int len, int samplesPerSequence, long seed,
                              Corruption corruption, TimeSampler times) {
        return estimate(method, sequences, count, len, samplesPerSequence, seed, corruption, times, false);
    }

    private Estimate estimate(String method, int[] sequences, int count, int len, int samplesPerSequence, long seed,
                              Corruption corruption, TimeSampler times, boolean scoreEntropy) {
        if (count < 1) throw new IllegalArgumentException("no sequences to evaluate");
        if (samplesPerSequence < 1) throw new IllegalArgumentException("samples per sequence must be at least 1");
        int vocab = model.config().vocabSize();
        boolean blocks = model.config().blockCausal();
        int seg = blocks ? model.config().blockSize() : len, segments = (len + seg - 1) / seg, row = blocks ? 2 * len : len;
        SplittableRandom rng = new SplittableRandom(seed);
        double[] values = new double[count * samplesPerSequence];
        int filled = 0;
        for (int sample = 0; sample < samplesPerSequence; sample++) {
            for (int first = 0; first < count; first += batch) {
                int b = Math.min(batch, count - first);
                int n = b * len;
                int[] x0 = new int[n];
                System.arraycopy(sequences, first * len, x0, 0, n);
                int[] xt = new int[n];
                double[] t = times == null ? null : times.sample(b * segments, rng);
                double[] weights = new double[n];
                for (int s = 0; s < b; s++) {
                    for (int k = 0; k < segments; k++) {
                        int from = s * len + k * seg, to = Math.min((s + 1) * len, from + seg);
                        double w = corruption.apply(x0, xt, from, to - from, s * segments + k, b * segments, rng, t);
                        java.util.Arrays.fill(weights, from, to, w);
                    }
                }
                int[] input = xt, targets = new int[b * row];
                java.util.Arrays.fill(targets, -1);
                if (blocks) {
                    input = new int[b * row];
                    for (int s = 0; s < b; s++) {
                        System.arraycopy(x0, s * len, input, s * row, len);
                        System.arraycopy(xt, s * len, input, s * row + len, len);
                    }
                }
                for (int s = 0; s < b; s++) {
                    for (int i = 0; i < len; i++) {
                        if (xt[s * len + i] == maskId) targets[s * row + row - len + i] = x0[s * len + i];
                    }
                }
                Activations a = new Activations(model.config(), b, row, false, blocks);
                model.forward(a, input);
                WeightedCrossEntropy.suppress(a.logits(), b * row, vocab, maskId);
                float[] losses = new float[b * row];
                if (scoreEntropy) {
                    double[] e = new double[vocab];
                    for (int r = 0; r < b * row; r++) {
                        if (targets[r] >= 0) losses[r] = (float) ScoreEntropyObjective.positionLoss(a.logits(), r * vocab, vocab, targets[r], e);
                    }
                } else {
                    jdlm.tensor.CrossEntropy.forward(a.logits(), b * row, vocab, targets, losses);
                }
                for (int s = 0; s < b; s++) {
                    double sum = 0;
                    for (int i = 0; i < len; i++) sum += weights[s * len + i] * losses[s * row + row - len + i];
                    values[filled++] = sum / len;
                }
            }
        }
        return Estimate.of(method, values, (long) count * len);
    }
}
