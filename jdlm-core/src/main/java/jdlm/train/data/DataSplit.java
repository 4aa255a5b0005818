package jdlm.train.data;

/**
 * Training and held-out validation ranges of one token file.
 *
 * <p>Rule: the stream is cut into {@code W = ⌊tokens / seqLen⌋} whole windows; the last
 * {@code max(1, round(W · valFraction))} windows are validation and all windows before them are
 * training (a leftover tail shorter than one window is used by neither). The cut is on a window
 * boundary, so no token index is in both. With {@code valFraction = 0} there is no validation
 * range; a separate validation file is then the way to measure held-out loss.
 */
public record DataSplit(TokenRange train, TokenRange validation) {

    public static DataSplit lastFraction(long tokens, int seqLen, double valFraction) {
        if (seqLen <= 0) throw new IllegalArgumentException("sequence length must be positive, got " + seqLen);
        if (!(valFraction >= 0 && valFraction < 1)) {
            throw new IllegalArgumentException("validation fraction must be in [0, 1), got " + valFraction);
        }
        long windows = tokens / seqLen;
        long valWindows = valFraction == 0 ? 0 : Math.max(1, Math.round(windows * valFraction));
        long trainWindows = windows - valWindows;
        if (trainWindows < 1) {
            throw new IllegalArgumentException("the corpus has " + tokens + " tokens = " + windows
                    + " windows of " + seqLen + ", too few to hold out " + valWindows
                    + " for validation and still train; use more text, a shorter sequence length or no"
                    + " validation fraction");
        }
        long cut = trainWindows * seqLen;
        return new DataSplit(new TokenRange(0, cut),
                valWindows == 0 ? null : new TokenRange(cut, cut + valWindows * seqLen));
    }

    /** A whole file for training, none held out (e.g. when validation comes from another file). */
    public static DataSplit all(long tokens) {
        return new DataSplit(new TokenRange(0, tokens), null);
    }
}
