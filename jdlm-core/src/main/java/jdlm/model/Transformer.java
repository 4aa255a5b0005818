package jdlm.model;

import java.util.Arrays;
import java.util.SplittableRandom;

import jdlm.tensor.Attention;
import jdlm.tensor.Gemm;
import jdlm.tensor.RmsNorm;
import jdlm.tensor.Rope;
import jdlm.tensor.SwiGlu;

/**
 * The transformer of DESIGN.md §3 over one flat parameter buffer: inference forward (logits of
 * every position, for the sampler), training forward + backward (llm.c style: each layer's
 * backward mirrors its forward, gradients land in a flat buffer at the parameters' offsets), and
 * cached decoding for the causal twin.
 *
 * <p>Per block, with N = B·T rows:
 * <pre>
 *   xn  = rmsnorm(x) ⊙ g_attn
 *   q, k, v = rope(xn·W_qᵀ), rope(xn·W_kᵀ), xn·W_vᵀ
 *   x'  = x + attention(q, k, v)·W_oᵀ
 *   xn' = rmsnorm(x') ⊙ g_ffn
 *   x'' = x' + (silu(xn'·W_gateᵀ) ⊙ xn'·W_upᵀ)·W_downᵀ
 * </pre>
 * then logits = (rmsnorm(x_L) ⊙ g_out)·W_outᵀ.
 */
public final class Transformer {
    private final ModelConfig config;
    private final ParameterLayout layout;
    private final float[] params;
    private final Rope rope;

    /** Wraps an existing parameter buffer laid out by {@link ParameterLayout}. */
    public Transformer(ModelConfig config, float[] params) {
        this.config = config;
        this.layout = new ParameterLayout(config);
        if (params.length != layout.size()) {
            throw new IllegalArgumentException("parameter buffer has " + params.length + " floats, the config needs " + layout.size());
        }
        this.params = params;
        this.rope = new Rope(config.headDim(), config.ropeTheta(), config.contextLength(), config.ropeStyle());
    }

    /**
     * A freshly initialised model: matrices ~ N(0, 0.02²), the projections that write into the
     * residual stream (W_o, W_down) scaled by 1/√(2·layers) as in GPT-2, norm gains 1.
     * The same seed gives the same bits.
     */
    public static Transformer initialized(ModelConfig config, long seed) {
        ParameterLayout layout = new ParameterLayout(config);
        float[] p = new float[layout.size()];
        SplittableRandom rng = new SplittableRandom(seed);
        double residualStd = 0.02 / Math.sqrt(2.0 * config.layers());
        for (ParameterLayout.View v : layout.views().values()) {
            boolean norm = v.shape().length == 1;
            boolean residual = v.name().endsWith("attn_output.weight") || v.name().endsWith("ffn_down.weight");
            double std = residual ? residualStd : 0.02;
            for (int i = v.offset(); i < v.offset() + v.size(); i++) {
                p[i] = norm ? 1f : (float) (rng.nextGaussian() * std);
            }
        }
        return new Transformer(config, p);
    }

    public ModelConfig config() { return config; }
    public ParameterLayout layout() { return layout; }

    /** The flat parameter buffer (live: the optimizer updates it in place). */
    public float[] parameters() { return params; }

    // ------------------------------------------------------------------ inference

    /** Logits [B·T, vocab] for B sequences of T tokens each, laid out row b·T + t. */
    public float[] logits(int[] tokens, int batch, int seqLen) {
        Activations a = new Activations(config, batch, seqLen, false);
        forward(a, tokens);
        return a.logits;
    }

    // ------------------------------------------------------------------ forward

    /** Runs the forward pass over {@code a.batch} sequences of {@code a.seqLen} tokens; fills {@code a.logits}. */
    public void forward(Activations a, int[] tokens) {
        int B = a.batch, T = a.seqLen, N = a.rows, D = config.dim();
        if (tokens.length < N) throw new IllegalArgumentException("need " + N + " tokens (batch " + B + " × " + T + "), got " + tokens.length);
        if (T > config.contextLength()) {
            throw new IllegalArgumentException("sequence length " + T + " exceeds the model's context length " + config.contextLength());
        }
        System.arraycopy(tokens, 0, a.tokens, 0, N);
        embed(a.x[0], tokens, 0, N);
        for (int l = 0; l < config.layers(); l++) {
            blockForward(l, a, a.k[l], a.v[l], 0, 0, config.causal());
        }
        head(a);
    }

    private void embed(float[] x, int[] tokens, int tokOff, int n) {
        ParameterLayout.View e = layout.tokenEmbedding();
        int D = config.dim(), V = config.vocabSize();
        for (int r = 0; r < n; r++) {
            int t = tokens[tokOff + r];
            if (t < 0 || t >= V) throw new IllegalArgumentException("token id " + t + " at position " + r + " is outside the vocabulary [0, " + V + ")");
            System.arraycopy(params, e.offset() + t * D, x, r * D, D);
        }
    }

