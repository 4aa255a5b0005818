package jdlm.model.interop;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;

import jdlm.format.Json;
import jdlm.format.safetensors.DType;
import jdlm.format.safetensors.SafetensorsWriter;
import jdlm.model.ModelConfig;
import jdlm.model.ParameterLayout;
import jdlm.tensor.QuantType;
import jdlm.tensor.WeightTensor;

/**
 * Writes tiny random checkpoints the way other runtimes lay them out, from a jdlm flat parameter
 * buffer: Hugging Face directories under the released models' tensor names (spelled out here, not
 * taken from the code under test) and GGUF-style tensor maps.
 */
final class TinyCheckpoints {
    private TinyCheckpoints() {}

    static float[] randomParameters(ModelConfig c, long seed) {
        float[] p = new float[new ParameterLayout(c).size()];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < p.length; i++) p[i] = (float) (r.nextGaussian() * 0.5);
        return p;
    }

    /** LLaDA-8B's names (modeling_llada.py): jdlm name → Hugging Face name. */
    static String lladaName(String jdlm) {
        if (jdlm.equals("token_embd.weight")) return "model.transformer.wte.weight";
        if (jdlm.equals("output_norm.weight")) return "model.transformer.ln_f.weight";
        if (jdlm.equals("output.weight")) return "model.transformer.ff_out.weight";
        String[] parts = jdlm.split("\\.", 3); // blk, N, rest
        String rest = switch (parts[2]) {
            case "attn_norm.weight" -> "attn_norm.weight";
            case "attn_q.weight" -> "q_proj.weight";
            case "attn_k.weight" -> "k_proj.weight";
            case "attn_v.weight" -> "v_proj.weight";
            case "attn_output.weight" -> "attn_out.weight";
            case "ffn_norm.weight" -> "ff_norm.weight";
            case "ffn_gate.weight" -> "ff_proj.weight";
            case "ffn_up.weight" -> "up_proj.weight";
            case "ffn_down.weight" -> "ff_out.weight";
            default -> throw new IllegalArgumentException(jdlm);
        };
        return "model.transformer.blocks." + parts[1] + "." + rest;
    }

    /** Qwen2 / Dream names (modeling_dream.py). */
    static String dreamName(String jdlm) {
        if (jdlm.equals("token_embd.weight")) return "model.embed_tokens.weight";
        if (jdlm.equals("output_norm.weight")) return "model.norm.weight";
        if (jdlm.equals("output.weight")) return "lm_head.weight";
        String[] parts = jdlm.split("\\.", 3);
        String rest = switch (parts[2]) {
            case "attn_norm.weight" -> "input_layernorm.weight";
            case "attn_q.weight" -> "self_attn.q_proj.weight";
            case "attn_k.weight" -> "self_attn.k_proj.weight";
            case "attn_v.weight" -> "self_attn.v_proj.weight";
            case "attn_q.bias" -> "self_attn.q_proj.bias";
            case "attn_k.bias" -> "self_attn.k_proj.bias";
            case "attn_v.bias" -> "self_attn.v_proj.bias";
            case "attn_output.weight" -> "self_attn.o_proj.weight";
            case "ffn_norm.weight" -> "post_attention_layernorm.weight";
            case "ffn_gate.weight" -> "mlp.gate_proj.weight";
            case "ffn_up.weight" -> "mlp.up_proj.weight";
            case "ffn_down.weight" -> "mlp.down_proj.weight";
            default -> throw new IllegalArgumentException(jdlm);
        };
        return "model.layers." + parts[1] + "." + rest;
    }

    static Map<String, Object> lladaConfig(ModelConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model_type", "llada");
        m.put("architectures", List.of("LLaDAModelLM"));
        m.put("d_model", (long) c.dim());
        m.put("n_heads", (long) c.heads());
        m.put("n_kv_heads", (long) c.kvHeads());
        m.put("n_layers", (long) c.layers());
        m.put("mlp_hidden_size", (long) c.hiddenDim());
        m.put("mlp_ratio", 4L);
        m.put("vocab_size", (long) c.vocabSize());
        m.put("embedding_size", (long) c.vocabSize());
        m.put("max_sequence_length", (long) c.contextLength());
        m.put("rope_theta", c.ropeTheta());
        m.put("rms_norm_eps", (double) c.normEps());
        m.put("mask_token_id", 12L);
        m.put("weight_tying", false);
        m.put("include_bias", false);
        m.put("include_qkv_bias", false);
        m.put("block_type", "llama");
        m.put("activation_type", "silu");
        m.put("layer_norm_type", "rms");
        m.put("rope", true);
        m.put("alibi", false);
        m.put("scale_logits", false);
        m.put("clip_qkv", null);
        return m;
    }

    static Map<String, Object> dreamConfig(ModelConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model_type", "Dream");
        m.put("architectures", List.of("DreamModel"));
        m.put("hidden_size", (long) c.dim());
        m.put("num_attention_heads", (long) c.heads());
        m.put("num_key_value_heads", (long) c.kvHeads());
        m.put("num_hidden_layers", (long) c.layers());
        m.put("intermediate_size", (long) c.hiddenDim());
        m.put("vocab_size", (long) c.vocabSize());
        m.put("max_position_embeddings", (long) c.contextLength());
        m.put("rope_theta", c.ropeTheta());
        m.put("rms_norm_eps", (double) c.normEps());
        m.put("tie_word_embeddings", false);
        m.put("hidden_act", "silu");
        m.put("rope_scaling", null);
        m.put("use_sliding_window", false);
        m.put("mask_token_id", 12L);
        return m;
    }

    /**
     * Writes config.json and the tensors under {@code hfName}'s names, in one file or split over
     * {@code shards} files with an index; {@code skip} names jdlm tensors to leave out.
     */
    static void writeHf(Path dir, ModelConfig c, float[] p, Map<String, Object> config, UnaryOperator<String> hfName,
                        DType dtype, int shards, String... skip) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), Json.writePretty(config));
        List<SafetensorsWriter> writers = new ArrayList<>();
        for (int s = 0; s < shards; s++) writers.add(new SafetensorsWriter());
        Map<String, Object> weightMap = new LinkedHashMap<>();
        int i = 0;
        for (ParameterLayout.View v : new ParameterLayout(c).views().values()) {
            if (List.of(skip).contains(v.name())) continue;
            long[] shape = new long[v.shape().length];
            for (int d = 0; d < shape.length; d++) shape[d] = v.shape()[d];
            int s = i++ % shards;
            writers.get(s).add(hfName.apply(v.name()), dtype, shape, p, v.offset());
            weightMap.put(hfName.apply(v.name()), shardName(s, shards));
        }
        for (int s = 0; s < shards; s++) writers.get(s).write(dir.resolve(shards == 1 ? "model.safetensors" : shardName(s, shards)));
        if (shards > 1) Files.writeString(dir.resolve("model.safetensors.index.json"), Json.writePretty(Map.of("metadata", Map.of(), "weight_map", weightMap)));
    }

    static String shardName(int s, int shards) {
        return "model-%05d-of-%05d.safetensors".formatted(s + 1, shards);
    }

    /**
     * GGUF-style F32 tensors under jdlm's (= llama.cpp's) names; with {@code permuteQk} the q/k rows
     * go from Hugging Face's halves layout to adjacent pairs, as llama.cpp's LLaDA converter does
     * (reshape(heads, 2, headDim/2, cols).swapaxes(1, 2)).
     */
    static Map<String, WeightTensor> ggufTensors(Arena arena, ModelConfig c, float[] p, boolean permuteQk) {
        Map<String, WeightTensor> out = new LinkedHashMap<>();
        for (ParameterLayout.View v : new ParameterLayout(c).views().values()) {
            int rows = v.rows(), cols = v.cols();
            float[] data = new float[v.size()];
            System.arraycopy(p, v.offset(), data, 0, v.size());
            boolean q = v.name().endsWith("attn_q.weight"), k = v.name().endsWith("attn_k.weight");
            if (permuteQk && (q || k)) {
                int heads = q ? c.heads() : c.kvHeads(), hd = c.headDim(), half = hd / 2;
                for (int h = 0; h < heads; h++) {
                    for (int two = 0; two < 2; two++) {
                        for (int j = 0; j < half; j++) {
                            int src = h * hd + two * half + j, dst = h * hd + j * 2 + two;
                            System.arraycopy(p, v.offset() + src * cols, data, dst * cols, cols);
                        }
                    }
                }
            }
            MemorySegment seg = arena.allocate(4L * data.length, 4);
            for (int i = 0; i < data.length; i++) seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i, data[i]);
            long[] shape = v.shape().length == 1 ? new long[] {rows} : new long[] {rows, cols};
            out.put(v.name(), new WeightTensor(v.name(), QuantType.F32, shape, seg));
        }
        return out;
    }

    /** llama.cpp-style metadata for {@code arch}. */
    static Map<String, Object> ggufMetadata(String arch, ModelConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        String p = arch + ".";
        m.put("general.architecture", arch);
        m.put(p + "block_count", (long) c.layers());
        m.put(p + "context_length", (long) c.contextLength());
        m.put(p + "embedding_length", (long) c.dim());
        m.put(p + "feed_forward_length", (long) c.hiddenDim());
        m.put(p + "attention.head_count", (long) c.heads());
        m.put(p + "attention.head_count_kv", (long) c.kvHeads());
        m.put(p + "attention.layer_norm_rms_epsilon", (double) c.normEps());
        m.put(p + "rope.freq_base", c.ropeTheta());
        m.put("tokenizer.ggml.mask_token_id", 12L);
        if (arch.equals("llada")) {
            m.put(p + "attention.causal", false);
            m.put("diffusion.shift_logits", false);
        }
        return m;
    }
}
