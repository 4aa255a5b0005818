package jdlm.tensor;

/**
 * Rotary position embedding (Su et al. 2021). Pair i of a head is rotated by the angle
 * {@code pos · θ^(−2i/headDim)}, i ∈ [0, headDim/2). Which two elements form pair i depends on the
 * checkpoint's convention ({@link Style}).
 */
public final class Rope {
    public enum Style {
        /** Llama / LLaDA (GGUF, Meta layout): pair i is (x[2i], x[2i+1]). */
        ADJACENT_PAIRS,
        /** NeoX / Qwen2 / Dream (Hugging Face layout): pair i is (x[i], x[i + headDim/2]). */
        HALVES
    }

    private final int headDim;
    private final int half;
    private final int maxPositions;
    private final Style style;
    /** cos[pos·half + i], sin[pos·half + i]: computed in double, stored as float. */
    private final float[] cos;
    private final float[] sin;

    public Rope(int headDim, double theta, int maxPositions, Style style) {
        if (headDim <= 0 || headDim % 2 != 0) throw new IllegalArgumentException("rope needs an even headDim, got " + headDim);
        if (maxPositions <= 0) throw new IllegalArgumentException("maxPositions must be positive, got " + maxPositions);
        if (!(theta > 0)) throw new IllegalArgumentException("rope theta must be positive, got " + theta);
        this.headDim = headDim;
        this.half = headDim / 2;
        this.maxPositions = maxPositions;
        this.style = style;
        this.cos = new float[Math.multiplyExact(maxPositions, half)];
        this.sin = new float[cos.length];
        for (int i = 0; i < half; i++) {
            double freq = Math.pow(theta, -2.0 * i / headDim);
            for (int p = 0; p < maxPositions; p++) {
                double angle = p * freq;
                cos[p * half + i] = (float) Math.cos(angle);
                sin[p * half + i] = (float) Math.sin(angle);
            }
        }
    }

    public int headDim() {
        return headDim;
    }

    public int maxPositions() {
        return maxPositions;
    }

    public Style style() {
        return style;
    }

    /**
     * Rotates in place every head of {@code rows} rows of {@code nHeads·headDim} floats at xOff; row r
     * is at position startPos + r. {@code inverse} rotates by −angle: the transpose of the rotation,
     * hence also the backward (apply it to the gradient).
     */
    public void apply(float[] x, int xOff, int rows, int nHeads, int startPos, boolean inverse) {
        if (startPos < 0 || startPos + rows > maxPositions) {
            throw new IllegalArgumentException("positions [" + startPos + ", " + (startPos + rows)
                    + ") exceed the rope table of " + maxPositions);
        }
        int stride = nHeads * headDim;
        // element pair (a, b) of pair i: ADJACENT a = 2i, b = 2i+1; HALVES a = i, b = i + half
        int pairStep = style == Style.ADJACENT_PAIRS ? 2 : 1;
        int partner = style == Style.ADJACENT_PAIRS ? 1 : half;
        float sign = inverse ? -1f : 1f;
        for (int r = 0; r < rows; r++) {
            int t = (startPos + r) * half;
            for (int h = 0; h < nHeads; h++) {
                int base = xOff + r * stride + h * headDim;
                for (int i = 0; i < half; i++) {
                    float c = cos[t + i], s = sign * sin[t + i];
                    int a = base + i * pairStep, b = a + partner;
                    float x0 = x[a], x1 = x[b];
                    // [x0', x1'] = [[c, −s], [s, c]] · [x0, x1]
                    x[a] = x0 * c - x1 * s;
                    x[b] = x0 * s + x1 * c;
                }
            }
        }
    }
}