    /**
     * One block over all rows of {@code a}. Keys and values are written to rows starting at
     * {@code kvRow0} of {@code kBuf}/{@code vBuf}; sequence b's queries sit at positions
     * startPos..startPos+T-1 and attend to key rows from {@code kvRow0 + b·T − startPos}
     * (its own rows in a batch; the whole cache when decoding).
     */
    private void blockForward(int l, Activations a, float[] kBuf, float[] vBuf, int kvRow0, int startPos, boolean causal) {
        ModelConfig c = config;
        ParameterLayout.Block w = layout.block(l);
        int B = a.batch, T = a.seqLen, N = a.rows, D = c.dim(), F = c.hiddenDim();
        int qDim = c.qDim(), kvDim = c.kvDim(), H = c.heads();
        float[] x = a.x[l];

        RmsNorm.forward(a.xnAttn[l], x, params, w.attnNorm().offset(), a.training ? a.rstdAttn[l] : null, N, D, c.normEps());
        linear(a.q[l], 0, a.xnAttn[l], w.wq(), N);
        linear(kBuf, kvRow0 * kvDim, a.xnAttn[l], w.wk(), N);
        linear(vBuf, kvRow0 * kvDim, a.xnAttn[l], w.wv(), N);
        for (int b = 0; b < B; b++) {
            rope.apply(a.q[l], b * T * qDim, T, H, startPos, false);
            rope.apply(kBuf, (kvRow0 + b * T) * kvDim, T, c.kvHeads(), startPos, false);
        }
        for (int b = 0; b < B; b++) {
            int keyRow0 = kvRow0 + b * T - startPos;
            Attention.forward(a.att[l], b * T * qDim, a.q[l], b * T * qDim, kBuf, keyRow0 * kvDim, vBuf, keyRow0 * kvDim,
                    a.training ? a.probs[l] : null, b * H * T * T, T, startPos + T, H, c.kvHeads(), c.headDim(), causal, startPos);
        }
        // x' = x + att·W_oᵀ
        float[] xMid = a.xMid[l];
        System.arraycopy(x, 0, xMid, 0, N * D);
        Gemm.gemm(false, true, N, D, qDim, a.att[l], 0, qDim, params, w.wo().offset(), qDim, xMid, 0, D, true);

        RmsNorm.forward(a.xnFfn[l], xMid, params, w.ffnNorm().offset(), a.training ? a.rstdFfn[l] : null, N, D, c.normEps());
        linear(a.gate[l], 0, a.xnFfn[l], w.wGate(), N);
        linear(a.up[l], 0, a.xnFfn[l], w.wUp(), N);
        SwiGlu.forward(a.hidden[l], a.gate[l], a.up[l], N * F);
        // x'' = x' + hidden·W_downᵀ
        float[] xOut = a.x[l + 1];
        System.arraycopy(xMid, 0, xOut, 0, N * D);
        Gemm.gemm(false, true, N, D, F, a.hidden[l], 0, F, params, w.wDown().offset(), F, xOut, 0, D, true);
    }

    private void head(Activations a) {
        int N = a.rows, D = config.dim();
        RmsNorm.forward(a.xnFinal, a.x[config.layers()], params, layout.outputNorm().offset(),
                a.training ? a.rstdFinal : null, N, D, config.normEps());
        linear(a.logits, 0, a.xnFinal, layout.output(), N);
    }

    /** y[N, out] = x[N, in] · W[out, in]ᵀ, written at {@code yOff}. */
    private void linear(float[] y, int yOff, float[] x, ParameterLayout.View w, int n) {
        int out = w.rows(), in = w.cols();
        Gemm.gemm(false, true, n, out, in, x, 0, in, params, w.offset(), in, y, yOff, out, false);
    }

    // ------------------------------------------------------------------ backward

    /**
     * Backward pass of the last {@link #forward} on {@code a} (which must be a training
     * activation set), given dLoss/dLogits [B·T, vocab]. Gradients are ADDED to {@code grads},
     * a buffer laid out like the parameters (zero it before a step; accumulation across
     * micro-batches comes for free).
     */
    public void backward(Activations a, float[] dLogits, float[] grads) {
        if (!a.training) throw new IllegalStateException("backward needs activations created with training = true");
        if (grads.length != params.length) throw new IllegalArgumentException("gradient buffer has " + grads.length + " floats, expected " + params.length);
        ModelConfig c = config;
        int N = a.rows, D = c.dim();
        a.ensureBackwardScratch(c);
        float[] dx = a.dx;

        // logits = xnFinal · W_outᵀ ; xnFinal = rmsnorm(x_L)
        Arrays.fill(a.dxn, 0f);
        linearBackward(a.dxn, grads, dLogits, a.xnFinal, layout.output(), N);
        Arrays.fill(dx, 0f);
        RmsNorm.backward(dx, grads, layout.outputNorm().offset(), a.dxn, a.x[c.layers()], params,
                layout.outputNorm().offset(), a.rstdFinal, N, D);

        for (int l = c.layers() - 1; l >= 0; l--) {
            blockBackward(l, a, grads);
        }

        // x_0[r] = E[token r]
        int e = layout.tokenEmbedding().offset();
        for (int r = 0; r < N; r++) {
            int row = e + a.tokens[r] * D;
            for (int i = 0; i < D; i++) grads[row + i] += dx[r * D + i];
        }
    }

