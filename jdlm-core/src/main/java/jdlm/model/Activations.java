package jdlm.model;

/**
 * The intermediate values of one forward pass over B sequences of T tokens (N = B·T rows),
 * kept for the backward pass. For inference ({@code training == false}) every layer aliases the
 * same buffers, and the attention probabilities are not kept, so memory does not grow with depth.
 */
public final class Activations {
    final int batch;
    final int seqLen;
    final int rows;
    final boolean training;
    /**
     * Block diffusion's training layout: each sequence of T = 2L rows is [x₀ | x_t], both halves at
     * positions 0..L−1, attending as {@link jdlm.tensor.AttentionMask#blockDiffusionTraining} says.
     */
    final boolean cleanNoisyPairs;

    final int[] tokens;
    /** x[l]: residual stream entering layer l, [N, dim]; x[layers] leaves the last layer. */
    final float[][] x;
    final float[][] xnAttn, rstdAttn;   // attention pre-norm output [N, dim] and its 1/rms [N]
    final float[][] q, k, v;            // after rotary: [N, qDim], [N, kvDim], [N, kvDim]
    final float[][] probs;              // softmax of attention scores [B, heads, T, T] (training only)
    final float[][] att;                // attention output before W_o [N, qDim]
    final float[][] xMid;               // residual after attention [N, dim]
    final float[][] xnFfn, rstdFfn;     // MLP pre-norm [N, dim], [N]
    final float[][] gate, up, hidden;   // SwiGLU: x·W_gateᵀ, x·W_upᵀ, silu(gate)·up [N, hidden]
    final float[] xnFinal, rstdFinal;   // final norm [N, dim], [N]
    final float[] logits;               // [N, vocab]

    // Backward scratch, allocated on the first backward pass.
    float[] dx, dxn, dAtt, dq, dk, dv, dGate, dUp, dHidden;

    public Activations(ModelConfig c, int batch, int seqLen, boolean training) {
        this(c, batch, seqLen, training, false);
    }

    /** With {@code cleanNoisyPairs}, each of the batch's sequences is [x₀ | x_t] (seqLen = 2L) for a block-causal model. */
    public Activations(ModelConfig c, int batch, int seqLen, boolean training, boolean cleanNoisyPairs) {
        if (batch < 1 || seqLen < 1) throw new IllegalArgumentException("batch and seqLen must be positive, got " + batch + " and " + seqLen);
        if (cleanNoisyPairs && (!c.blockCausal() || seqLen % 2 != 0)) {
            throw new IllegalArgumentException("clean/noisy pairs need a block-causal model and an even seqLen, got " + c.attention() + " and " + seqLen);
        }
        long n = (long) batch * seqLen;
        if (n * Math.max(c.vocabSize(), Math.max(c.hiddenDim(), c.dim())) > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("batch " + batch + " × seqLen " + seqLen + " is too large for this model's buffers");
        }
        this.batch = batch;
        this.seqLen = seqLen;
        this.rows = (int) n;
        this.training = training;
        this.cleanNoisyPairs = cleanNoisyPairs;
        int L = c.layers(), N = rows, D = c.dim(), F = c.hiddenDim();
        tokens = new int[N];
        x = new float[L + 1][];
        if (training) {
            for (int l = 0; l <= L; l++) x[l] = new float[N * D];
        } else {
            float[] even = new float[N * D], odd = new float[N * D];
            for (int l = 0; l <= L; l++) x[l] = (l % 2 == 0) ? even : odd;
        }
        xnAttn = perLayer(L, N * D);
        rstdAttn = perLayer(L, N);
        q = perLayer(L, N * c.qDim());
        k = perLayer(L, N * c.kvDim());
        v = perLayer(L, N * c.kvDim());
        probs = training ? perLayer(L, Math.multiplyExact(Math.multiplyExact(batch * c.heads(), seqLen), seqLen)) : new float[L][];
        att = perLayer(L, N * c.qDim());
        xMid = perLayer(L, N * D);
        xnFfn = perLayer(L, N * D);
        rstdFfn = perLayer(L, N);
        gate = perLayer(L, N * F);
        up = perLayer(L, N * F);
        hidden = perLayer(L, N * F);
        xnFinal = new float[N * D];
        rstdFinal = new float[N];
        logits = new float[N * c.vocabSize()];
    }

    private float[][] perLayer(int layers, int size) {
        float[][] a = new float[layers][];
        if (training) {
            for (int l = 0; l < layers; l++) a[l] = new float[size];
        } else {
            float[] shared = new float[size];
            for (int l = 0; l < layers; l++) a[l] = shared;
        }
        return a;
    }

    void ensureBackwardScratch(ModelConfig c) {
        if (dx != null) return;
        int N = rows;
        dx = new float[N * c.dim()];
        dxn = new float[N * c.dim()];
        dAtt = new float[N * c.qDim()];
        dq = new float[N * c.qDim()];
        dk = new float[N * c.kvDim()];
        dv = new float[N * c.kvDim()];
        dGate = new float[N * c.hiddenDim()];
        dUp = new float[N * c.hiddenDim()];
        dHidden = new float[N * c.hiddenDim()];
    }

    public int batch() { return batch; }
    public int seqLen() { return seqLen; }
    public boolean training() { return training; }

    /** Logits of the last forward pass, [B·T, vocab], row b·T + t. */
    public float[] logits() { return logits; }
}
