package jdlm.sample;

/**
 * One denoising step of one sequence (or one AR token), for progress views and streaming.
 *
 * @param sequence      index of the sequence in the batch
 * @param step          0-based step of this sequence, over all its blocks
 * @param block         0-based block being decoded (0 for autoregressive sampling)
 * @param positions     positions committed in this step (canvas indices)
 * @param tokens        the tokens committed there, same order
 * @param remasked      positions returned to MASK by remasking in this step
 * @param canvas        snapshot of the sequence's canvas after the step
 * @param forwardPasses model calls so far, whole batch
 * @param finished      true when this sequence is done (no MASK left, or its answer ended at EOS)
 */
public record StepEvent(int sequence, int step, int block, int[] positions, int[] tokens, int[] remasked,
                        int[] canvas, int forwardPasses, boolean finished) {}