    /** dx holds dL/dx_{l+1} on entry and dL/dx_l on exit (the residual path carries it through). */
    private void blockBackward(int l, Activations a, float[] grads) {
        ModelConfig c = config;
        ParameterLayout.Block w = layout.block(l);
        int B = a.batch, T = a.seqLen, N = a.rows, D = c.dim(), F = c.hiddenDim();
        int qDim = c.qDim(), kvDim = c.kvDim(), H = c.heads();
        float[] dx = a.dx;

        // MLP branch: x'' = x' + hidden·W_downᵀ
        Arrays.fill(a.dHidden, 0f);
        linearBackward(a.dHidden, grads, dx, a.hidden[l], w.wDown(), N);
        Arrays.fill(a.dGate, 0f);
        Arrays.fill(a.dUp, 0f);
        SwiGlu.backward(a.dGate, a.dUp, a.dHidden, a.gate[l], a.up[l], N * F);
        Arrays.fill(a.dxn, 0f);
        linearBackward(a.dxn, grads, a.dGate, a.xnFfn[l], w.wGate(), N);
        linearBackward(a.dxn, grads, a.dUp, a.xnFfn[l], w.wUp(), N);
        RmsNorm.backward(dx, grads, w.ffnNorm().offset(), a.dxn, a.xMid[l], params, w.ffnNorm().offset(), a.rstdFfn[l], N, D);

        // attention branch: x' = x + att·W_oᵀ
        Arrays.fill(a.dAtt, 0f);
        linearBackward(a.dAtt, grads, dx, a.att[l], w.wo(), N);
        Arrays.fill(a.dq, 0f);
        Arrays.fill(a.dk, 0f);
        Arrays.fill(a.dv, 0f);
        for (int b = 0; b < B; b++) {
            int qo = b * T * qDim, ko = b * T * kvDim;
            Attention.backward(a.dq, qo, a.dk, ko, a.dv, ko, a.dAtt, qo, a.q[l], qo, a.k[l], ko, a.v[l], ko,
                    a.probs[l], b * H * T * T, T, T, H, c.kvHeads(), c.headDim(), c.causal(), 0);
            // q = rope(q̃): the gradient of a rotation is the inverse rotation
            rope.apply(a.dq, qo, T, H, 0, true);
            rope.apply(a.dk, ko, T, c.kvHeads(), 0, true);
        }
        Arrays.fill(a.dxn, 0f);
        linearBackward(a.dxn, grads, a.dq, a.xnAttn[l], w.wq(), N);
        linearBackward(a.dxn, grads, a.dk, a.xnAttn[l], w.wk(), N);
        linearBackward(a.dxn, grads, a.dv, a.xnAttn[l], w.wv(), N);
        RmsNorm.backward(dx, grads, w.attnNorm().offset(), a.dxn, a.x[l], params, w.attnNorm().offset(), a.rstdAttn[l], N, D);
    }

    /** For y = x·Wᵀ: dx[N,in] += dy·W and dW[out,in] += dyᵀ·x. */
    private void linearBackward(float[] dx, float[] grads, float[] dy, float[] x, ParameterLayout.View w, int n) {
        int out = w.rows(), in = w.cols();
        Gemm.gemm(false, false, n, in, out, dy, 0, out, params, w.offset(), in, dx, 0, in, true);
        Gemm.gemm(true, false, out, in, n, dy, 0, out, x, 0, in, grads, w.offset(), in, true);
    }

    // ------------------------------------------------------------------ cached decoding

    /**
     * Appends {@code count} tokens to a causal model's KV cache and returns their logits
     * [count, vocab]. The result equals the corresponding rows of a full causal forward over the
     * whole prefix. The returned array is reused by the next call of the same count.
     */
    public float[] decode(KVCache cache, int[] tokens, int off, int count) {
        if (!config.causal()) {
            throw new IllegalStateException("exact KV caching needs a causal model; this one is " + config.attention());
        }
        if (count < 1) throw new IllegalArgumentException("count must be at least 1, got " + count);
        int pos0 = cache.length;
        if (pos0 + count > cache.capacity) {
            throw new IllegalArgumentException("KV cache full: " + pos0 + " cached + " + count + " new > capacity " + cache.capacity);
        }
        Activations a = cache.scratch;
        if (a == null || a.seqLen != count) {
            a = new Activations(config, 1, count, false);
            cache.scratch = a;
        }
        embed(a.x[0], tokens, off, count);
        for (int l = 0; l < config.layers(); l++) {
            blockForward(l, a, cache.k[l], cache.v[l], pos0, pos0, true);
        }
        head(a);
        cache.length = pos0 + count;
        return a.logits;
    }
}
