package jdlm.model;

import jdlm.tensor.AttentionMask;
import jdlm.tensor.Rope;

/**
 * Shape and hyper-parameters of a transformer. The native architecture is LLaDA's (DESIGN.md §3):
 * pre-norm, RMSNorm, rotary embeddings, SwiGLU MLP, grouped-query attention, no biases, untied
 * input and output embeddings, no time input. {@link AttentionMode#BIDIRECTIONAL} makes it a
 * masked-diffusion model, {@link AttentionMode#CAUSAL} its autoregressive twin (a Llama), and
 * {@link AttentionMode#BLOCK_CAUSAL} a block-diffusion model (BD3-LM: causal over blocks of
 * {@code blockSize} positions, bidirectional inside one).
 *
 * @param layers        number of transformer blocks
 * @param dim           model width d
 * @param heads         query heads
 * @param kvHeads       key/value heads (heads % kvHeads == 0; equal means plain multi-head)
 * @param headDim       width of one head (usually dim / heads)
 * @param hiddenDim     SwiGLU inner width
 * @param vocabSize     number of token ids, special tokens included
 * @param contextLength longest sequence the model accepts (rotary tables are sized to it)
 * @param ropeTheta     rotary base θ
 * @param normEps       RMSNorm ε
 * @param attention     bidirectional (diffusion), causal (autoregressive) or block-causal (block diffusion)
 * @param ropeStyle     which pairs rotate: adjacent (Llama, LLaDA) or halves (NeoX, Qwen2, Dream)
 * @param qkvBias       q, k and v projections carry a bias (Qwen2, Dream)
 * @param tiedEmbeddings the output projection is the token embedding matrix
 * @param shiftLogits   the logits of position i are read from the hidden state at i − 1, position 0
 *                      keeps its own (Dream: {@code logits = cat(logits[:, :1], logits[:, :-1])})
 * @param blockSize     block length of a block-causal model (≥ 1); 0 for the other modes
 */
