package jdlm.model.interop;

import java.nio.file.Path;
import java.util.Map;

import jdlm.format.FormatException;
import jdlm.model.ModelConfig;
import jdlm.model.ModelConfig.AttentionMode;
import jdlm.model.ModelWeights;
import jdlm.model.TensorRole;
import jdlm.model.Transformer;
import jdlm.tensor.Rope;
import jdlm.tensor.WeightTensor;

/**
 * Builds an inference-only jdlm model from a GGUF file's metadata and tensors, as llama.cpp writes
 * them for the {@code llada}, {@code dream} and {@code llama} architectures. Tensor names are
 * llama.cpp's ({@code token_embd.weight}, {@code blk.N.attn_q.weight}, …), which are jdlm's own.
 *
 * <p>Rotary layout: llama.cpp's converters permute LLaDA's and Llama's q/k rows from Hugging Face's
 * halves layout into adjacent pairs (its "normal" rope), and leave Dream's (Qwen2, "neox" rope)
 * alone; so {@code llada} and {@code llama} import as {@link Rope.Style#ADJACENT_PAIRS}, {@code dream}
 * as {@link Rope.Style#HALVES}. The logits equal those of the Hugging Face original up to the order
 * of the sums in q·k.
 */
public final class GgufImport {
    private GgufImport() {}

    /**
     * @param source   the GGUF file, named in error messages
     * @param metadata its key/values (integers as Long, floats as Double, booleans, strings, lists)
     * @param tensors  its tensors by name, shapes outermost first; they must stay mapped while the model is used
     */
    public static ImportedModel load(Path source, Map<String, Object> metadata, Map<String, WeightTensor> tensors) {
        KeyValues kv = new KeyValues(source, metadata);
        String arch = kv.string("general.architecture");
        if (!arch.equals("llada") && !arch.equals("dream") && !arch.equals("llama")) {
            throw new FormatException(source, "general.architecture", "llada, dream or llama", arch);
        }
        String p = arch + ".";
        int dim = kv.positiveInt(p + "embedding_length");
        int heads = kv.positiveInt(p + "attention.head_count");
        if (!kv.has(p + "attention.key_length") && dim % heads != 0) {
            throw new FormatException(source, p + "attention.head_count", "a divisor of embedding_length = " + dim, String.valueOf(heads));
        }
        int headDim = kv.positiveInt(p + "attention.key_length", dim / heads);
        if (kv.positiveInt(p + "rope.dimension_count", headDim) != headDim) {
            throw new FormatException(source, p + "rope.dimension_count", headDim + " (rotation of whole heads)",
                    String.valueOf(metadata.get(p + "rope.dimension_count")));
        }
        WeightTensor embedding = tensors.get(TensorRole.TOKEN_EMBEDDING.name(0));
        if (embedding == null || embedding.shape().length != 2 || embedding.rows() > Integer.MAX_VALUE) {
            throw new FormatException(source, "tensor " + TensorRole.TOKEN_EMBEDDING.name(0), "a [vocab, " + dim + "] matrix",
                    embedding == null ? "missing" : java.util.Arrays.toString(embedding.shape()));
        }
        if (!kv.has(p + "attention.layer_norm_rms_epsilon")) {
            throw new FormatException(source, p + "attention.layer_norm_rms_epsilon", "the RMSNorm epsilon", "nothing (the key is missing)");
        }
        boolean causal = kv.flag(p + "attention.causal", arch.equals("llama"));
        // llama.cpp's diffusion runner: a missing key means "shift" (the Dream default)
        boolean shift = kv.flag("diffusion.shift_logits", arch.equals("dream"));
        ModelConfig config;
        try {
            config = new ModelConfig(kv.positiveInt(p + "block_count"), dim, heads, kv.positiveInt(p + "attention.head_count_kv", heads),
                    headDim, kv.positiveInt(p + "feed_forward_length"), (int) embedding.rows(), kv.contextLength(p + "context_length"),
                    kv.positiveNumber(p + "rope.freq_base", 10000), (float) kv.positiveNumber(p + "attention.layer_norm_rms_epsilon", 0),
                    causal ? AttentionMode.CAUSAL : AttentionMode.BIDIRECTIONAL,
                    arch.equals("dream") ? Rope.Style.HALVES : Rope.Style.ADJACENT_PAIRS,
                    tensors.containsKey(TensorRole.ATTN_Q_BIAS.name(0)), !tensors.containsKey(TensorRole.OUTPUT.name(0)), shift);
        } catch (IllegalArgumentException e) {
            throw new FormatException(source, "unsupported model shape: " + e.getMessage(), e);
        }
        ModelWeights weights;
        try {
            weights = ModelWeights.mapped(config, (role, layer) -> {
                WeightTensor t = tensors.get(role.name(layer));
                if (t == null) throw new FormatException(source, "tensor " + role.name(layer), "present", "missing");
                return t;
            });
        } catch (IllegalArgumentException badShape) {
            throw new FormatException(source, badShape.getMessage(), badShape);
        }
        return new ImportedModel(new Transformer(config, weights), arch, kv.optionalId("tokenizer.ggml.mask_token_id"), null);
    }
}
