package jdlm.sample;

/**
 * Fast-dLLM's approximate KV caches for semi-autoregressive decoding: one full pass at the start of
 * each block, then passes over part of the canvas only, the other positions' keys and values taken
 * from that full pass (they go stale within the block). A block-diffusion model's cache is exact
 * with either.
 */
public enum BlockCache {
    /** Every step is a full pass. */
    NONE,
    /** Passes over the current block and everything after it; the prefix (prompt and finished blocks) is cached. */
    PREFIX,
    /** Passes over the current block only; the prefix and the masked suffix are cached. Fastest, most approximate. */
    DUAL
}
