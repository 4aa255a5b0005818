package jdlm.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Scaled dot-product attention with grouped-query heads under an {@link AttentionMask}:
 * bidirectional (LLaDA), causal (the AR twin, KV cache) or block-causal (BD3-LM). Query head h
 * reads kv head {@code h / (nHeads/nKvHeads)}; scale 1/√headDim.
 *
 * <p>Layout: q and out hold T rows of {@code nHeads·headDim}; k and v hold S rows of
 * {@code nKvHeads·headDim}. Query row t is at absolute position {@code qPos0 + t}, key row s at s;
 * the mask says which keys each position sees (causal: {@code s ≤ qPos0 + t}).
 *
 * <p>Scores are computed against a per-task transposed copy of the kv head ({@code kᵀ[headDim, S]}),
 * so the inner loop is a broadcast-FMA over 4 vectors of keys, with no horizontal reductions.
 * Work is split over (head, query block) in forward and over heads in backward; tasks share no
 * scratch.
 */
public final class Attention {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Keys per score-kernel step: 4 vector accumulators. */
    private static final int KEY_STEP = 4 * L;
    /** Query rows per forward task. */
    private static final int Q_BLOCK = 64;

    private Attention() {}

    /**
     * {@code out[t, h] = Σ_s softmax_s(q[t,h]·k[s,g] / √headDim) · v[s,g]} over the visible keys.
     * When probs is non-null the probabilities are saved at {@code probs[probsOff + (h·T + t)·S + s]}
     * (masked entries 0) for {@link #backward}.
     */
    public static void forward(float[] out, int outOff, float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
                               float[] probs, int probsOff, int T, int S, int nHeads, int nKvHeads, int headDim,
                               AttentionMask mask, int qPos0) {
        check(T, S, nHeads, nKvHeads, headDim, qPos0);
        boolean causal = mask.causal();
        int group = nHeads / nKvHeads;
        int qStride = nHeads * headDim, kvStride = nKvHeads * headDim;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        int qBlocks = (T + Q_BLOCK - 1) / Q_BLOCK;
        ThreadPool.shared().parallelFor(nHeads * qBlocks, task -> {
            int h = task / qBlocks, t0 = (task % qBlocks) * Q_BLOCK, t1 = Math.min(T, t0 + Q_BLOCK);
            int g = h / group;
            int keys = mask.end(qPos0 + t1 - 1, S);   // keys any row of this block sees (ends never decrease)
            int ld = roundUp(keys, KEY_STEP);
            float[] kt = new float[headDim * ld];
            transpose(k, kOff + g * headDim, kvStride, keys, headDim, kt, ld);
            int rows = t1 - t0;
            float[] sc = new float[rows * ld];
            // sc[t−t0, s] = scale · q_t · k_s, key chunks outer so each kᵀ chunk stays in L1
            scoresBlock(sc, ld, q, qOff + t0 * qStride + h * headDim, qStride, rows, scale, kt, headDim,
                    causal ? qPos0 + t0 + 1 : keys, causal ? 1 : 0, S);
            for (int t = t0; t < t1; t++) {
                int n = mask.end(qPos0 + t, S);
                int ro = (t - t0) * ld;
                int hideFrom = Math.min(n, mask.hiddenFrom(qPos0 + t)), hideTo = Math.min(n, mask.hiddenTo(qPos0 + t));
                java.util.Arrays.fill(sc, ro + hideFrom, ro + hideTo, Float.NEGATIVE_INFINITY);
                Softmax.forward(sc, ro, n);
                java.util.Arrays.fill(sc, ro + hideFrom, ro + hideTo, 0f); // exactly 0, not exp's floor
                java.util.Arrays.fill(sc, ro + n, ro + ld, 0f);   // masked and padding keys weigh 0
                if (probs != null) {
                    int po = probsOff + (h * T + t) * S;
                    System.arraycopy(sc, ro, probs, po, n);
                    java.util.Arrays.fill(probs, po + n, po + S, 0f);
                }
            }
            // out_t = Σ_s p[t,s] v_s, four query rows per pass over v (accumulating into zeroed rows)
            for (int t = t0; t < t1; t++) {
                int o = outOff + t * qStride + h * headDim;
                java.util.Arrays.fill(out, o, o + headDim, 0f);
            }
            int t = t0;
            for (; t + 4 <= t1; t += 4) {
                weightedRowSum4(out, outOff + t * qStride + h * headDim, qStride, 1f,
                        sc, (t - t0) * ld, ld, 1, mask.end(qPos0 + t + 3, S),
                        v, vOff + g * headDim, kvStride, headDim);
            }
            for (; t < t1; t++) {
                weightedRowSum(out, outOff + t * qStride + h * headDim, 1f, true,
                        sc, (t - t0) * ld, 1, mask.end(qPos0 + t, S), v, vOff + g * headDim, kvStride, headDim);
            }
        });
    }