public record ModelConfig(int layers, int dim, int heads, int kvHeads, int headDim, int hiddenDim,
                          int vocabSize, int contextLength, double ropeTheta, float normEps,
                          AttentionMode attention, Rope.Style ropeStyle,
                          boolean qkvBias, boolean tiedEmbeddings, boolean shiftLogits, int blockSize) {

    public enum AttentionMode { BIDIRECTIONAL, CAUSAL, BLOCK_CAUSAL }

    public ModelConfig {
        require(layers >= 1, "layers", layers, "at least 1");
        require(dim >= 1, "dim", dim, "at least 1");
        require(heads >= 1, "heads", heads, "at least 1");
        require(kvHeads >= 1 && heads % kvHeads == 0, "kvHeads", kvHeads, "a divisor of heads (" + heads + ")");
        require(headDim >= 2 && headDim % 2 == 0 && headDim <= 128, "headDim", headDim, "an even number in [2, 128]");
        require(hiddenDim >= 1, "hiddenDim", hiddenDim, "at least 1");
        require(vocabSize >= 2, "vocabSize", vocabSize, "at least 2");
        require(contextLength >= 1, "contextLength", contextLength, "at least 1");
        if (!(ropeTheta > 0)) throw new IllegalArgumentException("ropeTheta must be positive, got " + ropeTheta);
        if (!(normEps > 0)) throw new IllegalArgumentException("normEps must be positive, got " + normEps);
        if (attention == null || ropeStyle == null) throw new IllegalArgumentException("attention and ropeStyle are required");
        if (attention == AttentionMode.BLOCK_CAUSAL) {
            require(blockSize >= 1 && blockSize <= contextLength, "blockSize", blockSize, "in [1, contextLength] for a block-causal model");
        } else {
            require(blockSize == 0, "blockSize", blockSize, "0 unless the attention is block-causal");
        }
    }

    /** Any model but a block-causal one (blockSize 0). */
    public ModelConfig(int layers, int dim, int heads, int kvHeads, int headDim, int hiddenDim,
                       int vocabSize, int contextLength, double ropeTheta, float normEps,
                       AttentionMode attention, Rope.Style ropeStyle,
                       boolean qkvBias, boolean tiedEmbeddings, boolean shiftLogits) {
        this(layers, dim, heads, kvHeads, headDim, hiddenDim, vocabSize, contextLength, ropeTheta, normEps,
                attention, ropeStyle, qkvBias, tiedEmbeddings, shiftLogits, 0);
    }

    /** The native architecture's variant: no biases, untied embeddings, unshifted logits. */
    public ModelConfig(int layers, int dim, int heads, int kvHeads, int headDim, int hiddenDim,
                       int vocabSize, int contextLength, double ropeTheta, float normEps,
                       AttentionMode attention, Rope.Style ropeStyle) {
        this(layers, dim, heads, kvHeads, headDim, hiddenDim, vocabSize, contextLength, ropeTheta, normEps,
                attention, ropeStyle, false, false, false);
    }

    /** A LLaDA-style model with head size dim/heads, plain multi-head attention, θ = 10000, ε = 1e-5. */
    public static ModelConfig of(int layers, int dim, int heads, int hiddenDim, int vocabSize,
                                 int contextLength, AttentionMode attention) {
        if (dim % heads != 0) throw new IllegalArgumentException("dim (" + dim + ") must be divisible by heads (" + heads + ")");
        return new ModelConfig(layers, dim, heads, heads, dim / heads, hiddenDim, vocabSize, contextLength,
                10000.0, 1e-5f, attention, Rope.Style.ADJACENT_PAIRS);
    }

    /** The same network with another (non-block) attention mode. */
    public ModelConfig withAttention(AttentionMode mode) {
        return new ModelConfig(layers, dim, heads, kvHeads, headDim, hiddenDim, vocabSize, contextLength,
                ropeTheta, normEps, mode, ropeStyle, qkvBias, tiedEmbeddings, shiftLogits);
    }

    /**
     * The same network, block-causal with blocks of {@code size} (a block-diffusion model). Shifted
     * logits stay shifted; a causal model's become so (read from the state before, as it learned).
     */
    public ModelConfig withBlocks(int size) {
        return new ModelConfig(layers, dim, heads, kvHeads, headDim, hiddenDim, vocabSize, contextLength,
                ropeTheta, normEps, AttentionMode.BLOCK_CAUSAL, ropeStyle, qkvBias, tiedEmbeddings, shiftLogits || causal(), size);
    }

    /** The attention mask of a forward pass over a sequence. */
    public AttentionMask attentionMask() {
        return switch (attention) {
            case BIDIRECTIONAL -> AttentionMask.BIDIRECTIONAL;
            case CAUSAL -> AttentionMask.CAUSAL;
            case BLOCK_CAUSAL -> AttentionMask.blockCausal(blockSize);
        };
    }

    /**
     * The masked-diffusion model adapted from this causal one (Dream, DiffuLLaMA): the same weights
     * with bidirectional attention and logits shifted by one, so each position still predicts the
     * token after the hidden state it is read from, as the causal model learned to.
     */
    public ModelConfig adaptedToDiffusion() {
        if (!causal()) throw new IllegalStateException("only a causal model is adapted to diffusion; this one is already bidirectional");
        return new ModelConfig(layers, dim, heads, kvHeads, headDim, hiddenDim, vocabSize, contextLength,
                ropeTheta, normEps, AttentionMode.BIDIRECTIONAL, ropeStyle, qkvBias, tiedEmbeddings, true);
    }

    /** The config as plain values (for a JSON config file); {@link #fromMap} reads it back. */
    public java.util.Map<String, Object> toMap() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("layers", (long) layers);
        m.put("dim", (long) dim);
        m.put("heads", (long) heads);
        m.put("kv_heads", (long) kvHeads);
        m.put("head_dim", (long) headDim);
        m.put("hidden_dim", (long) hiddenDim);
        m.put("vocab_size", (long) vocabSize);
        m.put("context_length", (long) contextLength);
        m.put("rope_theta", ropeTheta);
        m.put("norm_eps", (double) normEps);
        m.put("attention", attention.name().toLowerCase(java.util.Locale.ROOT));
        m.put("rope_style", ropeStyle.name().toLowerCase(java.util.Locale.ROOT));
        m.put("qkv_bias", qkvBias);
        m.put("tied_embeddings", tiedEmbeddings);
        m.put("shift_logits", shiftLogits);
        if (blockSize > 0) m.put("block_size", (long) blockSize);
        return m;
    }

    /**
     * Reads {@link #toMap}'s form; a missing or mistyped field is an error naming it. The variant
     * flags (qkv_bias, tied_embeddings, shift_logits) and block_size came later: missing means
     * false (0), so older config files still read.
     */
    public static ModelConfig fromMap(java.util.Map<String, Object> m) {
        return new ModelConfig(intField(m, "layers"), intField(m, "dim"), intField(m, "heads"), intField(m, "kv_heads"),
                intField(m, "head_dim"), intField(m, "hidden_dim"), intField(m, "vocab_size"), intField(m, "context_length"),
                numberField(m, "rope_theta"), (float) numberField(m, "norm_eps"),
                enumField(m, "attention", AttentionMode.class), enumField(m, "rope_style", Rope.Style.class),
                flagField(m, "qkv_bias"), flagField(m, "tied_embeddings"), flagField(m, "shift_logits"),
                m.containsKey("block_size") ? intField(m, "block_size") : 0);
    }

    private static boolean flagField(java.util.Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v == null) return false;
        if (!(v instanceof Boolean b)) throw new IllegalArgumentException("model config field '" + key + "' must be true or false, found " + v);
        return b;
    }

    private static int intField(java.util.Map<String, Object> m, String key) {
        if (!(m.get(key) instanceof Long v) || v < 0 || v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("model config field '" + key + "' must be a non-negative integer, found " + m.get(key));
        }
        return (int) (long) v;
    }

    private static double numberField(java.util.Map<String, Object> m, String key) {
        if (!(m.get(key) instanceof Number v)) throw new IllegalArgumentException("model config field '" + key + "' must be a number, found " + m.get(key));
        return v.doubleValue();
    }

    private static <E extends Enum<E>> E enumField(java.util.Map<String, Object> m, String key, Class<E> type) {
        Object v = m.get(key);
        for (E e : type.getEnumConstants()) if (e.name().equalsIgnoreCase(String.valueOf(v))) return e;
        throw new IllegalArgumentException("model config field '" + key + "' must be one of "
                + java.util.Arrays.toString(type.getEnumConstants()).toLowerCase(java.util.Locale.ROOT) + ", found " + v);
    }

    /** Width of all query heads together. */
    public int qDim() { return heads * headDim; }

    /** Width of all key (or value) heads together. */
    public int kvDim() { return kvHeads * headDim; }

    public boolean causal() { return attention == AttentionMode.CAUSAL; }

    /** A block-diffusion (BD3-LM) model. */
    public boolean blockCausal() { return attention == AttentionMode.BLOCK_CAUSAL; }

    /** Parameters that multiply activations (all matrices, embedding lookup excluded). */
    public long matmulParameters() {
        long perLayer = (long) dim * qDim() + 2L * dim * kvDim() + (long) qDim() * dim + 3L * dim * hiddenDim;
        return layers * perLayer + (long) dim * vocabSize;
    }

    /**
     * Floating-point operations of one forward pass per token of a sequence of {@code seqLen}
     * tokens: 2 per multiply-add of every weight, plus attention's QKᵀ and PV (2·2·S·qDim per
     * layer, S the visible keys: all of them, or on average (seqLen+1)/2 when causal). Norms and
     * activations are negligible and not counted. A training step costs about three times this.
     */
    public double forwardFlopsPerToken(int seqLen) {
        double visible = causal() ? (seqLen + 1) / 2.0 : blockCausal() ? (seqLen + Math.min(blockSize, seqLen)) / 2.0 : seqLen;
        return 2.0 * matmulParameters() + layers * 4.0 * visible * qDim();
    }

    private static void require(boolean ok, String name, int value, String expected) {
        if (!ok) throw new IllegalArgumentException(name + " must be " + expected + ", got " + value);
    }
}
