/**
 * Sampling (DESIGN.md §5): the denoising loop and its parts, talking to a model only through
 * {@link jdlm.sample.DenoisingModel} ("give me logits for this canvas").
 *
 * <ul>
 *   <li>{@link jdlm.sample.Canvas}: given, masked and committed tokens of B sequences. Prompts are
 *       left-aligned and rows keep their own lengths (no padding reaches the model: a bidirectional
 *       model would attend to it); rows of equal length share a forward pass.</li>
 *   <li>{@link jdlm.sample.TransferSchedule}: K steps over n/b blocks, LLaDA's per-step counts.</li>
 *   <li>{@link jdlm.sample.TokenChooser}: argmax of logits + τ·Gumbel (float64), top-k, top-p.</li>
 *   <li>{@link jdlm.sample.UnmaskingPolicy}: confidence, margin, entropy, random, ancestral,
 *       threshold, factor.</li>
 *   <li>{@link jdlm.sample.DiffusionSampler}: the loop, with guidance, remasking, EOS stop, caching,
 *       and a {@link jdlm.sample.StepEvent} per step; {@link jdlm.sample.AutoregressiveSampler} for the
 *       causal twin. Both return a {@link jdlm.sample.GenerationResult}.</li>
 * </ul>
 */
package jdlm.sample;
