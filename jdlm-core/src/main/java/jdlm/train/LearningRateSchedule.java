package jdlm.train;

/**
 * Learning rate by step: linear warm-up to {@code peak}, then either cosine decay to {@code min}
 * at {@code totalSteps}, or warm-up-stable-decay (WSD: constant, then a linear decay to
 * {@code min} over the last {@code decayFraction} of the steps).
 */
public record LearningRateSchedule(Kind kind, double peak, double min, int warmupSteps, int totalSteps, double decayFraction) {

    public enum Kind { COSINE, WSD, CONSTANT }

    public LearningRateSchedule {
        if (!(peak > 0)) throw new IllegalArgumentException("learning rate must be positive, got " + peak);
        if (!(min >= 0 && min <= peak)) throw new IllegalArgumentException("minimum learning rate must be in [0, " + peak + "], got " + min);
        if (warmupSteps < 0 || totalSteps < 1) throw new IllegalArgumentException("need warmup ≥ 0 and total steps ≥ 1");
        if (!(decayFraction >= 0 && decayFraction <= 1)) throw new IllegalArgumentException("decay fraction must be in [0, 1], got " + decayFraction);
    }

    /** Learning rate for the update that follows {@code step} completed steps (0-based). */
    public double at(int step) {
        if (step < warmupSteps) return peak * (step + 1) / warmupSteps;
        return switch (kind) {
            case CONSTANT -> peak;
            case COSINE -> {
                double span = Math.max(1, totalSteps - warmupSteps);
                double progress = Math.min(1, (step - warmupSteps) / span);
                yield min + 0.5 * (peak - min) * (1 + Math.cos(Math.PI * progress));
            }
            case WSD -> {
                int decaySteps = (int) Math.round(decayFraction * totalSteps);
                int decayStart = totalSteps - decaySteps;
                if (step < decayStart || decaySteps == 0) yield peak;
                double progress = Math.min(1, (double) (step - decayStart) / decaySteps);
                yield peak + (min - peak) * progress;
            }
        };
    }
}
