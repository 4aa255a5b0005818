package jdlm.eval;

/**
 * A Monte-Carlo estimate of a per-token quantity in nats: mean and standard error over independent
 * samples, and how many tokens (and bytes of text, when known) it covers.
 */
public record Estimate(String method, double natsPerToken, double standardError, long samples, long tokens) {

    private static final double LN2 = Math.log(2);

    public double bitsPerToken() { return natsPerToken / LN2; }

    public double bitsPerTokenError() { return standardError / LN2; }

    /** Bits per byte of text, given how many bytes the evaluated tokens decode to. */
    public double bitsPerByte(double bytesPerToken) { return bitsPerToken() / bytesPerToken; }

    /** Mean and standard error of per-sequence values (each already in nats per token). */
    static Estimate of(String method, double[] values, long tokens) {
        int n = values.length;
        double mean = 0;
        for (double v : values) mean += v;
        mean /= n;
        double var = 0;
        for (double v : values) var += (v - mean) * (v - mean);
        double se = n > 1 ? Math.sqrt(var / (n - 1) / n) : Double.NaN;
        return new Estimate(method, mean, se, n, tokens);
    }
}
