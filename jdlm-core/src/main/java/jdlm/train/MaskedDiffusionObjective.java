package jdlm.train;

import java.util.SplittableRandom;

import jdlm.noise.AbsorbingProcess;
import jdlm.noise.NoiseSchedule;
import jdlm.noise.TimeSampler;

/**
 * MDLM / MD4 continuous-time NELBO (DESIGN.md §4): per sequence with time t,
 * L = (−α′(t)/(1 − α(t))) · Σ_{i: x_t^i = MASK} −log p_θ(x₀^i | x_t), averaged over the B·L tokens
 * of the batch, so the value is the bound in nats per token. SUBS: MASK is never predicted and
 * clean positions carry no loss. t is antithetic across the batch.
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
    public TrainingBatch prepare(int[] x0, int batch, int seqLen, SplittableRandom rng) {
        return prepare(x0, batch, seqLen, times.sample(batch, rng), rng);
    }

    /** As {@link #prepare(int[], int, int, SplittableRandom)} with the times given (for evaluation). */
    public TrainingBatch prepare(int[] x0, int batch, int seqLen, double[] t, SplittableRandom rng) {
        int n = batch * seqLen;
        int[] xt = new int[n];
        int[] targets = new int[n];
        float[] weights = new float[n];
        for (int b = 0; b < batch; b++) {
            int off = b * seqLen;
            process.corrupt(x0, xt, off, seqLen, schedule.maskProbability(t[b]), rng);
            float w = (float) (schedule.weight(t[b]) / n);
            for (int i = off; i < off + seqLen; i++) {
                boolean masked = xt[i] == process.maskId();
                targets[i] = masked ? x0[i] : -1;
                weights[i] = masked ? w : 0f;
            }
        }
        return new TrainingBatch(batch, seqLen, xt, targets, weights, process.maskId());
    }

    @Override
    public String name() { return "mdlm"; }
}
