package jdlm.tensor;

/**
 * Which keys each query row of {@link Attention} sees. Positions are row indices of the attention's
 * layout: query row t of a call sits at {@code qPos0 + t}, key row s at s. A query at position p
 * sees the prefix of keys [0, end(p)), end never decreasing in p, less at most one hidden range
 * [hiddenFrom(p), hiddenTo(p)). That covers:
 * <ul>
 * <li>bidirectional (LLaDA): every key;</li>
 * <li>causal (the AR twin): keys up to p;</li>
 * <li>block-causal with blocks of b (BD3-LM): the keys of p's block and of every earlier one —
 *     causal is the case b = 1;</li>
 * <li>BD3-LM's training layout, rows [x₀ | x_t] of two halves of L: a clean row sees the clean rows
 *     of its block and before (block-causal), a noisy row the clean rows of earlier blocks and the
 *     noisy rows of its own block, so one pass scores every block given the clean text before it.</li>
 * </ul>
 */
public final class AttentionMask {
    public static final AttentionMask BIDIRECTIONAL = new AttentionMask(0, 0);
    public static final AttentionMask CAUSAL = new AttentionMask(1, 0);

    private final int block; // 0: bidirectional
    private final int half;  // > 0: the training layout [x₀ | x_t], each half this long

    private AttentionMask(int block, int half) {
        this.block = block;
        this.half = half;
    }

    /** Blocks of {@code block} positions from position 0, each seeing itself and the blocks before. */
    public static AttentionMask blockCausal(int block) {
        if (block < 1) throw new IllegalArgumentException("block size must be ≥ 1, got " + block);
        return block == 1 ? CAUSAL : new AttentionMask(block, 0);
    }

    /** BD3-LM's training layout: rows [x₀ (length) | x_t (length)] with blocks of {@code block}. */
    public static AttentionMask blockDiffusionTraining(int block, int length) {
        if (block < 1 || length < 1) throw new IllegalArgumentException("block and length must be ≥ 1, got " + block + " and " + length);
        return new AttentionMask(block, length);
    }

    /** True for the plain causal mask (one more key per row: the kernels use a staircase). */
    public boolean causal() { return block == 1 && half == 0; }

    /** End of the visible prefix of the query at position p, at most S. */
    public int end(int p, int S) {
        if (block == 0) return S;
        if (half == 0) return Math.min(S, (p / block + 1) * block);
        if (p < half) return Math.min(S, Math.min(half, (p / block + 1) * block));
        return Math.min(S, half + Math.min(half, ((p - half) / block + 1) * block));
    }

    /** Start of the hidden range of the query at position p (equal to {@link #hiddenTo} when there is none). */
    public int hiddenFrom(int p) {
        return half == 0 || p < half ? 0 : (p - half) / block * block;
    }

    /** End (exclusive) of the hidden range of the query at position p. */
    public int hiddenTo(int p) {
        return half == 0 || p < half ? 0 : half + (p - half) / block * block;
    }

    @Override
    public String toString() {
        return block == 0 ? "bidirectional" : causal() ? "causal" : half == 0 ? "block-causal(" + block + ")"
                : "block-diffusion-training(" + block + ", " + half + ")";
    }
}
