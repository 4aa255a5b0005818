package jdlm.noise;

/**
 * A masking schedule for absorbing-state diffusion: α(t) is the probability that a token is still
 * clean at time t ∈ [0, 1] (α(0) ≈ 1, α(1) ≈ 0), decreasing in t.
 */
public interface NoiseSchedule {

    /** Probability that a token is still clean at time t. */
    double alpha(double t);

    /** dα/dt at t (negative). */
    double alphaPrime(double t);

    /** Short name for configs and logs, e.g. "linear", "cosine", "poly2". */
    String name();

    /** Probability that a token is masked at time t: 1 − α(t). */
    default double maskProbability(double t) {
        return 1 - alpha(t);
    }

    /**
     * The continuous-time NELBO weight of a masked position, −α′(t) / (1 − α(t))
     * (MDLM eq. 10, MD4 eq. 5).
     */
    default double weight(double t) {
        return -alphaPrime(t) / (1 - alpha(t));
    }

    /** The schedule with this name: linear, cosine, or polyK (K a positive number, e.g. poly2). */
    static NoiseSchedule named(String name) {
        return named(name, 1e-3);
    }

    static NoiseSchedule named(String name, double eps) {
        if (name.equals("linear") || name.equals("loglinear")) return new LinearSchedule(eps);
        if (name.equals("cosine")) return new CosineSchedule(eps);
        if (name.startsWith("poly")) {
            try {
                return new PolynomialSchedule(Double.parseDouble(name.substring(4)), eps);
            } catch (NumberFormatException e) {
                // fall through to the error below
            }
        }
        throw new IllegalArgumentException("unknown schedule '" + name + "'; expected linear, cosine or polyK (e.g. poly2)");
    }
}
