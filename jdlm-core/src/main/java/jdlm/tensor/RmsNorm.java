package jdlm.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Root-mean-square layer norm (Zhang and Sennrich 2019), as in Llama / LLaDA: no mean
 * subtraction, no bias. Rows of {@code dim} floats, one weight vector shared by all rows.
 */
public final class RmsNorm {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Float lanes are flushed into a double every this many elements: keeps norms over 4k+ dims exact to ~1e-7. */
    private static final int FLUSH = 1024;

    private RmsNorm() {}

    /**
     * {@code out[r,:] = x[r,:] · rstd[r] · weight[wOff..]}, {@code rstd[r] = 1/sqrt(mean(x[r,:]²) + eps)}.
     * {@code rstd} (length ≥ rows) is saved for backward when non-null. {@code out} may be {@code x}.
     */
    public static void forward(float[] out, float[] x, float[] weight, int wOff, float[] rstd,
                               int rows, int dim, float eps) {
        for (int r = 0; r < rows; r++) {
            int o = r * dim;
            float rs = (float) (1.0 / Math.sqrt(sumOfSquares(x, o, dim) / dim + eps));
            if (rstd != null) rstd[r] = rs;
            FloatVector vr = FloatVector.broadcast(F, rs);
            int j = 0;
            for (int up = F.loopBound(dim); j < up; j += F.length()) {
                FloatVector.fromArray(F, x, o + j).mul(vr).mul(FloatVector.fromArray(F, weight, wOff + j))
                        .intoArray(out, o + j);
            }
            for (; j < dim; j++) out[o + j] = x[o + j] * rs * weight[wOff + j];
        }
    }

    /**
     * Backward of {@link #forward} with the saved {@code rstd}; accumulates (+=) into dx and dWeight.
     * With y_j = x_j·ρ·w_j and ρ = (mean(x²)+ε)^(-1/2):
     * {@code dx_j = ρ·w_j·g_j − ρ³/dim · x_j · Σ_k g_k·w_k·x_k},  {@code dw_j = Σ_r g_j·x_j·ρ}.
     */
    public static void backward(float[] dx, float[] dWeight, int dwOff, float[] dOut, float[] x,
                                float[] weight, int wOff, float[] rstd, int rows, int dim) {
        for (int r = 0; r < rows; r++) {
            int o = r * dim;
            float rs = rstd[r];
            // Σ_k g_k w_k x_k
            FloatVector acc = FloatVector.zero(F);
            int j = 0;
            double dot = 0;
            int up = F.loopBound(dim);
            for (int start = 0; j < up; start = j) {
                int blockEnd = Math.min(up, start + FLUSH);
                for (; j < blockEnd; j += F.length()) {
                    FloatVector g = FloatVector.fromArray(F, dOut, o + j);
                    acc = g.mul(FloatVector.fromArray(F, weight, wOff + j)).fma(FloatVector.fromArray(F, x, o + j), acc);
                }
                dot += LaneSum.of(acc);
                acc = FloatVector.zero(F);
            }
            for (; j < dim; j++) dot += (double) dOut[o + j] * weight[wOff + j] * x[o + j];
            float c = (float) ((double) rs * rs * rs * dot / dim);

            FloatVector vrs = FloatVector.broadcast(F, rs);
            FloatVector vc = FloatVector.broadcast(F, -c);
            j = 0;
            for (; j < up; j += F.length()) {
                FloatVector g = FloatVector.fromArray(F, dOut, o + j);
                FloatVector xv = FloatVector.fromArray(F, x, o + j);
                FloatVector w = FloatVector.fromArray(F, weight, wOff + j);
                // dx += ρ·w·g − c·x
                FloatVector d = g.mul(w).mul(vrs).add(xv.mul(vc));
                d.add(FloatVector.fromArray(F, dx, o + j)).intoArray(dx, o + j);
                // dw += g·x·ρ
                g.mul(xv).fma(vrs, FloatVector.fromArray(F, dWeight, dwOff + j)).intoArray(dWeight, dwOff + j);
            }
            for (; j < dim; j++) {
                float g = dOut[o + j], xv = x[o + j], w = weight[wOff + j];
                dx[o + j] += g * w * rs - c * xv;
                dWeight[dwOff + j] += g * xv * rs;
            }
        }
    }

    /** Σ x[off..off+n)² with float vector lanes flushed to double every {@link #FLUSH} elements. */
    static double sumOfSquares(float[] x, int off, int n) {
        double sum = 0;
        int j = 0;
        int up = F.loopBound(n);
        while (j < up) {
            int blockEnd = Math.min(up, j + FLUSH);
            FloatVector acc = FloatVector.zero(F);
            for (; j < blockEnd; j += F.length()) {
                FloatVector v = FloatVector.fromArray(F, x, off + j);
                acc = v.fma(v, acc);
            }
            sum += LaneSum.of(acc);
        }
        for (; j < n; j++) sum += (double) x[off + j] * x[off + j];
        return sum;
    }
}