    /**
     * Backward of {@link #forward} from the saved probabilities P; accumulates (+=) into dq, dk, dv:
     * {@code dP = dOut·vᵀ}, {@code dS = P ⊙ (dP − rowsum(P ⊙ dP))}, {@code dq += scale·dS·k},
     * {@code dk += scale·dSᵀ·q}, {@code dv += Pᵀ·dOut} (kv heads summed over their query group).
     */
    public static void backward(float[] dq, int dqOff, float[] dk, int dkOff, float[] dv, int dvOff, float[] dOut, int dOutOff,
                                float[] q, int qOff, float[] k, int kOff, float[] v, int vOff, float[] probs, int probsOff,
                                int T, int S, int nHeads, int nKvHeads, int headDim, AttentionMask mask, int qPos0) {
        check(T, S, nHeads, nKvHeads, headDim, qPos0);
        boolean causal = mask.causal();
        int group = nHeads / nKvHeads;
        int qStride = nHeads * headDim, kvStride = nKvHeads * headDim;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        // With grouped heads several tasks feed one kv head: each writes its own partial dk/dv,
        // summed afterwards in head order (deterministic, no races).
        float[][] partK = group == 1 ? null : new float[nHeads][];
        float[][] partV = group == 1 ? null : new float[nHeads][];
        ThreadPool.shared().parallelFor(nHeads, h -> {
            int g = h / group;
            float[] dkH = dk, dvH = dv;
            int dkO = dkOff + g * headDim, dvO = dvOff + g * headDim, ld = kvStride;
            if (group != 1) {
                dkH = partK[h] = new float[S * headDim];
                dvH = partV[h] = new float[S * headDim];
                dkO = 0;
                dvO = 0;
                ld = headDim;
            }
            int sPad = roundUp(S, KEY_STEP);
            float[] vt = new float[headDim * sPad];
            transpose(v, vOff + g * headDim, kvStride, S, headDim, vt, sPad);
            // dP[t,s] = dOut_t · v_s for every visible key (T×sPad scratch, key chunks outer)
            float[] dP = new float[T * sPad];
            scoresBlock(dP, sPad, dOut, dOutOff + h * headDim, qStride, T, 1f, vt, headDim,
                    causal ? qPos0 + 1 : mask.end(qPos0 + T - 1, S), causal ? 1 : 0, S);
            // dS = P ⊙ (dP − rowsum(P ⊙ dP)); masked and hidden entries stay 0 (P is 0 there)
            float[] dS = new float[T * S];
            for (int t = 0; t < T; t++) {
                Softmax.backward(dS, t * S, probs, probsOff + (h * T + t) * S, dP, t * sPad, mask.end(qPos0 + t, S));
            }
            // dq_t += scale · Σ_s dS[t,s] k_s, four query rows per pass over k
            int t = 0;
            for (; t + 4 <= T; t += 4) {
                weightedRowSum4(dq, dqOff + t * qStride + h * headDim, qStride, scale,
                        dS, t * S, S, 1, mask.end(qPos0 + t + 3, S), k, kOff + g * headDim, kvStride, headDim);
            }
            for (; t < T; t++) {
                weightedRowSum(dq, dqOff + t * qStride + h * headDim, scale, true,
                        dS, t * S, 1, mask.end(qPos0 + t, S), k, kOff + g * headDim, kvStride, headDim);
            }
            // dk_s += scale · Σ_t dS[t,s] q_t ;  dv_s += Σ_t P[t,s] dOut_t  (four keys per pass, from the
            // first query that sees key s; entries a query cannot see are 0 in dS and P)
            int s = 0, tStart = 0;
            for (; s < S; s += 4) {
                while (tStart < T && mask.end(qPos0 + tStart, S) <= s) tStart++; // first query that sees key s
                if (tStart >= T) break;
                int count = T - tStart;
                if (s + 4 <= S) {
                    weightedRowSum4(dkH, dkO + s * ld, ld, scale, dS, tStart * S + s, 1, S, count,
                            q, qOff + tStart * qStride + h * headDim, qStride, headDim);
                    weightedRowSum4(dvH, dvO + s * ld, ld, 1f, probs, probsOff + (h * T + tStart) * S + s, 1, S, count,
                            dOut, dOutOff + tStart * qStride + h * headDim, qStride, headDim);
                } else {
                    for (int s1 = s; s1 < S; s1++) {
                        weightedRowSum(dkH, dkO + s1 * ld, scale, true, dS, tStart * S + s1, S, count,
                                q, qOff + tStart * qStride + h * headDim, qStride, headDim);
                        weightedRowSum(dvH, dvO + s1 * ld, 1f, true, probs, probsOff + (h * T + tStart) * S + s1, S, count,
                                dOut, dOutOff + tStart * qStride + h * headDim, qStride, headDim);
                    }
                }
            }
        });
        if (group != 1) {
            for (int h = 0; h < nHeads; h++) {
                int g = h / group;
                float[] pk = partK[h], pv = partV[h];
                for (int s = 0; s < S; s++) {
                    int ko = dkOff + s * kvStride + g * headDim, vo = dvOff + s * kvStride + g * headDim;
                    for (int j = 0; j < headDim; j++) {
                        dk[ko + j] += pk[s * headDim + j];
                        dv[vo + j] += pv[s * headDim + j];
                    }
                }
            }
        }
    }

