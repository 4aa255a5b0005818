package jdlm.sample;

/**
 * Where a sequence is within its current block when a policy selects positions.
 *
 * @param step  k, 0-based step within the block
 * @param steps S, the block's share of the steps (threshold and factor may finish earlier, or run past it)
 * @param count the LLaDA transfer count for this step (policies that decide for themselves ignore it)
 */
public record BlockStep(int step, int steps, int count) {}
