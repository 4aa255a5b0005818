package jdlm.train;

import java.util.SplittableRandom;

import jdlm.noise.AbsorbingProcess;
import jdlm.noise.NoiseSchedule;
import jdlm.noise.TimeSampler;

/**
 * MDLM / MD4 continuous-time NELBO (DESIGN.md §4): per sequence with time t,
 * L = (−α′(t)/(1 − α(t))) · Σ_{i: x_t^i = MASK} −log p_θ(x₀^i | x_t), divided by the sequence's
 * answer length and averaged over the batch, so the value is the bound in nats per token. SUBS:
 * MASK is never predicted and clean positions carry no loss. t is antithetic across the batch.
 * Prompt tokens (SFT) stay clean.
 */
public final class MaskedDiffusionObjective implements Objective {
    private final NoiseSchedule schedule;
    private final AbsorbingProcess process;
    private final TimeSampler times;

    public MaskedDiffusionObjective(NoiseSchedule schedule, int maskId, double eps) {
        this.schedule = schedule;
        this.process = new AbsorbingProcess(maskId);
        this.times = new TimeSampler(eps, true);
    }

    public NoiseSchedule schedule() { return schedule; }

    @Override
    public TrainingBatch prepare(int[] x0, int[] promptLengths, int batch, int seqLen, SplittableRandom rng) {
        return prepare(x0, promptLengths, batch, seqLen, times.sample(batch, rng), rng);
    }

    /** As {@link #prepare(int[], int[], int, int, SplittableRandom)} with the times given (for evaluation and tests). */
    public TrainingBatch prepare(int[] x0, int[] promptLengths, int batch, int seqLen, double[] t, SplittableRandom rng) {
        int n = batch * seqLen;
        int[] xt = x0.clone();
        int[] targets = new int[n];
        float[] weights = new float[n];
        java.util.Arrays.fill(targets, -1);
        for (int b = 0; b < batch; b++) {
            int prompt = Objective.promptLength(promptLengths, b, seqLen);
            int off = b * seqLen + prompt, answer = seqLen - prompt;
            process.corrupt(x0, xt, off, answer, schedule.maskProbability(t[b]), rng);
            float w = (float) (schedule.weight(t[b]) / ((double) answer * batch));
            for (int i = off; i < off + answer; i++) {
                if (xt[i] == process.maskId()) {
                    targets[i] = x0[i];
                    weights[i] = w;
                }
            }
        }
        return new TrainingBatch(batch, seqLen, xt, targets, weights, process.maskId());
    }

    @Override
    public String name() { return "mdlm"; }
}
