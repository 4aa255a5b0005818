package jdlm.tensor;

import static jdlm.tensor.GradientCheck.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Test;

class AttentionTest {
    /**
     * A mask as the test states it, from its definition (independent of AttentionMask's arithmetic):
     * b bidirectional, c causal, k block-causal, d BD3-LM's training layout [x₀ | x_t] of two halves.
     */
    record Mask(char kind, int block, int half) {
        static final Mask BI = new Mask('b', 0, 0), CAUSAL = new Mask('c', 1, 0);

        static Mask blockCausal(int block) { return new Mask('k', block, 0); }
        static Mask blockDiffusion(int block, int half) { return new Mask('d', block, half); }

        AttentionMask kernel() {
            return switch (kind) {
                case 'b' -> AttentionMask.BIDIRECTIONAL;
                case 'c' -> AttentionMask.CAUSAL;
                case 'k' -> AttentionMask.blockCausal(block);
                default -> AttentionMask.blockDiffusionTraining(block, half);
            };
        }

        /** Does the query at position p see key s? */
        boolean sees(int p, int s) {
            return switch (kind) {
                case 'b' -> true;
                case 'c' -> s <= p;
                case 'k' -> s / block <= p / block;
                default -> {
                    boolean noisyQuery = p >= half, noisyKey = s >= half;
                    int qBlock = (noisyQuery ? p - half : p) / block, kBlock = (noisyKey ? s - half : s) / block;
                    if (!noisyQuery) yield !noisyKey && kBlock <= qBlock;   // clean rows: block-causal over clean rows
                    yield noisyKey ? kBlock == qBlock : kBlock < qBlock;      // noisy rows: own noisy block, earlier clean blocks
                }
            };
        }
    }

    /** A test shape: T queries, S keys, heads, kv heads, head size, mask, first query position. */
    record Shape(int T, int S, int nHeads, int nKv, int hd, Mask mask, int qPos0) {
        int qLen() { return T * nHeads * hd; }
        int kvLen() { return S * nKv * hd; }
    }

    /** Float64 attention, plain loops; also fills probs[(h·T + t)·S + s] when non-null. */
    static double[] reference(double[] q, double[] k, double[] v, Shape sh, double[] probs) {
        int hd = sh.hd, group = sh.nHeads / sh.nKv, qs = sh.nHeads * hd, ks = sh.nKv * hd;
        double[] out = new double[sh.qLen()];
        double scale = 1 / Math.sqrt(hd);
        for (int h = 0; h < sh.nHeads; h++) {
            int g = h / group;
            for (int t = 0; t < sh.T; t++) {
                double[] p = new double[sh.S];
                double max = Double.NEGATIVE_INFINITY;
                for (int s = 0; s < sh.S; s++) {
                    if (!sh.mask.sees(sh.qPos0 + t, s)) { p[s] = Double.NEGATIVE_INFINITY; continue; }
                    double dot = 0;
                    for (int d = 0; d < hd; d++) dot += q[t * qs + h * hd + d] * k[s * ks + g * hd + d];
                    p[s] = dot * scale;
                    max = Math.max(max, p[s]);
                }
                double sum = 0;
                for (int s = 0; s < sh.S; s++) sum += p[s] = Math.exp(p[s] - max);
                for (int s = 0; s < sh.S; s++) {
                    p[s] /= sum;
                    if (probs != null) probs[(h * sh.T + t) * sh.S + s] = p[s];
                    for (int d = 0; d < hd; d++) out[t * qs + h * hd + d] += p[s] * v[s * ks + g * hd + d];
                }
            }
        }
        return out;
    }

    static float[] withOffset(float[] x, int off) {
        float[] y = new float[off + x.length + 3];
        System.arraycopy(x, 0, y, off, x.length);
        return y;
    }

    static float[] slice(float[] x, int off, int n) {
        return java.util.Arrays.copyOfRange(x, off, off + n);
    }

    /** Runs the kernel's forward with every array at a different offset; returns out and probs (unpadded). */
    static float[][] forward(float[] q, float[] k, float[] v, Shape sh) {
        int probsLen = sh.nHeads * sh.T * sh.S;
        float[] out = new float[1 + sh.qLen() + 3];
        float[] probs = new float[5 + probsLen];
        java.util.Arrays.fill(probs, 7f);   // masked entries must be overwritten with 0
        Attention.forward(out, 1, withOffset(q, 2), 2, withOffset(k, 3), 3, withOffset(v, 4), 4,
                probs, 5, sh.T, sh.S, sh.nHeads, sh.nKv, sh.hd, sh.mask.kernel(), sh.qPos0);
        return new float[][] {slice(out, 1, sh.qLen()), slice(probs, 5, probsLen)};
    }

