package jdlm.noise;

import java.util.SplittableRandom;

/**
 * The absorbing-state forward process q(x_t | x₀): each token independently stays with
 * probability α(t), else becomes the MASK token.
 */
public final class AbsorbingProcess {
    private final int maskId;

    public AbsorbingProcess(int maskId) {
        this.maskId = maskId;
    }

    public int maskId() { return maskId; }

    /**
     * Writes x_t for {@code n} tokens: {@code xt[off+i] = MASK} with probability {@code pMask},
     * else {@code x0[off+i]}. Returns how many were masked.
     */
    public int corrupt(int[] x0, int[] xt, int off, int n, double pMask, SplittableRandom rng) {
        int masked = 0;
        for (int i = off; i < off + n; i++) {
            if (rng.nextDouble() < pMask) {
                xt[i] = maskId;
                masked++;
            } else {
                xt[i] = x0[i];
            }
        }
        return masked;
    }

    /** Masks exactly {@code count} of the {@code n} positions, chosen uniformly (LLaDA's low-variance bound). */
    public void corruptExactly(int[] x0, int[] xt, int off, int n, int count, SplittableRandom rng) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        for (int i = 0; i < count; i++) { // partial Fisher–Yates: the first `count` are a uniform subset
            int j = i + rng.nextInt(n - i);
            int tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
        System.arraycopy(x0, off, xt, off, n);
        for (int i = 0; i < count; i++) xt[off + order[i]] = maskId;
    }
}
