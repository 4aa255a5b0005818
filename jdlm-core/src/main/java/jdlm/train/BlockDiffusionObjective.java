package jdlm.train;

import java.util.SplittableRandom;

import jdlm.noise.AbsorbingProcess;
import jdlm.noise.NoiseSchedule;
import jdlm.noise.TimeSampler;

/**
 * BD3-LM (Arriola et al. 2025; DESIGN.md §4): autoregressive over blocks of {@code blockSize}
 * tokens, masked diffusion inside each. Every block k of a sequence gets its own time t_k
 * (antithetic across all blocks of the batch) and is corrupted alone; its loss is MDLM's,
 * (−α′(t_k)/(1 − α(t_k))) · Σ_{masked i in k} −log p_θ(x₀ⁱ | x_t of block k, x₀ of blocks < k),
 * summed over blocks and divided by the answer length: a bound on the sequence's NLL per token.
 *
 * <p>One forward pass scores every block: the model input is [x₀ | x_t] (2L rows, both halves at
 * positions 0..L−1) under {@link jdlm.tensor.AttentionMask#blockDiffusionTraining}; only the noisy
 * half carries targets. Blocks are counted from position 0; prompt tokens (SFT) stay clean in both
 * halves and carry no loss.
 */
public final class BlockDiffusionObjective implements Objective {
    private final NoiseSchedule schedule;
    private final AbsorbingProcess process;
    private final TimeSampler times;
    private final int blockSize;

    public BlockDiffusionObjective(NoiseSchedule schedule, int maskId, double eps, int blockSize) {
        if (blockSize < 1) throw new IllegalArgumentException("block size must be ≥ 1, got " + blockSize);
        this.schedule = schedule;
        this.process = new AbsorbingProcess(maskId);
        this.times = new TimeSampler(eps, true);
        this.blockSize = blockSize;
    }

    /** Blocks in a sequence of {@code seqLen} tokens (the last may be shorter). */
    public int blocks(int seqLen) { return (seqLen + blockSize - 1) / blockSize; }

    @Override
    public TrainingBatch prepare(int[] x0, int[] promptLengths, int batch, int seqLen, SplittableRandom rng) {
        return prepare(x0, promptLengths, batch, seqLen, times.sample(batch * blocks(seqLen), rng), rng);
    }

    /** As {@link #prepare(int[], int[], int, int, SplittableRandom)} with the times given: t[b·blocks + k] for block k of sequence b. */
    public TrainingBatch prepare(int[] x0, int[] promptLengths, int batch, int seqLen, double[] t, SplittableRandom rng) {
        int nb = blocks(seqLen), row = 2 * seqLen;
        if (t.length != batch * nb) throw new IllegalArgumentException("need " + batch * nb + " times (one per block), got " + t.length);
        int[] inputs = new int[batch * row];
        int[] targets = new int[batch * row];
        float[] weights = new float[batch * row];
        java.util.Arrays.fill(targets, -1);
        for (int b = 0; b < batch; b++) {
            int prompt = Objective.promptLength(promptLengths, b, seqLen), answer = seqLen - prompt;
            int clean = b * row, noisy = clean + seqLen;
            System.arraycopy(x0, b * seqLen, inputs, clean, seqLen);
            System.arraycopy(x0, b * seqLen, inputs, noisy, seqLen);
            for (int k = 0; k < nb; k++) {
                int from = Math.max(prompt, k * blockSize), to = Math.min(seqLen, (k + 1) * blockSize);
                if (from >= to) continue; // the block is all prompt
                double tk = t[b * nb + k];
                process.corrupt(inputs, inputs, noisy + from, to - from, schedule.maskProbability(tk), rng);
                float w = (float) (schedule.weight(tk) / ((double) answer * batch));
                for (int i = from; i < to; i++) {
                    if (inputs[noisy + i] == process.maskId()) {
                        targets[noisy + i] = x0[b * seqLen + i];
                        weights[noisy + i] = w;
                    }
                }
            }
        }
        return new TrainingBatch(batch, row, inputs, targets, weights, process.maskId(), true);
    }

    @Override
    public String name() { return "bd3"; }
}
