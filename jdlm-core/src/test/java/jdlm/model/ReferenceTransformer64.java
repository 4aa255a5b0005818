package jdlm.model;

import jdlm.tensor.Rope;

/**
 * An independent float64 implementation of the architecture, written as plain loops straight from
 * the formulas, used only as the reference the float32 engine is checked against.
 */
public final class ReferenceTransformer64 {
    private final ModelConfig c;
    private final ParameterLayout layout;

    public ReferenceTransformer64(ModelConfig c) {
        this.c = c;
        this.layout = new ParameterLayout(c);
    }

    /** Logits [T][V] of one sequence, parameters given in double at the layout's offsets. */
    public double[][] logits(double[] p, int[] tokens) {
        int T = tokens.length, D = c.dim();
        double[][] x = new double[T][D];
        for (int t = 0; t < T; t++) {
            for (int i = 0; i < D; i++) x[t][i] = p[layout.tokenEmbedding().offset() + tokens[t] * D + i];
        }
        for (int l = 0; l < c.layers(); l++) {
            ParameterLayout.Block w = layout.block(l);
            double[][] xn = rmsnorm(x, p, w.attnNorm().offset());
            double[][] q = matmulT(xn, p, w.wq());
            double[][] k = matmulT(xn, p, w.wk());
            double[][] v = matmulT(xn, p, w.wv());
            if (c.qkvBias()) {
                addBias(q, p, w.bq());
                addBias(k, p, w.bk());
                addBias(v, p, w.bv());
            }
            rope(q, c.heads());
            rope(k, c.kvHeads());
            double[][] att = attention(q, k, v);
            double[][] o = matmulT(att, p, w.wo());
            for (int t = 0; t < T; t++) for (int i = 0; i < D; i++) x[t][i] += o[t][i];
            double[][] xn2 = rmsnorm(x, p, w.ffnNorm().offset());
            double[][] g = matmulT(xn2, p, w.wGate());
            double[][] u = matmulT(xn2, p, w.wUp());
            double[][] h = new double[T][c.hiddenDim()];
            for (int t = 0; t < T; t++) {
                for (int j = 0; j < c.hiddenDim(); j++) {
                    double s = g[t][j] / (1 + Math.exp(-g[t][j]));
                    h[t][j] = s * u[t][j];
                }
            }
            double[][] m = matmulT(h, p, w.wDown());
            for (int t = 0; t < T; t++) for (int i = 0; i < D; i++) x[t][i] += m[t][i];
        }
        double[][] xf = rmsnorm(x, p, layout.outputNorm().offset());
        double[][] logits = matmulT(xf, p, layout.output());
        if (!c.shiftLogits()) return logits;
        // Dream: position t reads the hidden state of t − 1; position 0 keeps its own
        double[][] shifted = new double[T][];
        shifted[0] = logits[0];
        for (int t = 1; t < T; t++) shifted[t] = logits[t - 1];
        return shifted;
    }

    private static void addBias(double[][] y, double[] p, ParameterLayout.View b) {
        for (double[] row : y) for (int j = 0; j < row.length; j++) row[j] += p[b.offset() + j];
    }

    private double[][] rmsnorm(double[][] x, double[] p, int gOff) {
        int T = x.length, D = x[0].length;
        double[][] y = new double[T][D];
        for (int t = 0; t < T; t++) {
            double ss = 0;
            for (int i = 0; i < D; i++) ss += x[t][i] * x[t][i];
            double r = 1 / Math.sqrt(ss / D + c.normEps());
            for (int i = 0; i < D; i++) y[t][i] = x[t][i] * r * p[gOff + i];
        }
        return y;
    }

    private static double[][] matmulT(double[][] x, double[] p, ParameterLayout.View w) {
        int T = x.length, out = w.rows(), in = w.cols();
        double[][] y = new double[T][out];
        for (int t = 0; t < T; t++) {
            for (int o = 0; o < out; o++) {
                double s = 0;
                for (int i = 0; i < in; i++) s += x[t][i] * p[w.offset() + o * in + i];
                y[t][o] = s;
            }
        }
        return y;
    }

    private void rope(double[][] x, int heads) {
        int hd = c.headDim();
        for (int t = 0; t < x.length; t++) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < hd / 2; i++) {
                    double freq = Math.pow(c.ropeTheta(), -2.0 * i / hd);
                    double ang = t * freq, cos = Math.cos(ang), sin = Math.sin(ang);
                    int a, b;
                    if (c.ropeStyle() == Rope.Style.ADJACENT_PAIRS) {
                        a = h * hd + 2 * i;
                        b = a + 1;
                    } else {
                        a = h * hd + i;
                        b = a + hd / 2;
                    }
                    double xa = x[t][a], xb = x[t][b];
                    x[t][a] = xa * cos - xb * sin;
                    x[t][b] = xa * sin + xb * cos;
                }
            }
        }
    }

    private double[][] attention(double[][] q, double[][] k, double[][] v) {
        int T = q.length, hd = c.headDim(), group = c.heads() / c.kvHeads();
        double[][] out = new double[T][c.qDim()];
        double scale = 1 / Math.sqrt(hd);
        for (int h = 0; h < c.heads(); h++) {
            int kh = h / group;
            for (int t = 0; t < T; t++) {
                int visible = c.causal() ? t + 1 : c.blockCausal() ? Math.min(T, (t / c.blockSize() + 1) * c.blockSize()) : T;
                double[] s = new double[visible];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < visible; j++) {
                    double d = 0;
                    for (int i = 0; i < hd; i++) d += q[t][h * hd + i] * k[j][kh * hd + i];
                    s[j] = d * scale;
                    max = Math.max(max, s[j]);
                }
                double z = 0;
                for (int j = 0; j < visible; j++) {
                    s[j] = Math.exp(s[j] - max);
                    z += s[j];
                }
                for (int j = 0; j < visible; j++) {
                    for (int i = 0; i < hd; i++) out[t][h * hd + i] += s[j] / z * v[j][kh * hd + i];
                }
            }
        }
        return out;
    }
}