    /** {@code mt[d·ld + s] = m[mOff + s·mStride + d]} for s < rows, d < cols. */
    private static void transpose(float[] m, int mOff, int mStride, int rows, int cols, float[] mt, int ld) {
        for (int s = 0; s < rows; s++) {
            int src = mOff + s * mStride;
            for (int d = 0; d < cols; d++) mt[d * ld + s] = m[src + d];
        }
    }

    /**
     * {@code row[s] = alpha · Σ_d x[xOff+d] · mt[d·ld + s]} for s < n, n a multiple of {@link #KEY_STEP}:
     * one query against a transposed block of keys, 4 vectors of keys per step.
     */
    static void scores(float[] row, float[] x, int xOff, float alpha, float[] mt, int ld, int dim, int n) {
        for (int s = 0; s < n; s += KEY_STEP) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int d = 0; d < dim; d++) {
                FloatVector xd = FloatVector.broadcast(F, alpha * x[xOff + d]);
                int b = d * ld + s;
                a0 = FloatVector.fromArray(F, mt, b).fma(xd, a0);
                a1 = FloatVector.fromArray(F, mt, b + L).fma(xd, a1);
                a2 = FloatVector.fromArray(F, mt, b + 2 * L).fma(xd, a2);
                a3 = FloatVector.fromArray(F, mt, b + 3 * L).fma(xd, a3);
            }
            a0.intoArray(row, s);
            a1.intoArray(row, s + L);
            a2.intoArray(row, s + 2 * L);
            a3.intoArray(row, s + 3 * L);
        }
    }

    /**
     * {@code dst[dOff + j] (+)= alpha · Σ_{i<n} coef[cOff + i·cStride] · m[mOff + i·mStride + j]} for j < width:
     * a coefficient-weighted sum of n strided rows, 4 rows per step.
     */
    static void weightedRowSum(float[] dst, int dOff, float alpha, boolean accumulate,
                                       float[] coef, int cOff, int cStride, int n,
                                       float[] m, int mOff, int mStride, int width) {
        int j = 0;
        for (int full = F.loopBound(width); j < full; j += L) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            int i = 0;
            for (; i + 4 <= n; i += 4) {
                int mo = mOff + i * mStride + j, co = cOff + i * cStride;
                a0 = FloatVector.fromArray(F, m, mo).fma(FloatVector.broadcast(F, coef[co]), a0);
                a1 = FloatVector.fromArray(F, m, mo + mStride).fma(FloatVector.broadcast(F, coef[co + cStride]), a1);
                a2 = FloatVector.fromArray(F, m, mo + 2 * mStride).fma(FloatVector.broadcast(F, coef[co + 2 * cStride]), a2);
                a3 = FloatVector.fromArray(F, m, mo + 3 * mStride).fma(FloatVector.broadcast(F, coef[co + 3 * cStride]), a3);
            }
            for (; i < n; i++) {
                a0 = FloatVector.fromArray(F, m, mOff + i * mStride + j).fma(FloatVector.broadcast(F, coef[cOff + i * cStride]), a0);
            }
            FloatVector sum = a0.add(a1).add(a2.add(a3)).mul(alpha);
            if (accumulate) sum = sum.add(FloatVector.fromArray(F, dst, dOff + j));
            sum.intoArray(dst, dOff + j);
        }
        if (j < width) {   // the last width % L columns (odd head sizes), masked
            VectorMask<Float> mask = F.indexInRange(j, width);
            FloatVector a0 = FloatVector.zero(F), a1 = a0;
            int i = 0;
            for (; i + 2 <= n; i += 2) {
                int mo = mOff + i * mStride + j, co = cOff + i * cStride;
                a0 = FloatVector.fromArray(F, m, mo, mask).fma(FloatVector.broadcast(F, coef[co]), a0);
                a1 = FloatVector.fromArray(F, m, mo + mStride, mask).fma(FloatVector.broadcast(F, coef[co + cStride]), a1);
            }
            if (i < n) {
                a0 = FloatVector.fromArray(F, m, mOff + i * mStride + j, mask).fma(FloatVector.broadcast(F, coef[cOff + i * cStride]), a0);
            }
            FloatVector sum = a0.add(a1).mul(alpha);
            if (accumulate) sum = sum.add(FloatVector.fromArray(F, dst, dOff + j, mask));
            sum.intoArray(dst, dOff + j, mask);
        }
    }

    /**
     * Scores of a block of query rows against a transposed key block, key chunks outer:
     * {@code sc[i·ld + s] = alpha · Σ_d x[xOff + i·xStride + d] · mt[d·ld + s]} for row i's keys
     * s < roundUp(min(nMax, nFirst + i·nStep), KEY_STEP) (causal rows see one more key each).
     */
    static void scoresBlock(float[] sc, int ld, float[] x, int xOff, int xStride, int rows, float alpha,
                            float[] mt, int dim, int nFirst, int nStep, int nMax) {
        for (int s = 0; s < ld; s += KEY_STEP) {
            int i = 0;
            // two rows at a time: 8 accumulators, each kᵀ vector loaded once for both rows
            for (; i + 2 <= rows; i += 2) {
                if (s >= Math.min(nMax, nFirst + (i + 1) * nStep)) continue;   // row i+1 sees at least as many keys as row i
                int xo = xOff + i * xStride;
                FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
                for (int d = 0; d < dim; d++) {
                    FloatVector xa = FloatVector.broadcast(F, alpha * x[xo + d]);
                    FloatVector xb = FloatVector.broadcast(F, alpha * x[xo + xStride + d]);
                    int b = d * ld + s;
                    FloatVector m0 = FloatVector.fromArray(F, mt, b), m1 = FloatVector.fromArray(F, mt, b + L);
                    FloatVector m2 = FloatVector.fromArray(F, mt, b + 2 * L), m3 = FloatVector.fromArray(F, mt, b + 3 * L);
                    a0 = m0.fma(xa, a0);
                    a1 = m1.fma(xa, a1);
                    a2 = m2.fma(xa, a2);
                    a3 = m3.fma(xa, a3);
                    b0 = m0.fma(xb, b0);
                    b1 = m1.fma(xb, b1);
                    b2 = m2.fma(xb, b2);
                    b3 = m3.fma(xb, b3);
                }
                int o = i * ld + s;
                a0.intoArray(sc, o);
                a1.intoArray(sc, o + L);
                a2.intoArray(sc, o + 2 * L);
                a3.intoArray(sc, o + 3 * L);
                b0.intoArray(sc, o + ld);
                b1.intoArray(sc, o + ld + L);
                b2.intoArray(sc, o + ld + 2 * L);
                b3.intoArray(sc, o + ld + 3 * L);
            }
            for (; i < rows; i++) {
                if (s >= Math.min(nMax, nFirst + i * nStep)) continue;
                int xo = xOff + i * xStride;
                FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                for (int d = 0; d < dim; d++) {
                    FloatVector xd = FloatVector.broadcast(F, alpha * x[xo + d]);
                    int b = d * ld + s;
                    a0 = FloatVector.fromArray(F, mt, b).fma(xd, a0);
                    a1 = FloatVector.fromArray(F, mt, b + L).fma(xd, a1);
                    a2 = FloatVector.fromArray(F, mt, b + 2 * L).fma(xd, a2);
                    a3 = FloatVector.fromArray(F, mt, b + 3 * L).fma(xd, a3);
                }
                int o = i * ld + s;
                a0.intoArray(sc, o);
                a1.intoArray(sc, o + L);
                a2.intoArray(sc, o + 2 * L);
                a3.intoArray(sc, o + 3 * L);
            }
        }
    }

    /**
     * Four weighted row sums sharing the rows of m, accumulated (+=):
     * {@code dst[dOff + r·dStride + j] += alpha · Σ_{i<n} coef[cOff + r·cRow + i·cStride] · m[mOff + i·mStride + j]}
     * for r < 4, j < width. Each vector of m is loaded once for four outputs.
     */
    static void weightedRowSum4(float[] dst, int dOff, int dStride, float alpha,
                                float[] coef, int cOff, int cRow, int cStride, int n,
                                float[] m, int mOff, int mStride, int width) {
        for (int j = 0; j < width; j += L) {
            VectorMask<Float> mask = F.indexInRange(j, width);
            boolean full = j + L <= width;
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int i = 0; i < n; i++) {
                int mo = mOff + i * mStride + j, co = cOff + i * cStride;
                FloatVector mv = full ? FloatVector.fromArray(F, m, mo) : FloatVector.fromArray(F, m, mo, mask);
                a0 = mv.fma(FloatVector.broadcast(F, coef[co]), a0);
                a1 = mv.fma(FloatVector.broadcast(F, coef[co + cRow]), a1);
                a2 = mv.fma(FloatVector.broadcast(F, coef[co + 2 * cRow]), a2);
                a3 = mv.fma(FloatVector.broadcast(F, coef[co + 3 * cRow]), a3);
            }
            FloatVector va = FloatVector.broadcast(F, alpha);
            int o = dOff + j;
            if (full) {
                a0.fma(va, FloatVector.fromArray(F, dst, o)).intoArray(dst, o);
                a1.fma(va, FloatVector.fromArray(F, dst, o + dStride)).intoArray(dst, o + dStride);
                a2.fma(va, FloatVector.fromArray(F, dst, o + 2 * dStride)).intoArray(dst, o + 2 * dStride);
                a3.fma(va, FloatVector.fromArray(F, dst, o + 3 * dStride)).intoArray(dst, o + 3 * dStride);
            } else {
                a0.fma(va, FloatVector.fromArray(F, dst, o, mask)).intoArray(dst, o, mask);
                a1.fma(va, FloatVector.fromArray(F, dst, o + dStride, mask)).intoArray(dst, o + dStride, mask);
                a2.fma(va, FloatVector.fromArray(F, dst, o + 2 * dStride, mask)).intoArray(dst, o + 2 * dStride, mask);
                a3.fma(va, FloatVector.fromArray(F, dst, o + 3 * dStride, mask)).intoArray(dst, o + 3 * dStride, mask);
            }
        }
    }

    private static int roundUp(int n, int step) {
        return (n + step - 1) / step * step;
    }

    private static void check(int T, int S, int nHeads, int nKvHeads, int headDim, int qPos0) {
        if (T <= 0 || S <= 0 || nHeads <= 0 || nKvHeads <= 0 || headDim <= 0 || qPos0 < 0) {
            throw new IllegalArgumentException("attention needs positive T, S, heads, headDim and qPos0 ≥ 0; got T=" + T
                    + " S=" + S + " nHeads=" + nHeads + " nKvHeads=" + nKvHeads + " headDim=" + headDim + " qPos0=" + qPos0);
        }
        if (nHeads % nKvHeads != 0) {
            throw new IllegalArgumentException("nHeads " + nHeads + " is not a multiple of nKvHeads " + nKvHeads);
        }
    }
}
