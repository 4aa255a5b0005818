package jdlm.noise;

/** MD4's polynomial schedule: α(t) = 1 − t^k, scaled into [ε, 1 − ε] as α ← (1 − 2ε)α + ε. */
public record PolynomialSchedule(double k, double eps) implements NoiseSchedule {

    public PolynomialSchedule {
        if (!(k > 0)) throw new IllegalArgumentException("polynomial exponent k must be positive, got " + k);
        if (!(eps >= 0 && eps < 0.5)) throw new IllegalArgumentException("eps must be in [0, 0.5), got " + eps);
    }

    @Override public double alpha(double t) { return (1 - 2 * eps) * (1 - Math.pow(t, k)) + eps; }
    @Override public double alphaPrime(double t) { return -(1 - 2 * eps) * k * Math.pow(t, k - 1); }

    @Override public String name() {
        return k == Math.rint(k) ? "poly" + (long) k : "poly" + k;
    }
}
