package jdlm.model.interop;

import jdlm.model.TensorRole;

/** How a Hugging Face checkpoint names each {@link TensorRole}. */
enum HuggingFaceNaming {
    /** GSAI-ML/LLaDA-8B (OLMo-style names; ff_proj is the SwiGLU gate, up_proj the up projection, blocks.N.ff_out the down). */
    LLADA("model.transformer.blocks.%d.") {
        @Override
        String local(TensorRole role) {
            return switch (role) {
                case TOKEN_EMBEDDING -> "model.transformer.wte.weight";
                case ATTN_NORM -> "attn_norm.weight";
                case ATTN_Q -> "q_proj.weight";
                case ATTN_K -> "k_proj.weight";
                case ATTN_V -> "v_proj.weight";
                case ATTN_Q_BIAS -> "q_proj.bias";
                case ATTN_K_BIAS -> "k_proj.bias";
                case ATTN_V_BIAS -> "v_proj.bias";
                case ATTN_OUTPUT -> "attn_out.weight";
                case FFN_NORM -> "ff_norm.weight";
                case FFN_GATE -> "ff_proj.weight";
                case FFN_UP -> "up_proj.weight";
                case FFN_DOWN -> "ff_out.weight";
                case OUTPUT_NORM -> "model.transformer.ln_f.weight";
                case OUTPUT -> "model.transformer.ff_out.weight";
            };
        }
    },
    /** Llama, Qwen2 and Dream (transformers' LlamaForCausalLM / Qwen2 / DreamModel). */
    LLAMA("model.layers.%d.") {
        @Override
        String local(TensorRole role) {
            return switch (role) {
                case TOKEN_EMBEDDING -> "model.embed_tokens.weight";
                case ATTN_NORM -> "input_layernorm.weight";
                case ATTN_Q -> "self_attn.q_proj.weight";
                case ATTN_K -> "self_attn.k_proj.weight";
                case ATTN_V -> "self_attn.v_proj.weight";
                case ATTN_Q_BIAS -> "self_attn.q_proj.bias";
                case ATTN_K_BIAS -> "self_attn.k_proj.bias";
                case ATTN_V_BIAS -> "self_attn.v_proj.bias";
                case ATTN_OUTPUT -> "self_attn.o_proj.weight";
                case FFN_NORM -> "post_attention_layernorm.weight";
                case FFN_GATE -> "mlp.gate_proj.weight";
                case FFN_UP -> "mlp.up_proj.weight";
                case FFN_DOWN -> "mlp.down_proj.weight";
                case OUTPUT_NORM -> "model.norm.weight";
                case OUTPUT -> "lm_head.weight";
            };
        }
    };

    private final String layerPrefix;

    HuggingFaceNaming(String layerPrefix) {
        this.layerPrefix = layerPrefix;
    }

    /** The role's name within a layer (or its full name for whole-model tensors). */
    abstract String local(TensorRole role);

    String name(TensorRole role, int layer) {
        return role.perLayer() ? layerPrefix.formatted(layer) + local(role) : local(role);
    }
}
