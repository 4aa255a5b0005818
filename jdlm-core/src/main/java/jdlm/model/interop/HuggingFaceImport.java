package jdlm.model.interop;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

import jdlm.format.FormatException;
import jdlm.format.Json;
import jdlm.format.JsonException;
import jdlm.model.ModelConfig;
import jdlm.model.ModelConfig.AttentionMode;
import jdlm.model.ModelWeights;
import jdlm.model.TensorRole;
import jdlm.model.Transformer;
import jdlm.tensor.Rope;

/**
 * Opens a Hugging Face model directory ({@code config.json} and safetensors, single or sharded) as
 * an inference-only jdlm model whose weights stay memory-mapped in the files' own dtype.
 *
 * <p>Supported {@code model_type}s: {@code llada} (GSAI-ML/LLaDA-8B-Base / -Instruct: bidirectional,
 * OLMo-style names and config keys), {@code Dream} (Dream-org/Dream-v0-*-7B: Qwen2 with q/k/v
 * biases, bidirectional, logits shifted by one) and {@code llama} (causal; what jdlm writes for an
 * autoregressive model). All three keep Hugging Face's rotary layout, which rotates pairs
 * (x[i], x[i + headDim/2]) ({@link Rope.Style#HALVES}): LLaDA's modeling code uses rotate_half too.
 */
public final class HuggingFaceImport {
    static final String CONFIG = "config.json";
    private static final int MAX_CONFIG_CHARS = 1 << 20;

    private HuggingFaceImport() {}

    public static ImportedModel open(Path dir) {
        Path configPath = dir.resolve(CONFIG);
        KeyValues kv = new KeyValues(configPath, readConfig(configPath));
        String type = kv.string("model_type").toLowerCase(Locale.ROOT);
        if (!type.equals("llada") && !type.equals("dream") && !type.equals("llama")) {
            throw new FormatException(configPath, "model_type", "llada, Dream or llama", type);
        }
        SafetensorsShards shards = SafetensorsShards.open(dir);
        try {
            HuggingFaceNaming naming = type.equals("llada") ? HuggingFaceNaming.LLADA : HuggingFaceNaming.LLAMA;
            ModelConfig config = switch (type) {
                case "llada" -> lladaConfig(kv);
                // Dream's modeling code always gives q, k and v a bias; trust the checkpoint
                case "dream" -> qwenStyleConfig(kv, AttentionMode.BIDIRECTIONAL, shards.contains(naming.name(TensorRole.ATTN_Q_BIAS, 0)), true);
                default -> llamaConfig(kv);
            };
            ModelWeights weights;
            try {
                weights = ModelWeights.mapped(config, (role, layer) -> shards.tensor(naming.name(role, layer)));
            } catch (IllegalArgumentException badShape) {
                throw new FormatException(dir, badShape.getMessage(), badShape);
            }
            return new ImportedModel(new Transformer(config, weights), type, kv.optionalId("mask_token_id"), shards);
        } catch (RuntimeException e) {
            shards.close();
            throw e;
        }
    }

    private static Map<String, Object> readConfig(Path file) {
        try {
            if (!Files.isRegularFile(file)) throw new FormatException(file, "file", "a model config.json", "no such file");
            if (Files.size(file) > MAX_CONFIG_CHARS) throw new FormatException(file, "size", "at most " + MAX_CONFIG_CHARS + " bytes", Files.size(file) + " bytes");
            return Json.parseObject(Files.readString(file), MAX_CONFIG_CHARS);
        } catch (IOException e) {
            throw new FormatException(file, "cannot read the file: " + e.getMessage(), e);
        } catch (JsonException e) {
            throw new FormatException(file, "malformed JSON: " + e.getMessage(), e);
        }
    }

