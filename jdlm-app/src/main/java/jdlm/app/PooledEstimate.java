package jdlm.app;

import jdlm.eval.Estimate;

/**
 * Joins the estimates of consecutive chunks of windows into one, as if all values had been averaged
 * at once: each chunk's mean and standard error give back its sum and sum of squares
 * (Σx² = SE²·n·(n−1) + n·mean²), so the pooled mean and standard error are exact.
 * Evaluating in chunks is what lets {@code jdlm eval} show progress.
 */
final class PooledEstimate {
    private String method;
    private long n, tokens;
    private double sum, sumSquares;

    void add(Estimate e) {
        method = e.method();
        long k = e.samples();
        double se = Double.isNaN(e.standardError()) ? 0 : e.standardError();
        sum += k * e.natsPerToken();
        sumSquares += se * se * k * (k - 1) + k * e.natsPerToken() * e.natsPerToken();
        n += k;
        tokens += e.tokens();
    }

    Estimate result() {
        if (n == 0) throw new IllegalStateException("no chunk was evaluated");
        double mean = sum / n;
        double se = n > 1 ? Math.sqrt(Math.max(0, sumSquares - n * mean * mean) / (n - 1) / n) : Double.NaN;
        return new Estimate(method, mean, se, n, tokens);
    }
}
