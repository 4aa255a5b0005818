package jdlm.sample;

/**
 * Settings of autoregressive generation with the causal twin.
 *
 * @param maxNewTokens most tokens to generate
 * @param tokens       token choice: temperature, top-k, top-p
 * @param eos          generation stops after this token; −1 never stops early
 * @param seed         seed of the token noise
 */
public record AutoregressiveOptions(int maxNewTokens, TokenChooser tokens, int eos, long seed) {
    public AutoregressiveOptions {
        if (maxNewTokens < 1) throw new IllegalArgumentException("--max-tokens must be at least 1, got " + maxNewTokens);
        if (tokens == null) throw new IllegalArgumentException("token chooser is required");
    }
}
