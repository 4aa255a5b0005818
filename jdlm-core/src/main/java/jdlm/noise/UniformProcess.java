package jdlm.noise;

import java.util.SplittableRandom;

/**
 * The uniform (multinomial) forward process of D3PM (DESIGN.md §4): each token stays with
 * probability α(t), else becomes one of the K states drawn uniformly (itself included), so
 * q(x_t | x₀) = α_t·x₀ + (1 − α_t)/K. The states are every token id but MASK, which uniform
 * diffusion never uses (K = vocab − 1).
 *
 * <p>The reverse step from t to s < t (D3PM's parameterisation, the predicted x₀ distribution put
 * in place of x₀): p(x_s = y | x_t = z) ∝ c_y · (α_s·x̂₀(y) + (1 − α_s)/K), with
 * c_y = q(x_t = z | x_s = y) = r·[y = z] + (1 − r)/K and r = α_t/α_s. With x̂₀ one-hot at x₀ it is the
 * true posterior q(x_s | x_t, x₀).
 */
public final class UniformProcess {
    private final int vocab;
    private final int maskId;
    private final int states;

    public UniformProcess(int vocab, int maskId) {
        if (maskId < 0 || maskId >= vocab) throw new IllegalArgumentException("MASK " + maskId + " is outside the vocabulary of " + vocab);
        this.vocab = vocab;
        this.maskId = maskId;
        this.states = vocab - 1;
    }

    public int maskId() { return maskId; }

    /** A state drawn uniformly: any token id but MASK. */
    public int randomState(SplittableRandom rng) {
        int k = rng.nextInt(states);
        return k >= maskId ? k + 1 : k;
    }

    /** Writes x_t for {@code n} tokens from {@code off}: x₀ with probability α, else a uniform state. */
    public void corrupt(int[] x0, int[] xt, int off, int n, double alpha, SplittableRandom rng) {
        for (int i = off; i < off + n; i++) xt[i] = rng.nextDouble() < alpha ? x0[i] : randomState(rng);
    }

    /**
     * The unnormalised reverse step into {@code out} (length vocab, MASK's entry 0):
     * out[y] = c_y·(α_s·x0[y] + (1 − α_s)/K) for the current token z; returns their sum.
     * {@code x0} is a distribution over the vocabulary (MASK's entry ignored).
     */
    public double reverse(double[] x0, int z, double alphaS, double alphaT, double[] out) {
        double r = alphaT / alphaS, other = (1 - r) / states, noise = (1 - alphaS) / states, sum = 0;
        for (int y = 0; y < vocab; y++) {
            if (y == maskId) {
                out[y] = 0;
                continue;
            }
            out[y] = (y == z ? r + other : other) * (alphaS * x0[y] + noise);
            sum += out[y];
        }
        return sum;
    }

    /**
     * KL(q(x_s | x_t = z, x₀) ‖ p(x_s | x_t = z)) with p built from {@code probs} (x̂₀, MASK's
     * entry 0); when {@code grad} is non-null it receives dKL/dprobs[y] = α_s·c_y·(1/U − q_y/u_y),
     * u the unnormalised p and U its sum.
     */
    public double kl(int x0, double[] probs, int z, double alphaS, double alphaT, double[] scratchQ, double[] scratchU, double[] grad) {
        double[] oneHot = scratchQ;
        java.util.Arrays.fill(oneHot, 0);
        oneHot[x0] = 1;
        double zq = reverse(oneHot, z, alphaS, alphaT, scratchQ);
        double zu = reverse(probs, z, alphaS, alphaT, scratchU);
        double r = alphaT / alphaS, other = (1 - r) / states, kl = 0;
        for (int y = 0; y < vocab; y++) {
            if (y == maskId) {
                if (grad != null) grad[y] = 0;
                continue;
            }
            double q = scratchQ[y] / zq;
            if (q > 0) kl += q * Math.log(q * zu / scratchU[y]);
            if (grad != null) grad[y] = alphaS * (y == z ? r + other : other) * (1 / zu - (q > 0 ? q / scratchU[y] : 0));
        }
        return kl;
    }

    /** The model's x̂₀ from a row of logits at {@code off}: softmax in float64, MASK's probability 0. */
    public void predicted(float[] logits, int off, double[] probs) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int y = 0; y < vocab; y++) if (y != maskId) max = Math.max(max, logits[off + y]);
        for (int y = 0; y < vocab; y++) {
            probs[y] = y == maskId ? 0 : Math.exp(logits[off + y] - max);
            sum += probs[y];
        }
        for (int y = 0; y < vocab; y++) probs[y] /= sum;
    }

    /** KL(q(x_1 | x₀) ‖ uniform) per token: the prior term of the bound (it is the same for every x₀). */
    public double priorKl(double alpha1) {
        double stay = alpha1 + (1 - alpha1) / states, move = (1 - alpha1) / states;
        double kl = stay * Math.log(stay * states);
        if (move > 0) kl += (states - 1) * move * Math.log(move * states);
        return kl;
    }
}
