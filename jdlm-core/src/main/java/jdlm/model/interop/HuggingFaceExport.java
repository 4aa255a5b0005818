package jdlm.model.interop;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import jdlm.format.Json;
import jdlm.format.safetensors.DType;
import jdlm.format.safetensors.SafetensorsWriter;
import jdlm.model.ModelConfig;
import jdlm.model.Transformer;
import jdlm.tokenizer.Tokenizer;
import jdlm.tokenizer.TokenizerJsonExport;
import jdlm.tensor.Rope;

/**
 * Writes a native jdlm model as a Hugging Face directory ({@code config.json} + {@code model.safetensors}):
 * a masked-diffusion model as LLaDA ({@code model_type "llada"}, LLaDA's tensor names), its causal
 * twin as Llama ({@code LlamaForCausalLM}). q/k rows are stored in Hugging Face's halves rotary
 * layout, as both model codes expect. {@link HuggingFaceImport} reads the result back with the same
 * values (in the chosen dtype). Tokenizer files are not written here.
 */
public final class HuggingFaceExport {
    private HuggingFaceExport() {}

    /**
     * A model with its tokenizer: the weights and config.json (with the tokenizer's EOS, PAD and,
     * for a masked model, MASK ids), and tokenizer.json, so the directory loads back as it was.
     */
    public static void write(Transformer model, Tokenizer tokenizer, Path dir, DType dtype) throws IOException {
        Map<String, Object> ids = new LinkedHashMap<>();
        ids.put("eos_token_id", (long) tokenizer.eosId());
        ids.put("pad_token_id", (long) tokenizer.padId());
        write(model, model.config().causal() ? OptionalInt.empty() : OptionalInt.of(tokenizer.maskId()), ids, dir, dtype);
        TokenizerJsonExport.write(tokenizer, dir.resolve("tokenizer.json"));
    }

    /** The weights and config.json only. */
    public static void write(Transformer model, OptionalInt maskTokenId, Path dir, DType dtype) throws IOException {
        write(model, maskTokenId, Map.of(), dir, dtype);
    }

    private static void write(Transformer model, OptionalInt maskTokenId, Map<String, Object> extraConfig, Path dir, DType dtype) throws IOException {
        ModelConfig c = model.config();
        boolean llada = !c.causal();
        if (!llada && c.qkvBias()) throw new IllegalArgumentException("Llama's config cannot express q/k/v biases without an output bias; cannot export");
        if (llada && c.headDim() * c.heads() != c.dim()) {
            throw new IllegalArgumentException("LLaDA's code derives the head size as d_model / n_heads = " + c.dim() / c.heads()
                    + "; this model's is " + c.headDim());
        }
        if (c.blockCausal()) {
            throw new IllegalArgumentException("a block-diffusion model (blocks of " + c.blockSize() + ") has no Hugging Face architecture;"
                    + " keep it as a jdlm model (convert to a directory)");
        }
        if (c.shiftLogits()) {
            throw new IllegalArgumentException("the LLaDA and Llama configs have no way to say that the logits are shifted"
                    + " (a model adapted from a causal one); export it as GGUF, which records diffusion.shift_logits");
        }
        List<NativeExport.Entry> tensors = NativeExport.tensors(model, Rope.Style.HALVES, "Hugging Face safetensors");
        HuggingFaceNaming naming = llada ? HuggingFaceNaming.LLADA : HuggingFaceNaming.LLAMA;
        SafetensorsWriter w = new SafetensorsWriter();
        for (NativeExport.Entry e : tensors) {
            ExportTensor t = e.tensor();
            w.add(naming.name(e.role(), e.layer()), dtype, t.shape(), t.data(), t.offset());
        }
        w.metadata("format", "pt");
        Files.createDirectories(dir);
        w.write(dir.resolve(SafetensorsShards.SINGLE));
        Map<String, Object> config = llada ? lladaConfig(c, maskTokenId) : llamaConfig(c);
        config.putAll(extraConfig);
        config.put("torch_dtype", switch (dtype) {
            case F32 -> "float32";
            case F16 -> "float16";
            case BF16 -> "bfloat16";
        });
        Path tmp = dir.resolve(HuggingFaceImport.CONFIG + ".tmp");
        Files.writeString(tmp, Json.writePretty(config) + "\n");
        Files.move(tmp, dir.resolve(HuggingFaceImport.CONFIG), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static Map<String, Object> lladaConfig(ModelConfig c, OptionalInt mask) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model_type", "llada");
        m.put("architectures", List.of("LLaDAModelLM"));
        m.put("d_model", (long) c.dim());
        m.put("n_heads", (long) c.heads());
        m.put("n_kv_heads", (long) c.kvHeads());
        m.put("n_layers", (long) c.layers());
        m.put("mlp_hidden_size", (long) c.hiddenDim());
        m.put("vocab_size", (long) c.vocabSize());
        m.put("embedding_size", (long) c.vocabSize());
        m.put("max_sequence_length", (long) c.contextLength());
        m.put("rope_theta", c.ropeTheta());
        m.put("rms_norm_eps", (double) c.normEps());
        m.put("block_type", "llama");
        m.put("activation_type", "silu");
        m.put("layer_norm_type", "rms");
        m.put("include_bias", false);
        m.put("include_qkv_bias", c.qkvBias());
        m.put("weight_tying", c.tiedEmbeddings());
        m.put("rope", true);
        m.put("alibi", false);
        m.put("scale_logits", false);
        m.put("input_emb_norm", false);
        if (mask.isPresent()) m.put("mask_token_id", (long) mask.getAsInt());
        return m;
    }

    private static Map<String, Object> llamaConfig(ModelConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model_type", "llama");
        m.put("architectures", List.of("LlamaForCausalLM"));
        m.put("hidden_size", (long) c.dim());
        m.put("num_attention_heads", (long) c.heads());
        m.put("num_key_value_heads", (long) c.kvHeads());
        m.put("head_dim", (long) c.headDim());
        m.put("num_hidden_layers", (long) c.layers());
        m.put("intermediate_size", (long) c.hiddenDim());
        m.put("vocab_size", (long) c.vocabSize());
        m.put("max_position_embeddings", (long) c.contextLength());
        m.put("rope_theta", c.ropeTheta());
        m.put("rms_norm_eps", (double) c.normEps());
        m.put("hidden_act", "silu");
        m.put("attention_bias", false);
        m.put("mlp_bias", false);
        m.put("tie_word_embeddings", c.tiedEmbeddings());
        return m;
    }
}
