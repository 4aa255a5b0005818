package jdlm.sample;

/**
 * Token ids the sampler treats specially. {@code eos} and {@code pad} may be −1 (the vocabulary has none).
 *
 * @param mask the absorbing MASK token; never chosen (SUBS: a masked-diffusion model never predicts it)
 * @param eos  end of sequence
 * @param pad  padding; fills an answer after its EOS when asked, and pads rows of the result arrays
 */
public record SpecialTokens(int mask, int eos, int pad) {
    public SpecialTokens {
        if (mask < 0) throw new IllegalArgumentException("mask token id must be non-negative, got " + mask);
    }

    public static SpecialTokens maskOnly(int mask) { return new SpecialTokens(mask, -1, -1); }
}