    /** LLaDA's config keys (configuration_llada.py); settings of the OLMo code base LLaDA does not use are refused. */
    private static ModelConfig lladaConfig(KeyValues kv) {
        kv.require("block_type", "llama", "LLaDA's block with separate q/k/v and a SwiGLU MLP");
        kv.require("activation_type", "silu", "silu(ff_proj(x)) · up_proj(x)");
        kv.require("layer_norm_type", "rms", "RMSNorm");
        kv.require("include_bias", false, "biases other than q/k/v are not implemented");
        kv.require("bias_for_layer_norm", false, "norms have no bias");
        kv.require("rope", true, "rotary position embedding");
        kv.require("alibi", false, "ALiBi is not implemented");
        kv.require("scale_logits", false, "logit scaling is not implemented");
        kv.require("input_emb_norm", false, "embedding scaling is not implemented");
        kv.require("attention_layer_norm", false, "q/k norms are not implemented");
        kv.require("clip_qkv", null, "q/k/v clipping is not implemented");
        int dim = kv.positiveInt("d_model");
        int heads = kv.positiveInt("n_heads");
        if (dim % heads != 0) throw new FormatException(kv.file(), "n_heads", "a divisor of d_model = " + dim, String.valueOf(heads));
        int kvHeads = kv.flag("multi_query_attention", false) ? 1 : kv.positiveInt("n_kv_heads", heads);
        int hidden = kv.has("mlp_hidden_size") ? kv.positiveInt("mlp_hidden_size") : kv.positiveInt("mlp_ratio", 4) * dim;
        // the embedding may be padded beyond the tokenizer's vocabulary; logits cover all of it
        int vocab = kv.has("embedding_size") ? kv.positiveInt("embedding_size") : kv.positiveInt("vocab_size");
        return config(kv, kv.positiveInt("n_layers"), dim, heads, kvHeads, dim / heads, hidden, vocab,
                kv.contextLength("max_sequence_length"), kv.positiveNumber("rope_theta", 10000), kv.positiveNumber("rms_norm_eps", 1e-5),
                AttentionMode.BIDIRECTIONAL, kv.flag("include_qkv_bias", false), kv.flag("weight_tying", false), false);
    }

    private static ModelConfig llamaConfig(KeyValues kv) {
        kv.require("attention_bias", false, "a bias on the output projection is not implemented");
        return qwenStyleConfig(kv, AttentionMode.CAUSAL, false, false);
    }

    /** transformers' Llama / Qwen2 keys, which Dream keeps. */
    private static ModelConfig qwenStyleConfig(KeyValues kv, AttentionMode attention, boolean qkvBias, boolean shiftLogits) {
        kv.require("hidden_act", "silu", "SwiGLU MLP");
        kv.require("mlp_bias", false, "MLP biases are not implemented");
        kv.require("rope_scaling", null, "rotary scaling is not implemented");
        kv.require("use_sliding_window", false, "sliding-window attention is not implemented");
        int dim = kv.positiveInt("hidden_size");
        int heads = kv.positiveInt("num_attention_heads");
        if (!kv.has("head_dim") && dim % heads != 0) {
            throw new FormatException(kv.file(), "num_attention_heads", "a divisor of hidden_size = " + dim, String.valueOf(heads));
        }
        return config(kv, kv.positiveInt("num_hidden_layers"), dim, heads, kv.positiveInt("num_key_value_heads", heads),
                kv.positiveInt("head_dim", dim / heads), kv.positiveInt("intermediate_size"), kv.positiveInt("vocab_size"),
                kv.contextLength("max_position_embeddings"), kv.positiveNumber("rope_theta", 10000), kv.positiveNumber("rms_norm_eps", 1e-6),
                attention, qkvBias, kv.flag("tie_word_embeddings", false), shiftLogits);
    }

    private static ModelConfig config(KeyValues kv, int layers, int dim, int heads, int kvHeads, int headDim, int hidden, int vocab,
                                      int context, double theta, double eps, AttentionMode attention,
                                      boolean qkvBias, boolean tied, boolean shift) {
        try {
            return new ModelConfig(layers, dim, heads, kvHeads, headDim, hidden, vocab, context, theta, (float) eps,
                    attention, Rope.Style.HALVES, qkvBias, tied, shift);
        } catch (IllegalArgumentException e) {
            throw new FormatException(kv.file(), "unsupported model shape: " + e.getMessage(), e);
        }
    }
}
