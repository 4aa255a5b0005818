package jdlm.sample;

/**
 * What a generation produced.
 *
 * @param answers       per sequence: the generated (non-given) tokens in canvas order, cut before the
 *                      EOS that ended the answer, if one did
 * @param canvases      per sequence: the whole final canvas, given tokens included
 * @param steps         per sequence: denoising steps taken (AR: tokens generated)
 * @param forwardPasses model calls for the whole batch (a guided step costs two)
 * @param wallNanos     wall-clock time of the generation
 */
public record GenerationResult(int[][] answers, int[][] canvases, int[] steps, int forwardPasses, long wallNanos) {}