    static final Shape[] FORWARD_SHAPES = {
        new Shape(5, 5, 4, 2, 7, Mask.BI, 0),
        new Shape(5, 9, 4, 1, 7, Mask.CAUSAL, 4),     // KV-cache shape, multi-query
        new Shape(3, 7, 2, 2, 16, Mask.BI, 0),   // T != S bidirectional
        new Shape(40, 40, 2, 2, 64, Mask.CAUSAL, 0),  // crosses the query block and the key step
        new Shape(1, 70, 4, 2, 13, Mask.CAUSAL, 69),  // one decode step
        new Shape(6, 70, 3, 3, 128, Mask.BI, 0),
        new Shape(130, 130, 2, 1, 16, Mask.BI, 0), // several query blocks, bidirectional
        new Shape(100, 100, 2, 2, 8, Mask.CAUSAL, 0),
        new Shape(37, 37, 2, 1, 8, Mask.blockCausal(8), 0),        // block-causal, last block partial
        new Shape(5, 21, 4, 2, 6, Mask.blockCausal(4), 16),        // block-causal rows over a cache
        new Shape(48, 48, 2, 2, 8, Mask.blockDiffusion(8, 24), 0),  // BD3-LM training layout
        new Shape(26, 26, 2, 1, 6, Mask.blockDiffusion(4, 13), 0),  // ... with a partial last block
        new Shape(140, 140, 2, 1, 16, Mask.blockDiffusion(16, 70), 0), // across query blocks and key steps
    };

    @Test
    void attentionMatchesFloat64Reference() {
        Random rnd = new Random(14);
        for (Shape sh : FORWARD_SHAPES) {
            float[] q = randn(rnd, sh.qLen(), 1.0), k = randn(rnd, sh.kvLen(), 1.0), v = randn(rnd, sh.kvLen(), 1.0);
            double[] refProbs = new double[sh.nHeads * sh.T * sh.S];
            double[] ref = reference(toDouble(q), toDouble(k), toDouble(v), sh, refProbs);
            float[][] got = forward(q, k, v, sh);
            double errOut = relativeError(got[0], ref), errP = relativeError(got[1], refProbs);
            report("Attention.forward " + sh, errOut);
            assertTrue(errOut < 1e-5, sh + " out " + errOut);
            assertTrue(errP < 1e-5, sh + " probs " + errP);
            for (int h = 0; h < sh.nHeads; h++)
                for (int t = 0; t < sh.T; t++)
                    for (int s = 0; s < sh.S; s++)
                        if (!sh.mask.sees(sh.qPos0 + t, s)) assertEquals(0f, got[1][(h * sh.T + t) * sh.S + s], "masked probability is 0");
            float[] outNoProbs = new float[sh.qLen()];
            Attention.forward(outNoProbs, 0, q, 0, k, 0, v, 0, null, 0, sh.T, sh.S, sh.nHeads, sh.nKv, sh.hd, sh.mask.kernel(), sh.qPos0);
            assertArrayEquals(got[0], outNoProbs, 0f, "probs == null gives the same output");
        }
    }

    @Test
    void attentionBackwardMatchesFiniteDifferencesAndAccumulates() {
        Random rnd = new Random(15);
        Shape[] shapes = {
            new Shape(5, 5, 4, 2, 7, Mask.BI, 0),
            new Shape(4, 6, 4, 1, 7, Mask.CAUSAL, 2),
            new Shape(6, 6, 2, 2, 5, Mask.CAUSAL, 0),
            new Shape(3, 8, 2, 1, 9, Mask.BI, 0),
            new Shape(9, 70, 2, 1, 4, Mask.CAUSAL, 61),   // several key chunks, KV-cache offset
            new Shape(80, 80, 2, 1, 4, Mask.BI, 0),  // several query blocks, bidirectional
            new Shape(70, 70, 2, 2, 6, Mask.CAUSAL, 0),
            new Shape(20, 20, 2, 1, 64, Mask.BI, 0), // the 4×4-vector path of the weighted sums
            new Shape(12, 30, 2, 2, 80, Mask.CAUSAL, 18),
            new Shape(11, 11, 2, 1, 4, Mask.blockCausal(3), 0),
            new Shape(4, 14, 2, 2, 6, Mask.blockCausal(4), 10),
            new Shape(20, 20, 2, 1, 5, Mask.blockDiffusion(4, 10), 0),
            new Shape(18, 18, 2, 2, 4, Mask.blockDiffusion(4, 9), 0),   // partial last block
            new Shape(72, 72, 2, 1, 4, Mask.blockDiffusion(8, 36), 0),  // several query blocks
        };
        for (Shape sh : shapes) {
            float[] q = randn(rnd, sh.qLen(), 1.0), k = randn(rnd, sh.kvLen(), 1.0), v = randn(rnd, sh.kvLen(), 1.0);
            float[] g = randn(rnd, sh.qLen(), 1.0);
            float[] probs = forward(q, k, v, sh)[1];
            float[] dq0 = randn(rnd, sh.qLen(), 1.0), dk0 = randn(rnd, sh.kvLen(), 1.0), dv0 = randn(rnd, sh.kvLen(), 1.0);
            float[] dq = withOffset(dq0, 1), dk = withOffset(dk0, 2), dv = withOffset(dv0, 3);
            Attention.backward(dq, 1, dk, 2, dv, 3, withOffset(g, 4), 4,
                    withOffset(q, 5), 5, withOffset(k, 6), 6, withOffset(v, 7), 7, withOffset(probs, 8), 8,
                    sh.T, sh.S, sh.nHeads, sh.nKv, sh.hd, sh.mask.kernel(), sh.qPos0);
            double[] qd = toDouble(q), kd = toDouble(k), vd = toDouble(v);
            double[] fdQ = finiteDifferences(qd, x -> project(reference(x, kd, vd, sh, null), g));
            double[] fdK = finiteDifferences(kd, x -> project(reference(qd, x, vd, sh, null), g));
            double[] fdV = finiteDifferences(vd, x -> project(reference(qd, kd, x, sh, null), g));
            double eq = relativeErrorOfIncrement(slice(dq, 1, sh.qLen()), dq0, fdQ);
            double ek = relativeErrorOfIncrement(slice(dk, 2, sh.kvLen()), dk0, fdK);
            double ev = relativeErrorOfIncrement(slice(dv, 3, sh.kvLen()), dv0, fdV);
            report("Attention.backward dq " + sh, eq);
            report("Attention.backward dk " + sh, ek);
            report("Attention.backward dv " + sh, ev);
            assertTrue(eq < 1e-4 && ek < 1e-4 && ev < 1e-4, sh + " dq " + eq + " dk " + ek + " dv " + ev);
            assertEquals(0f, dq[0], "nothing written before dqOff");
        }
    }

