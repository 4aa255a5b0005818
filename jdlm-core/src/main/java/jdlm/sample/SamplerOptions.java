package jdlm.sample;

/**
 * Settings of a diffusion generation (DESIGN.md §5). The canvas decides how many positions are
 * generated; these decide how.
 *
 * @param steps                 K, total denoising steps over all blocks
 * @param blockLength           b; 0 means one block spanning the whole masked region
 * @param tokens                token choice: temperature, top-k, top-p
 * @param policy                which positions each step commits
 * @param guidance              classifier-free guidance weight w ≥ 0 (LLaDA: u + (w+1)(c − u)); 0 is off
 * @param remask                r: low-confidence remasking of committed tokens per step; 0 is off
 * @param suppressEosChoice     EOS is never chosen as a token
 * @param suppressEosConfidence a position whose chosen token is EOS gets confidence −∞ (committed last)
 * @param stopAtEos             an EOS with everything before it committed ends the answer
 * @param fillWithPad           after the ending EOS, fill with PAD instead of EOS
 * @param cache                 skip the forward pass of a sequence whose canvas did not change (MDLM ddpm_cache)
 * @param blockCache            Fast-dLLM's prefix or dual cache ({@link BlockCache}); needs a model that can
 *                              do it ({@link WindowedDenoisingModel}) and semi-autoregressive blocks
 * @param seed                  seed of the token noise and of random policies
 */
public record SamplerOptions(int steps, int blockLength, TokenChooser tokens, UnmaskingPolicy policy, double guidance,
                             int remask, boolean suppressEosChoice, boolean suppressEosConfidence, boolean stopAtEos,
                             boolean fillWithPad, boolean cache, BlockCache blockCache, long seed) {

    public SamplerOptions {
        if (steps < 1) throw new IllegalArgumentException("--steps must be at least 1, got " + steps);
        if (blockLength < 0) throw new IllegalArgumentException("--block must be ≥ 0 (0 = one block), got " + blockLength);
        if (tokens == null || policy == null || blockCache == null) throw new IllegalArgumentException("token chooser, policy and block cache are required");
        if (!(guidance >= 0) || Double.isInfinite(guidance)) throw new IllegalArgumentException("--cfg must be a finite number ≥ 0, got " + guidance);
        if (remask < 0) throw new IllegalArgumentException("--remask must be ≥ 0, got " + remask);
    }

    /** Greedy, confidence policy, no guidance, no remasking, EOS not treated specially, caching on, no block cache, seed 0. */
    public static SamplerOptions of(int steps, int blockLength) {
        return new SamplerOptions(steps, blockLength, TokenChooser.greedy(), new ConfidencePolicy(), 0, 0,
                false, false, false, false, true, BlockCache.NONE, 0);
    }

    public SamplerOptions withTokens(TokenChooser t) {
        return new SamplerOptions(steps, blockLength, t, policy, guidance, remask, suppressEosChoice, suppressEosConfidence, stopAtEos, fillWithPad, cache, blockCache, seed);
    }

    public SamplerOptions withPolicy(UnmaskingPolicy p) {
        return new SamplerOptions(steps, blockLength, tokens, p, guidance, remask, suppressEosChoice, suppressEosConfidence, stopAtEos, fillWithPad, cache, blockCache, seed);
    }

    public SamplerOptions withGuidance(double w) {
        return new SamplerOptions(steps, blockLength, tokens, policy, w, remask, suppressEosChoice, suppressEosConfidence, stopAtEos, fillWithPad, cache, blockCache, seed);
    }

    public SamplerOptions withRemask(int r) {
        return new SamplerOptions(steps, blockLength, tokens, policy, guidance, r, suppressEosChoice, suppressEosConfidence, stopAtEos, fillWithPad, cache, blockCache, seed);
    }

    public SamplerOptions withEos(boolean suppressChoice, boolean suppressConfidence, boolean stop, boolean padFill) {
        return new SamplerOptions(steps, blockLength, tokens, policy, guidance, remask, suppressChoice, suppressConfidence, stop, padFill, cache, blockCache, seed);
    }

    public SamplerOptions withCache(boolean c) {
        return new SamplerOptions(steps, blockLength, tokens, policy, guidance, remask, suppressEosChoice, suppressEosConfidence, stopAtEos, fillWithPad, c, blockCache, seed);
    }

    /** The dual cache, or none. */
    public SamplerOptions withBlockCache(boolean dual) {
        return withBlockCache(dual ? BlockCache.DUAL : BlockCache.NONE);
    }

    public SamplerOptions withBlockCache(BlockCache b) {
        return new SamplerOptions(steps, blockLength, tokens, policy, guidance, remask, suppressEosChoice, suppressEosConfidence, stopAtEos, fillWithPad, cache, b, seed);
    }

    public SamplerOptions withSeed(long s) {
        return new SamplerOptions(steps, blockLength, tokens, policy, guidance, remask, suppressEosChoice, suppressEosConfidence, stopAtEos, fillWithPad, cache, blockCache, s);
    }
}
