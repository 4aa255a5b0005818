package jdlm.sample;

/**
 * A denoising model that can recompute only a window of one canvas row, reusing the keys and
 * values of the other positions from its last full pass over that row (Fast-dLLM's "dual cache").
 * The result is an approximation: positions outside the window see the canvas as it was at the
 * full pass. The sampler refreshes with a full pass at the start of every block.
 */
public interface WindowedDenoisingModel extends DenoisingModel {

    /** Per-sequence state of the cache (the keys and values of every layer). */
    interface Cache {}

    /** An empty cache for rows of up to {@code length} positions. */
    Cache newCache(int length);

    /** Exact logits [length, vocab] of one row (a fresh array), remembering its keys and values in {@code cache}. */
    float[] logits(int[] row, int length, Cache cache);

    /**
     * Logits [hi − lo, vocab] of positions [lo, hi) of {@code row} (whose length is that of the
     * cache's last full pass), computed from those positions' current tokens and the cached keys
     * and values of all others; the window's own keys and values are updated in the cache. The
     * array may be reused by the model's next call: copy what you keep. A block-diffusion model
     * ({@link #blockSize} > 0) needs no full pass first: its window may extend the cache, as long
     * as it starts within what is cached.
     */
    float[] windowLogits(int[] row, int lo, int hi, Cache cache);
}
