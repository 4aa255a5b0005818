package jdlm.sample;

import java.util.SplittableRandom;

import jdlm.noise.NoiseSchedule;
import jdlm.noise.UniformProcess;

/**
 * Ancestral sampling of a uniform-diffusion (D3PM) model: the positions to generate start as
 * uniformly drawn tokens (x_1), and each of K steps, from t = k/K to s = (k − 1)/K, redraws every one
 * of them from p_θ(x_s | x_t) ({@link UniformProcess#reverse} with the model's x̂₀); the last step
 * (s = 0) gives x₀. Unlike masked diffusion any position may change at any step, so a step reports
 * the positions whose token changed. Temperature τ sharpens x̂₀ (softmax(logits/τ)); τ = 0 puts x̂₀ on
 * the argmax and takes the likeliest x₀ at the last step (the steps before stay random: the reverse
 * process adds noise by design).
 */
public final class UniformSampler {
    private final DenoisingModel model;
    private final UniformProcess process;
    private final NoiseSchedule schedule;

    public UniformSampler(DenoisingModel model, int maskId, NoiseSchedule schedule) {
        this.model = model;
        this.process = new UniformProcess(model.vocabSize(), maskId);
        this.schedule = schedule;
    }

    /** Generates the MASK positions of every row of {@code canvas} in place, in {@code steps} steps. */
    public GenerationResult generate(Canvas canvas, int steps, double temperature, long seed, StepListener listener) {
        if (steps < 1) throw new IllegalArgumentException("--steps must be at least 1, got " + steps);
        if (!(temperature >= 0) || Double.isInfinite(temperature)) throw new IllegalArgumentException("--temperature must be a finite number ≥ 0, got " + temperature);
        long start = System.nanoTime();
        int vocab = model.vocabSize(), batch = canvas.sequences(), passes = 0;
        SplittableRandom root = new SplittableRandom(seed);
        int[][] answers = new int[batch][], canvases = new int[batch][];
        int[] stepCounts = new int[batch];
        double[] probs = new double[vocab], next = new double[vocab];
        float[] scaled = new float[vocab];
        for (int seq = 0; seq < batch; seq++) {
            final int s = seq;
            SplittableRandom rng = root.split();
            int len = canvas.length(s);
            if (len > model.contextLength()) {
                throw new IllegalArgumentException("sequence " + s + " needs " + len + " positions but the model's context length is " + model.contextLength());
            }
            int[] free = java.util.stream.IntStream.range(0, len).filter(i -> canvas.isMasked(s, i) && !canvas.isGiven(s, i)).toArray();
            for (int i : free) canvas.set(s, i, process.randomState(rng));
            for (int k = steps; k >= 1 && free.length > 0; k--) {
                float[] logits = model.logits(canvas.row(s), 1, len);
                passes++;
                double alphaS = schedule.alpha((k - 1.0) / steps), alphaT = schedule.alpha((double) k / steps);
                int[] changed = new int[free.length], tokens = new int[free.length];
                int n = 0;
                for (int i : free) {
                    predicted(logits, i * vocab, temperature, scaled, probs);
                    process.reverse(probs, canvas.token(s, i), alphaS, alphaT, next);
                    int y = k == 1 && temperature == 0 ? argmax(next) : draw(next, rng);
                    if (y != canvas.token(s, i)) {
                        canvas.set(s, i, y);
                        changed[n] = i;
                        tokens[n++] = y;
                    }
                }
                stepCounts[s]++;
                listener.onStep(new StepEvent(s, steps - k, 0, java.util.Arrays.copyOf(changed, n), java.util.Arrays.copyOf(tokens, n),
                        new int[0], canvas.row(s), passes, k == 1));
            }
            canvases[s] = canvas.row(s);
            answers[s] = java.util.Arrays.stream(free).map(i -> canvas.token(s, i)).toArray();
        }
        return new GenerationResult(answers, canvases, stepCounts, passes, System.nanoTime() - start);
    }

    /** x̂₀ at temperature τ: softmax(logits/τ), or one-hot on the argmax when τ = 0 (MASK excluded). */
    private void predicted(float[] logits, int off, double temperature, float[] scaled, double[] probs) {
        int vocab = model.vocabSize();
        if (temperature == 0) {
            java.util.Arrays.fill(probs, 0);
            int best = -1;
            for (int y = 0; y < vocab; y++) if (y != process.maskId() && (best < 0 || logits[off + y] > logits[off + best])) best = y;
            probs[best] = 1;
            return;
        }
        for (int y = 0; y < vocab; y++) scaled[y] = (float) (logits[off + y] / temperature);
        process.predicted(scaled, 0, probs);
    }

    private static int argmax(double[] w) {
        int best = 0;
        for (int y = 1; y < w.length; y++) if (w[y] > w[best]) best = y;
        return best;
    }

    /** A draw from the unnormalised weights w. */
    private static int draw(double[] w, SplittableRandom rng) {
        double sum = 0;
        for (double v : w) sum += v;
        double u = rng.nextDouble() * sum;
        int last = 0;
        for (int y = 0; y < w.length; y++) {
            if (w[y] <= 0) continue;
            last = y;
            if ((u -= w[y]) < 0) return y;
        }
        return last; // rounding left u ≥ 0 at the end
    }
}
