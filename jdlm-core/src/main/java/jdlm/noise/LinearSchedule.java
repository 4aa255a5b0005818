package jdlm.noise;

/**
 * MDLM's "log-linear" schedule: α(t) = 1 − (1 − ε)t, so the NELBO weight −α′/(1 − α) is exactly 1/t.
 */
public record LinearSchedule(double eps) implements NoiseSchedule {

    public LinearSchedule {
        if (!(eps >= 0 && eps < 1)) throw new IllegalArgumentException("eps must be in [0, 1), got " + eps);
    }

    @Override public double alpha(double t) { return 1 - (1 - eps) * t; }
    @Override public double alphaPrime(double t) { return -(1 - eps); }
    @Override public double weight(double t) { return 1 / t; } // (1−ε)/((1−ε)t), without the rounding
    @Override public String name() { return "linear"; }
}
