package jdlm.train;

/**
 * Everything that shapes a training run besides the model and the data.
 *
 * @param steps           optimizer updates in the whole run
 * @param batch           sequences per micro-batch
 * @param seqLen          tokens per sequence
 * @param accumulation    micro-batches per update (gradient accumulation)
 * @param lr              learning-rate schedule
 * @param clipNorm        global gradient-norm clip (≤ 0: off)
 * @param weightDecay     AdamW decoupled weight decay on matrices
 * @param beta1           AdamW β₁
 * @param beta2           AdamW β₂
 * @param emaDecay        decay of the EMA copy of the weights (0: no EMA)
 * @param evalEvery       validate every this many updates (0: never)
 * @param evalBatches     validation batches per evaluation
 * @param checkpointEvery write a checkpoint every this many updates (0: only at the end)
 * @param seed            seed of the masks, times and data order
 */
public record TrainingOptions(int steps, int batch, int seqLen, int accumulation, LearningRateSchedule lr,
                              double clipNorm, double weightDecay, double beta1, double beta2, double emaDecay,
                              int evalEvery, int evalBatches, int checkpointEvery, long seed) {

    public TrainingOptions {
        if (steps < 1) throw new IllegalArgumentException("--steps must be at least 1, got " + steps);
        if (batch < 1) throw new IllegalArgumentException("--batch must be at least 1, got " + batch);
        if (seqLen < 2) throw new IllegalArgumentException("--seq must be at least 2, got " + seqLen);
        if (accumulation < 1) throw new IllegalArgumentException("--accumulate must be at least 1, got " + accumulation);
        if (!(emaDecay >= 0 && emaDecay < 1)) throw new IllegalArgumentException("--ema must be in [0, 1), got " + emaDecay);
        if (evalEvery < 0 || evalBatches < 0 || checkpointEvery < 0) throw new IllegalArgumentException("intervals must be ≥ 0");
    }

    /**
     * The command line's defaults for a run of {@code steps} updates at peak learning rate {@code lr}:
     * warm-up over min(200, steps/10) updates, then cosine to lr/10; clipping at 1, weight decay
     * 0.1, β = (0.9, 0.95), no accumulation, no EMA, no validation or checkpoints (the caller saves),
     * seed 0. Change what you need with the record's constructor.
     */
    public static TrainingOptions defaults(int steps, int batch, int seqLen, double lr) {
        LearningRateSchedule schedule = new LearningRateSchedule(LearningRateSchedule.Kind.COSINE, lr, lr / 10,
                Math.min(200, steps / 10), steps, 0.2);
        return new TrainingOptions(steps, batch, seqLen, 1, schedule, 1.0, 0.1, 0.9, 0.95, 0, 0, 8, 0, 0);
    }
}
