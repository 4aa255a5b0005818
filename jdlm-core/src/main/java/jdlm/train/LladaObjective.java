package jdlm.train;

import java.util.SplittableRandom;

import jdlm.noise.AbsorbingProcess;

/**
 * LLaDA's recipe (DESIGN.md §4): t ~ U[0,1] per sequence, p_mask = (1 − ε)t + ε,
 * loss = Σ_{masked} CE / p_mask / (answer length · B); pre-training has no prompt (answer = L),
 * SFT keeps the prompt clean and its EOS padding is part of the answer (maskable, scored), which
 * teaches the model to end. With probability {@code cropProbability} (1% in LLaDA pre-training)
 * a batch is cropped to a random length in [1, L] so the model also sees short sequences.
 */
public final class LladaObjective implements Objective {
    private final AbsorbingProcess process;
    private final double eps;
    private final double cropProbability;

    public LladaObjective(int maskId, double eps, double cropProbability) {
        this.process = new AbsorbingProcess(maskId);
        this.eps = eps;
        this.cropProbability = cropProbability;
    }

    @Override
    public TrainingBatch prepare(int[] x0, int[] promptLengths, int batch, int seqLen, SplittableRandom rng) {
        int len = seqLen;
        if (promptLengths == null && cropProbability > 0 && rng.nextDouble() < cropProbability) len = 1 + rng.nextInt(seqLen);
        int n = batch * len;
        int[] clean = new int[n];
        for (int b = 0; b < batch; b++) System.arraycopy(x0, b * seqLen, clean, b * len, len); // a crop keeps each start
        int[] xt = clean.clone();
        int[] targets = new int[n];
        float[] weights = new float[n];
        java.util.Arrays.fill(targets, -1);
        for (int b = 0; b < batch; b++) {
            int prompt = Objective.promptLength(promptLengths, b, len);
            int off = b * len + prompt, answer = len - prompt;
            double pMask = (1 - eps) * rng.nextDouble() + eps;
            process.corrupt(clean, xt, off, answer, pMask, rng);
            float w = (float) (1.0 / pMask / ((double) answer * batch));
            for (int i = off; i < off + answer; i++) {
                if (xt[i] == process.maskId()) {
                    targets[i] = clean[i];
                    weights[i] = w;
                }
            }
        }
        return new TrainingBatch(batch, len, xt, targets, weights, process.maskId());
    }

    @Override
    public String name() { return "llada"; }
}
