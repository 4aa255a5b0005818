package jdlm.train;

/** Training stopped because the loss or the gradient became NaN or infinite. */
public final class NonFiniteLossException extends RuntimeException {
    private final int step;

    public NonFiniteLossException(int step, double loss, double gradNorm) {
        super("loss became non-finite at step " + step + " (loss " + loss + ", gradient norm " + gradNorm
                + "); the parameters of the last good step were kept. Lower --lr, tighten --clip, or check the data.");
        this.step = step;
    }

    public int step() { return step; }
}
