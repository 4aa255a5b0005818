package jdlm.tokenizer;

import java.util.ArrayList;
import java.util.List;

import jdlm.format.gguf.GgufArray;
import jdlm.format.gguf.GgufMetadata;
import jdlm.format.gguf.GgufValueType;

/**
 * Writes a jdlm tokenizer into GGUF metadata ({@code tokenizer.ggml.*}) so that the file carries
 * its own vocabulary. The byte tokenizer becomes a byte-level BPE vocabulary without merges: token
 * i is byte i in GPT-2's byte alphabet, so every BPE reader (jdlm's, llama.cpp's) splits text into
 * exactly the byte ids jdlm uses; EOS, MASK and PAD follow as control tokens.
 */
public final class GgufVocabularyExport {
    private GgufVocabularyExport() {}

    public static void write(Tokenizer tok, GgufMetadata md) {
        if (!(tok instanceof ByteTokenizer)) {
            throw new IllegalArgumentException("GGUF export carries the byte tokenizer only; this model uses the " + tok.name()
                    + " tokenizer (export it to Hugging Face safetensors, or train with --tokenizer bytes)");
        }
        int v = tok.vocabSize();
        List<String> tokens = new ArrayList<>(v);
        long[] types = new long[v];
        for (int id = 0; id < v; id++) {
            if (id < 256) {
                tokens.add(String.valueOf(ByteLevelAlphabet.charOf(id)));
                types[id] = 1;                      // normal
            } else {
                tokens.add(tok.specialMarker(id));
                types[id] = 3;                      // control
            }
        }
        md.putString("tokenizer.ggml.model", "gpt2");
        md.putString("tokenizer.ggml.pre", "default");
        md.putArray("tokenizer.ggml.tokens", GgufArray.ofStrings(tokens));
        md.putArray("tokenizer.ggml.token_type", GgufArray.ofIntegers(GgufValueType.INT32, types));
        md.putArray("tokenizer.ggml.merges", GgufArray.ofStrings(List.of()));
        md.putUInt32("tokenizer.ggml.eos_token_id", tok.eosId());
        md.putUInt32("tokenizer.ggml.mask_token_id", tok.maskId());
        md.putUInt32("tokenizer.ggml.padding_token_id", tok.padId());
        md.putBool("tokenizer.ggml.add_bos_token", false);
    }
}
