package jdlm.noise;

import java.util.SplittableRandom;

/**
 * Diffusion times for a batch. Antithetic (MDLM): one u ~ U[0,1) per batch and
 * t_i = (1 − ε)·((u + i/B) mod 1) + ε, which spreads the batch evenly over (ε, 1] and lowers the
 * variance of the loss.
 */
public final class TimeSampler {
    private final double eps;
    private final boolean antithetic;

    public TimeSampler(double eps, boolean antithetic) {
        if (!(eps >= 0 && eps < 1)) throw new IllegalArgumentException("eps must be in [0, 1), got " + eps);
        this.eps = eps;
        this.antithetic = antithetic;
    }

    public double[] sample(int batch, SplittableRandom rng) {
        double[] t = new double[batch];
        double u = rng.nextDouble();
        for (int i = 0; i < batch; i++) {
            double v = antithetic ? (u + (double) i / batch) % 1.0 : (i == 0 ? u : rng.nextDouble());
            t[i] = (1 - eps) * v + eps;
        }
        return t;
    }
}
