package jdlm.model.interop;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import jdlm.model.ModelConfig;
import jdlm.model.Transformer;
import jdlm.tensor.Rope;

/**
 * What a GGUF writer needs to save a native jdlm model so that llama.cpp runs it: a masked-diffusion
 * model as architecture {@code llada}, its causal twin as {@code llama}. Tensor names are jdlm's
 * own (they are llama.cpp's); q/k rows are put in llama.cpp's adjacent-pairs rotary layout.
 * Tokenizer metadata ({@code tokenizer.ggml.*} besides the mask id) is the caller's to add.
 */
public final class GgufExport {
    private GgufExport() {}

    /** {@code llada} for a bidirectional model, {@code llama} for a causal one. */
    public static String architecture(ModelConfig c) {
        return c.causal() ? "llama" : "llada";
    }

    /**
     * The model's GGUF metadata. Types follow the reader's convention; llama.cpp insists on these
     * GGUF types: Long → UINT32, Double → FLOAT32, Boolean → BOOL, String → STRING.
     */
    public static Map<String, Object> metadata(ModelConfig c, OptionalInt maskTokenId) {
        String arch = architecture(c), p = arch + ".";
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("general.architecture", arch);
        m.put(p + "block_count", (long) c.layers());
        m.put(p + "context_length", (long) c.contextLength());
        m.put(p + "embedding_length", (long) c.dim());
        m.put(p + "feed_forward_length", (long) c.hiddenDim());
        m.put(p + "attention.head_count", (long) c.heads());
        m.put(p + "attention.head_count_kv", (long) c.kvHeads());
        m.put(p + "attention.key_length", (long) c.headDim());
        m.put(p + "attention.value_length", (long) c.headDim());
        m.put(p + "attention.layer_norm_rms_epsilon", (double) c.normEps());
        m.put(p + "rope.freq_base", c.ropeTheta());
        m.put(p + "rope.dimension_count", (long) c.headDim());
        m.put(p + "vocab_size", (long) c.vocabSize());
        if (!c.causal()) {
            m.put(p + "attention.causal", false);
            m.put("diffusion.shift_logits", false);
            maskTokenId.ifPresent(id -> m.put("tokenizer.ggml.mask_token_id", (long) id));
        }
        return m;
    }

    /** The tensors in file order (q/k rows converted to adjacent pairs where the model rotates halves). */
    public static List<ExportTensor> tensors(Transformer model) {
        List<ExportTensor> out = new ArrayList<>();
        for (NativeExport.Entry e : NativeExport.tensors(model, Rope.Style.ADJACENT_PAIRS, "GGUF")) out.add(e.tensor());
        return out;
    }
}