    @Test
    void bidirectionalOutputSeesLaterKeysCausalDoesNot() {
        Random rnd = new Random(16);
        for (boolean causal : new boolean[] {false, true}) {
            Shape sh = new Shape(6, 6, 2, 1, 8, causal ? Mask.CAUSAL : Mask.BI, 0);
            float[] q = randn(rnd, sh.qLen(), 1.0), k = randn(rnd, sh.kvLen(), 1.0), v = randn(rnd, sh.kvLen(), 1.0);
            float[] before = forward(q, k, v, sh)[0];
            for (int d = 0; d < 8; d++) {   // change key and value of the last row (position 5)
                k[5 * 8 + d] += 1f;
                v[5 * 8 + d] += 1f;
            }
            float[] after = forward(q, k, v, sh)[0];
            int row2 = 2 * sh.nHeads * sh.hd;
            float[] r2b = slice(before, row2, sh.nHeads * sh.hd), r2a = slice(after, row2, sh.nHeads * sh.hd);
            if (causal) {
                assertArrayEquals(r2b, r2a, 0f, "causal position 2 ignores key 5");
                assertFalse(java.util.Arrays.equals(slice(before, 5 * 16, 16), slice(after, 5 * 16, 16)), "position 5 sees itself");
            } else {
                assertFalse(java.util.Arrays.equals(r2b, r2a), "bidirectional position 2 sees key 5");
            }
        }
    }

    @Test
    void cachedCausalRowsEqualFullCausalForward() {
        Random rnd = new Random(17);
        int S = 75, T = 4, nH = 4, nKv = 2, hd = 12;
        Shape full = new Shape(S, S, nH, nKv, hd, Mask.CAUSAL, 0);
        float[] q = randn(rnd, full.qLen(), 1.0), k = randn(rnd, full.kvLen(), 1.0), v = randn(rnd, full.kvLen(), 1.0);
        float[] outFull = forward(q, k, v, full)[0];
        int row = nH * hd, qPos0 = S - T;
        Shape cached = new Shape(T, S, nH, nKv, hd, Mask.CAUSAL, qPos0);
        float[] outCached = forward(slice(q, qPos0 * row, T * row), k, v, cached)[0];
        assertArrayEquals(slice(outFull, qPos0 * row, T * row), outCached, 1e-6f);
        // and a cache with rows still to come: the last query sees key s ≤ qPos0 + T − 1 of a longer S
        Shape partial = new Shape(T, S, nH, nKv, hd, Mask.CAUSAL, 40);
        float[] outPartial = forward(slice(q, 40 * row, T * row), k, v, partial)[0];
        assertArrayEquals(slice(outFull, 40 * row, T * row), outPartial, 1e-6f);
    }

    @Test
    void headCountsThatDoNotGroupAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Attention.forward(new float[24], 0, new float[24], 0,
                new float[16], 0, new float[16], 0, null, 0, 2, 2, 3, 2, 4, AttentionMask.BIDIRECTIONAL, 0));
    }
}
