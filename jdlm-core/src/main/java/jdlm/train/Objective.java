package jdlm.train;

import java.util.SplittableRandom;

/** A training objective: turns a batch of clean sequences x₀ into model inputs, targets and weights. */
public interface Objective {

    /** x₀ holds {@code batch} sequences of {@code seqLen} tokens; randomness (t, masks) comes from rng. */
    TrainingBatch prepare(int[] x0, int batch, int seqLen, SplittableRandom rng);

    /** Short name for configs and logs: mdlm, llada, ar. */
    String name();
}
