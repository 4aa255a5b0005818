package jdlm.model;

import java.util.Arrays;
import java.util.SplittableRandom;

import jdlm.tensor.Attention;
import jdlm.tensor.AttentionMask;
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
 * then logits = (rmsnorm(x_L) ⊙ g_out)·W_outᵀ. Variants ({@link ModelConfig}): q, k, v may carry
 * a bias (added before the rotation), W_out may be the embedding matrix, and the logits may be
 * shifted by one position (Dream).
 *
 * <p>A native model owns one flat parameter buffer and can train; an imported model
 * ({@link #Transformer(ModelConfig, ModelWeights)}) reads memory-mapped weights of any
 * {@link jdlm.tensor.QuantType} and can only run inference.
 */
public final class Transformer {
    private final ModelConfig config;
    private final ModelWeights weights;     // what the forward pass reads
    private final ParameterLayout layout;   // null for imported weights
    private final float[] params;           // null for imported weights
    private final Rope rope;
    private final int usableVocab;          // ids at or above get logit −∞ (embedding rows no token maps to)

    /** Wraps an existing parameter buffer laid out by {@link ParameterLayout}. */
    public Transformer(ModelConfig config, float[] params) {
        this.config = config;
        this.layout = new ParameterLayout(config);
        if (params.length != layout.size()) {
            throw new IllegalArgumentException("parameter buffer has " + params.length + " floats, the config needs " + layout.size());
        }
        this.params = params;
        this.weights = ModelWeights.flat(config, layout, params);
        this.rope = new Rope(config.headDim(), config.ropeTheta(), config.contextLength(), config.ropeStyle());
        this.usableVocab = config.vocabSize();
    }

    /** An inference-only model over imported weights (see {@link ModelWeights#mapped}). */
    public Transformer(ModelConfig config, ModelWeights weights) {
        if (weights.layers().size() != config.layers()) {
            throw new IllegalArgumentException("weights have " + weights.layers().size() + " layers, the config " + config.layers());
        }
        this.config = config;
        this.weights = weights;
        this.layout = null;
        this.params = null;
        this.rope = new Rope(config.headDim(), config.ropeTheta(), config.contextLength(), config.ropeStyle());
        this.usableVocab = config.vocabSize();
    }

    private Transformer(Transformer m, int usableVocab) {
        this.config = m.config;
        this.weights = m.weights;
        this.layout = m.layout;
        this.params = m.params;
        this.rope = m.rope;
        this.usableVocab = usableVocab;
    }

    /**
     * The same model (same weights, shared) whose logits for ids ≥ {@code n} are −∞: released
     * checkpoints pad their embedding past the tokenizer's vocabulary (Dream: 152,064 rows for
     * 151,667 tokens), and no sampler should pick an id that no token stands for.
     */
    public Transformer withUsableVocabulary(int n) {
        if (n < 1 || n > config.vocabSize()) {
            throw new IllegalArgumentException("usable vocabulary " + n + " must be in [1, " + config.vocabSize() + "]");
        }
        return new Transformer(this, n);
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
            if (v.name().endsWith(".bias")) continue; // biases start at 0
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

    public ParameterLayout layout() {
        requireFlat("a parameter layout");
        return layout;
    }

    /** The flat parameter buffer (live: the optimizer updates it in place). Native models only. */
    public float[] parameters() {
        requireFlat("a flat parameter buffer");
        return params;
    }

    /** False for imported (memory-mapped) weights: those run inference only. */
    public boolean hasFlatParameters() { return params != null; }

    /** Number of weights, whether flat or imported (embedding and output counted once when tied). */
    public long parameterCount() {
        long n = 0;
        for (TensorRole r : TensorRole.values()) {
            if (!r.presentIn(config)) continue;
            long size = 1;
            for (long d : r.shape(config)) size *= d;
            n += r.perLayer() ? size * config.layers() : size;
        }
        return n;
    }

    private void requireFlat(String what) {
        if (params == null) throw new IllegalStateException("this model runs imported (memory-mapped) weights: it has no " + what + " and cannot train");
    }

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
        int positions = a.cleanNoisyPairs ? T / 2 : T;
        if (positions > config.contextLength()) {
            throw new IllegalArgumentException("sequence length " + positions + " exceeds the model's context length " + config.contextLength());
        }
        System.arraycopy(tokens, 0, a.tokens, 0, N);
        embed(a.x[0], tokens, 0, N);
        AttentionMask mask = trainingMask(a);
        for (int l = 0; l < config.layers(); l++) {
            blockForward(l, a, a.k[l], a.v[l], 0, 0, T, mask);
        }
        head(a);
        if (config.shiftLogits() && a.cleanNoisyPairs) shiftPairs(a.logits, B, T, false);
        else if (config.shiftLogits()) shiftLogits(a.logits, B, T);
    }

    /**
     * The shift in block diffusion's [x₀ | x_t] layout: a noisy row reads the row before it in its
     * own block, and the first row of a block reads the clean last row of the block before — the
     * state a block-causal model decodes from, where earlier blocks are committed. The clean half
     * shifts as a plain sequence (it carries no loss). With {@code adjoint}, the gradient's way back.
     */
    private void shiftPairs(float[] logits, int batch, int seqLen, boolean adjoint) {
        int V = config.vocabSize(), L = seqLen / 2, block = config.blockSize();
        float[] raw = new float[seqLen * V];
        for (int b = 0; b < batch; b++) {
            int off = b * seqLen * V;
            System.arraycopy(logits, off, raw, 0, seqLen * V);
            if (adjoint) Arrays.fill(logits, off, off + seqLen * V, 0f);
            for (int r = 0; r < seqLen; r++) {
                int i = r < L ? r : r - L;
                int source = i == 0 ? r : r < L || i % block != 0 ? r - 1 : i - 1;
                if (!adjoint) System.arraycopy(raw, source * V, logits, off + r * V, V);
                else for (int j = 0; j < V; j++) logits[off + source * V + j] += raw[r * V + j];
            }
        }
    }

    /**
     * Dream reads token i from the hidden state at i − 1 (it is an adapted AR model); position 0
     * has no predecessor and keeps its own row: out[0] = raw[0], out[i] = raw[i − 1].
     */
    private void shiftLogits(float[] logits, int batch, int seqLen) {
        int V = config.vocabSize();
        for (int b = 0; b < batch; b++) {
            int row0 = b * seqLen;
            System.arraycopy(logits, row0 * V, logits, (row0 + 1) * V, (seqLen - 1) * V); // arraycopy handles the overlap
        }
    }

    /**
     * The adjoint of {@link #shiftLogits}, in place: raw row i feeds output row i + 1 (and raw row 0
     * also output row 0), so dRaw[0] = dOut[0] + dOut[1], dRaw[i] = dOut[i + 1], and the last raw row,
     * which no output reads, gets zero.
     */
    private void unshiftLogitGradient(float[] d, int batch, int seqLen) {
        int V = config.vocabSize();
        if (seqLen == 1) return; // out[0] = raw[0] alone
        for (int b = 0; b < batch; b++) {
            int row0 = b * seqLen * V;
            for (int j = 0; j < V; j++) d[row0 + j] += d[row0 + V + j];
            System.arraycopy(d, row0 + 2 * V, d, row0 + V, (seqLen - 2) * V);
            Arrays.fill(d, row0 + (seqLen - 1) * V, row0 + seqLen * V, 0f);
        }
    }

    private void embed(float[] x, int[] tokens, int tokOff, int n) {
        int D = config.dim(), V = config.vocabSize();
        for (int r = 0; r < n; r++) {
            int t = tokens[tokOff + r];
            if (t < 0 || t >= V) throw new IllegalArgumentException("token id " + t + " at position " + r + " is outside the vocabulary [0, " + V + ")");
            weights.tokenEmbedding().row(t, x, r * D);
        }
    }

    /**
     * One block over all rows of {@code a}. Keys and values are written to rows starting at
     * {@code kvRow0} of {@code kBuf}/{@code vBuf}; sequence b's queries sit at positions
     * startPos..startPos+T-1 and attend to {@code keys} key rows from {@code kvRow0 + b·T − startPos}
     * (its own rows in a batch; the whole cache when decoding or recomputing a window).
     */
    private void blockForward(int l, Activations a, float[] kBuf, float[] vBuf, int kvRow0, int startPos, int keys, AttentionMask mask) {
        ModelConfig c = config;
        ModelWeights.Layer w = weights.layers().get(l);
        int B = a.batch, T = a.seqLen, N = a.rows, D = c.dim(), F = c.hiddenDim();
        int qDim = c.qDim(), kvDim = c.kvDim(), H = c.heads();
        float[] x = a.x[l];

        RmsNorm.forward(a.xnAttn[l], x, w.attnNorm().array(), w.attnNorm().offset(), a.training ? a.rstdAttn[l] : null, N, D, c.normEps());
        w.wq().multiply(a.xnAttn[l], N, a.q[l], 0, false);
        w.wk().multiply(a.xnAttn[l], N, kBuf, kvRow0 * kvDim, false);
        w.wv().multiply(a.xnAttn[l], N, vBuf, kvRow0 * kvDim, false);
        if (w.bq() != null) {
            addBias(a.q[l], 0, N, w.bq(), qDim);
            addBias(kBuf, kvRow0 * kvDim, N, w.bk(), kvDim);
            addBias(vBuf, kvRow0 * kvDim, N, w.bv(), kvDim);
        }
        for (int b = 0; b < B; b++) rotate(a, a.q[l], b * T * qDim, kBuf, (kvRow0 + b * T) * kvDim, startPos, false);
        for (int b = 0; b < B; b++) {
            int keyRow0 = kvRow0 + b * T - startPos;
            Attention.forward(a.att[l], b * T * qDim, a.q[l], b * T * qDim, kBuf, keyRow0 * kvDim, vBuf, keyRow0 * kvDim,
                    a.training ? a.probs[l] : null, b * H * T * T, T, keys, H, c.kvHeads(), c.headDim(), mask, startPos);
        }
        // x' = x + att·W_oᵀ
        float[] xMid = a.xMid[l];
        System.arraycopy(x, 0, xMid, 0, N * D);
        w.wo().multiply(a.att[l], N, xMid, 0, true);

        RmsNorm.forward(a.xnFfn[l], xMid, w.ffnNorm().array(), w.ffnNorm().offset(), a.training ? a.rstdFfn[l] : null, N, D, c.normEps());
        w.gate().multiply(a.xnFfn[l], N, a.gate[l], 0, false);
        w.up().multiply(a.xnFfn[l], N, a.up[l], 0, false);
        SwiGlu.forward(a.hidden[l], a.gate[l], a.up[l], N * F);
        // x'' = x' + hidden·W_downᵀ
        float[] xOut = a.x[l + 1];
        System.arraycopy(xMid, 0, xOut, 0, N * D);
        w.down().multiply(a.hidden[l], N, xOut, 0, true);
    }

    /** The mask of a pass over whole sequences: the model's own, or block diffusion's [x₀ | x_t] layout. */
    private AttentionMask trainingMask(Activations a) {
        return a.cleanNoisyPairs ? AttentionMask.blockDiffusionTraining(config.blockSize(), a.seqLen / 2) : config.attentionMask();
    }

    /**
     * Rotates the T rows of one sequence's queries and keys from position startPos (inverse: the
     * transpose, for gradients); in the [x₀ | x_t] layout both halves sit at positions 0..L−1.
     */
    private void rotate(Activations a, float[] q, int qOff, float[] k, int kOff, int startPos, boolean inverse) {
        int T = a.seqLen, H = config.heads(), KV = config.kvHeads();
        if (!a.cleanNoisyPairs) {
            rope.apply(q, qOff, T, H, startPos, inverse);
            rope.apply(k, kOff, T, KV, startPos, inverse);
            return;
        }
        int L = T / 2;
        for (int half = 0; half < 2; half++) {
            rope.apply(q, qOff + half * L * config.qDim(), L, H, 0, inverse);
            rope.apply(k, kOff + half * L * config.kvDim(), L, KV, 0, inverse);
        }
    }

    /** y[r, :] += bias for n rows of {@code width} floats from {@code yOff}. */
    private static void addBias(float[] y, int yOff, int n, ModelWeights.Slice bias, int width) {
        float[] b = bias.array();
        int bo = bias.offset();
        for (int r = 0; r < n; r++) {
            int o = yOff + r * width;
            for (int j = 0; j < width; j++) y[o + j] += b[bo + j];
        }
    }

    private void head(Activations a) {
        int N = a.rows, D = config.dim();
        ModelWeights.Slice g = weights.outputNorm();
        RmsNorm.forward(a.xnFinal, a.x[config.layers()], g.array(), g.offset(), a.training ? a.rstdFinal : null, N, D, config.normEps());
        weights.output().multiply(a.xnFinal, N, a.logits, 0, false);
        int V = config.vocabSize();
        if (usableVocab < V) {
            for (int r = 0; r < N; r++) java.util.Arrays.fill(a.logits, r * V + usableVocab, (r + 1) * V, Float.NEGATIVE_INFINITY);
        }
    }

    // ------------------------------------------------------------------ backward

    /**
     * Backward pass of the last {@link #forward} on {@code a} (which must be a training
     * activation set), given dLoss/dLogits [B·T, vocab] (overwritten when the logits are shifted).
     * Gradients are ADDED to {@code grads}, a buffer laid out like the parameters (zero it before a
     * step; accumulation across micro-batches comes for free).
     */
    public void backward(Activations a, float[] dLogits, float[] grads) {
        if (!a.training) throw new IllegalStateException("backward needs activations created with training = true");
        requireFlat("flat parameters to differentiate");
        if (grads.length != params.length) throw new IllegalArgumentException("gradient buffer has " + grads.length + " floats, expected " + params.length);
        ModelConfig c = config;
        int N = a.rows, D = c.dim();
        a.ensureBackwardScratch(c);
        float[] dx = a.dx;
        if (c.shiftLogits() && a.cleanNoisyPairs) shiftPairs(dLogits, a.batch, a.seqLen, true);
        else if (c.shiftLogits()) unshiftLogitGradient(dLogits, a.batch, a.seqLen);

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
        AttentionMask mask = trainingMask(a);

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
                    a.probs[l], b * H * T * T, T, T, H, c.kvHeads(), c.headDim(), mask, 0);
            // q = rope(q̃): the gradient of a rotation is the inverse rotation
            rotate(a, a.dq, qo, a.dk, ko, 0, true);
        }
        if (w.bq() != null) {
            // the bias is added before the rotation: its gradient sums dq (dk, dv) over the rows
            biasBackward(grads, w.bq(), a.dq, N);
            biasBackward(grads, w.bk(), a.dk, N);
            biasBackward(grads, w.bv(), a.dv, N);
        }
        Arrays.fill(a.dxn, 0f);
        linearBackward(a.dxn, grads, a.dq, a.xnAttn[l], w.wq(), N);
        linearBackward(a.dxn, grads, a.dk, a.xnAttn[l], w.wk(), N);
        linearBackward(a.dxn, grads, a.dv, a.xnAttn[l], w.wv(), N);
        RmsNorm.backward(dx, grads, w.attnNorm().offset(), a.dxn, a.x[l], params, w.attnNorm().offset(), a.rstdAttn[l], N, D);
    }

    private static void biasBackward(float[] grads, ParameterLayout.View b, float[] dy, int n) {
        int width = b.size(), off = b.offset();
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < width; j++) grads[off + j] += dy[r * width + j];
        }
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
        if (config.shiftLogits()) throw new IllegalStateException("cached decoding of a model with shifted logits is not supported");
        if (count < 1) throw new IllegalArgumentException("count must be at least 1, got " + count);
        int pos0 = cache.length;
        if (pos0 + count > cache.capacity) {
            throw new IllegalArgumentException("KV cache full: " + pos0 + " cached + " + count + " new > capacity " + cache.capacity);
        }
        float[] logits = runRows(cache, tokens, off, count, pos0, pos0 + count, AttentionMask.CAUSAL);
        cache.length = pos0 + count;
        return logits;
    }

    // ------------------------------------------------------------------ block cache (Fast-dLLM)

    /**
     * A full pass over one sequence of {@code length} tokens (bidirectional, or block-causal for a
     * block-diffusion model) that also keeps every layer's keys and values in {@code cache}, for
     * later {@link #forwardWindow} calls. For a block-causal model a window that is one of its
     * blocks sees only itself and the blocks before it, so its logits are exact while those blocks
     * are unchanged since this pass (BD3-LM's KV cache). Returns the
     * logits [length, vocab] (the same as {@link #logits}; the array is reused by later calls).
     */
    public float[] forwardCaching(KVCache cache, int[] tokens, int length) {
        if (config.causal()) throw new IllegalStateException("the block cache is for bidirectional models; a causal one decodes with decode()");
        if (length < 1 || length > cache.capacity) {
            throw new IllegalArgumentException("length " + length + " must be in [1, " + cache.capacity + "] (the cache's capacity)");
        }
        float[] logits = runRows(cache, tokens, 0, length, 0, length, config.attentionMask());
        cache.length = length;
        if (config.shiftLogits()) shiftLogits(logits, 1, length);
        return logits;
    }

    /**
     * Logits [hi − lo, vocab] of positions [lo, hi) of the sequence last run by
     * {@link #forwardCaching}, recomputed from their current tokens while every other position
     * enters attention through the keys and values cached then (an approximation once those
     * positions' context has changed; exact when it has not). The window's own keys and values
     * replace the cached ones. {@code tokens} is the whole sequence.
     */
    public float[] forwardWindow(KVCache cache, int[] tokens, int lo, int hi) {
        if (config.causal()) throw new IllegalStateException("the block cache is for bidirectional models");
        if (config.blockCausal()) {
            // BD3-LM's KV cache: rows [lo, hi) see only their blocks and the ones before, so they are
            // exact against cached rows before lo that came from their current tokens; the window may
            // reach past the cache (extending it, no full pass needed) but not start after it
            if (lo < 0 || lo > cache.length || hi <= lo || hi > cache.capacity) {
                throw new IllegalArgumentException("window [" + lo + ", " + hi + ") must start inside the cached " + cache.length
                        + " positions and end within the capacity " + cache.capacity);
            }
            cache.length = Math.max(cache.length, hi);
        } else {
            if (cache.length == 0) throw new IllegalStateException("the cache is empty: run forwardCaching first");
            if (lo < 0 || hi > cache.length || lo >= hi) {
                throw new IllegalArgumentException("window [" + lo + ", " + hi + ") must lie inside the cached " + cache.length + " positions");
            }
        }
        // Dream reads position i from the hidden state at i − 1: recompute one row more on the left
        int from = config.shiftLogits() && lo > 0 ? lo - 1 : lo;
        float[] raw = runRows(cache, tokens, from, hi - from, from, cache.length, config.attentionMask());
        if (!config.shiftLogits()) return raw;
        int V = config.vocabSize();
        if (from == lo) shiftLogits(raw, 1, hi - lo);     // lo = 0: position 0 keeps its own row
        return java.util.Arrays.copyOf(raw, (hi - lo) * V); // rows from−1+1 .. hi−1 of the raw window
    }

    /**
     * Runs rows [pos0, pos0 + count) of one sequence (tokens from {@code off}), writing their keys
     * and values at those rows of the cache and attending to its first {@code keys} rows.
     */
    private float[] runRows(KVCache cache, int[] tokens, int off, int count, int pos0, int keys, AttentionMask mask) {
        Activations a = cache.scratch;
        if (a == null || a.seqLen != count) {
            a = new Activations(config, 1, count, false);
            cache.scratch = a;
        }
        embed(a.x[0], tokens, off, count);
        for (int l = 0; l < config.layers(); l++) {
            blockForward(l, a, cache.k[l], cache.v[l], pos0, pos0, keys, mask);
        }
        head(a);
        return a.logits;
    }
}
