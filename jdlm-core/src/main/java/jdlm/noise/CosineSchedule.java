package jdlm.noise;

/**
 * MD4's cosine schedule: α(t) = 1 − cos(π/2 · (1 − t)), scaled into [ε, 1 − ε] as
 * α ← (1 − 2ε)α + ε so the weight stays finite at both ends.
 */
public record CosineSchedule(double eps) implements NoiseSchedule {

    public CosineSchedule {
        if (!(eps >= 0 && eps < 0.5)) throw new IllegalArgumentException("eps must be in [0, 0.5), got " + eps);
    }

    @Override public double alpha(double t) {
        return (1 - 2 * eps) * (1 - Math.cos(Math.PI / 2 * (1 - t))) + eps;
    }

    @Override public double alphaPrime(double t) {
        return -(1 - 2 * eps) * (Math.PI / 2) * Math.sin(Math.PI / 2 * (1 - t));
    }

    @Override public String name() { return "cosine"; }
}
