package jdlm.app;

import jdlm.sample.StepEvent;
import jdlm.sample.StepListener;

/**
 * A progress line for a generation that takes a while (a large imported model: seconds per step),
 * on stderr; nothing for one that ends within its first {@code quietSeconds} ({@link #QUIET_SECONDS}
 * for the commands), so quick runs stay quiet. {@code total} is the planned number of steps (a
 * diffusion sampler may end sooner, at EOS).
 */
final class GenerationProgress implements StepListener {
    static final double QUIET_SECONDS = 2;

    private final long total;
    private final String unit;
    private final double quietSeconds;
    private final long start = System.nanoTime();
    private ProgressBar bar;
    private long shownFrom;

    GenerationProgress(long total, String unit, double quietSeconds) {
        this.total = total;
        this.unit = unit;
        this.quietSeconds = quietSeconds;
    }

    @Override
    public void onStep(StepEvent e) {
        long done = e.finished() ? total : Math.min(total, e.step() + 1);
        if (bar == null) {
            if (e.finished() || (System.nanoTime() - start) / 1e9 < quietSeconds) return;
            bar = new ProgressBar(total);
            shownFrom = done;
        }
        bar.update(done, shownFrom, unit + ", " + e.forwardPasses() + (e.forwardPasses() == 1 ? " forward pass" : " forward passes"));
    }
}
