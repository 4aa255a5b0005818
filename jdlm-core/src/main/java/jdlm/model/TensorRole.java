package jdlm.model;

/**
 * What each weight tensor of the architecture is for, with its jdlm name (which is llama.cpp's GGUF
 * name; {@link ParameterLayout} uses the same) and its shape under a config. Importers and exporters
 * translate between these roles and a file's own names.
 */
public enum TensorRole {
    TOKEN_EMBEDDING("token_embd.weight", false),
    ATTN_NORM("attn_norm.weight", true),
    ATTN_Q("attn_q.weight", true),
    ATTN_K("attn_k.weight", true),
    ATTN_V("attn_v.weight", true),
    ATTN_Q_BIAS("attn_q.bias", true),
    ATTN_K_BIAS("attn_k.bias", true),
    ATTN_V_BIAS("attn_v.bias", true),
    ATTN_OUTPUT("attn_output.weight", true),
    FFN_NORM("ffn_norm.weight", true),
    FFN_GATE("ffn_gate.weight", true),
    FFN_UP("ffn_up.weight", true),
    FFN_DOWN("ffn_down.weight", true),
    OUTPUT_NORM("output_norm.weight", false),
    OUTPUT("output.weight", false);

    private final String suffix;
    private final boolean perLayer;

    TensorRole(String suffix, boolean perLayer) {
        this.suffix = suffix;
        this.perLayer = perLayer;
    }

    /** One per transformer block (named blk.N.…) rather than one per model. */
    public boolean perLayer() { return perLayer; }

    /** True for the q/k/v biases, present only when the config has them. */
    public boolean isBias() { return suffix.endsWith(".bias"); }

    /** Whether a model with this config has this tensor (biases only with qkvBias, the output only when untied). */
    public boolean presentIn(ModelConfig c) {
        if (isBias()) return c.qkvBias();
        if (this == OUTPUT) return !c.tiedEmbeddings();
        return true;
    }

    /** The jdlm / GGUF name, e.g. {@code blk.3.attn_q.weight}; {@code layer} is ignored for whole-model tensors. */
    public String name(int layer) {
        return perLayer ? "blk." + layer + "." + suffix : suffix;
    }

    /** Shape, outermost first: matrices are [out, in], gains and biases a single dimension. */
    public long[] shape(ModelConfig c) {
        long d = c.dim(), q = c.qDim(), kv = c.kvDim(), f = c.hiddenDim(), v = c.vocabSize();
        return switch (this) {
            case TOKEN_EMBEDDING, OUTPUT -> new long[] {v, d};
            case ATTN_NORM, FFN_NORM, OUTPUT_NORM -> new long[] {d};
            case ATTN_Q -> new long[] {q, d};
            case ATTN_K, ATTN_V -> new long[] {kv, d};
            case ATTN_Q_BIAS -> new long[] {q};
            case ATTN_K_BIAS, ATTN_V_BIAS -> new long[] {kv};
            case ATTN_OUTPUT -> new long[] {d, q};
            case FFN_GATE, FFN_UP -> new long[] {f, d};
            case FFN_DOWN -> new long[] {d, f};
        };
    }
}
