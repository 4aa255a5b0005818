package jdlm.train;

import java.util.SplittableRandom;

import jdlm.noise.NoiseSchedule;
import jdlm.noise.UniformProcess;

/**
 * D3PM with the uniform forward process (DESIGN.md §4; λ = 0: no auxiliary cross-entropy): the
 * discrete-time bound over T steps. Each sequence draws a step i ~ U{1..T} (s = (i − 1)/T, t = i/T),
 * is corrupted to x_t ~ q(x_t | x₀), and every answer position costs
 * T · KL(q(x_s | x_t, x₀) ‖ p_θ(x_s | x_t)) (see {@link UniformProcess}); divided by the answer length
 * and averaged over the batch, that is the bound per token less the prior term (constant in θ). The
 * step i = 1 (s = 0) is the reconstruction term. The model sees no time and no MASK: noise is made of
 * real tokens, and it must judge from its input how much of it there is.
 */
public final class UniformDiffusionObjective implements Objective {
    private final NoiseSchedule schedule;
    private final UniformProcess process;
    private final int steps;

    public UniformDiffusionObjective(NoiseSchedule schedule, int vocab, int maskId, int steps) {
        if (steps < 1) throw new IllegalArgumentException("uniform diffusion needs T ≥ 1 steps, got " + steps);
        this.schedule = schedule;
        this.process = new UniformProcess(vocab, maskId);
        this.steps = steps;
    }

    @Override
    public TrainingBatch prepare(int[] x0, int[] promptLengths, int batch, int seqLen, SplittableRandom rng) {
        int[] step = new int[batch];
        for (int b = 0; b < batch; b++) step[b] = 1 + rng.nextInt(steps);
        return prepare(x0, promptLengths, batch, seqLen, step, rng);
    }

    /** As {@link #prepare(int[], int[], int, int, SplittableRandom)} with each sequence's step i ∈ [1, T] given. */
    public TrainingBatch prepare(int[] x0, int[] promptLengths, int batch, int seqLen, int[] step, SplittableRandom rng) {
        int n = batch * seqLen;
        int[] xt = x0.clone(), targets = new int[n];
        float[] weights = new float[n];
        double[] times = new double[2 * batch];
        java.util.Arrays.fill(targets, -1);
        for (int b = 0; b < batch; b++) {
            if (step[b] < 1 || step[b] > steps) throw new IllegalArgumentException("step must be in [1, " + steps + "], got " + step[b]);
            int prompt = Objective.promptLength(promptLengths, b, seqLen), off = b * seqLen + prompt, answer = seqLen - prompt;
            times[2 * b] = (step[b] - 1.0) / steps;
            times[2 * b + 1] = (double) step[b] / steps;
            process.corrupt(x0, xt, off, answer, schedule.alpha(times[2 * b + 1]), rng);
            float w = (float) ((double) steps / ((double) answer * batch));
            for (int i = off; i < off + answer; i++) {
                targets[i] = x0[i];
                weights[i] = w;
            }
        }
        return new TrainingBatch(batch, seqLen, xt, targets, weights, process.maskId(), false, times);
    }

    @Override
    public double lossAndGradient(float[] logits, int vocab, TrainingBatch b, float[] dLogits) {
        int rows = b.batch() * b.seqLen();
        double[] probs = new double[vocab], q = new double[vocab], u = new double[vocab], g = dLogits == null ? null : new double[vocab];
        double loss = 0;
        for (int r = 0; r < rows; r++) {
            if (b.targets()[r] < 0) continue;
            int seq = r / b.seqLen();
            double alphaS = schedule.alpha(b.times()[2 * seq]), alphaT = schedule.alpha(b.times()[2 * seq + 1]);
            process.predicted(logits, r * vocab, probs);
            double w = b.weights()[r];
            loss += w * process.kl(b.targets()[r], probs, b.inputs()[r], alphaS, alphaT, q, u, g);
            if (g == null) continue;
            double dot = 0; // through the softmax: dℓ_j = p_j·(g_j − Σ_k p_k g_k)
            for (int y = 0; y < vocab; y++) dot += probs[y] * g[y];
            for (int y = 0; y < vocab; y++) if (y != process.maskId()) dLogits[r * vocab + y] += (float) (w * probs[y] * (g[y] - dot));
        }
        return loss;
    }

    @Override
    public String name() { return "uniform"; }
}
