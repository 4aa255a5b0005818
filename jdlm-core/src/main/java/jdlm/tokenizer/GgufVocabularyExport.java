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
 * exactly the byte ids jdlm uses; EOS, MASK and PAD follow as control tokens. A vocabulary jdlm
 * learned ({@link BpeTrainer}) goes with its merges and GPT-2's pre-tokeniser.
 */
public final class GgufVocabularyExport {
    private GgufVocabularyExport() {}

    public static void write(Tokenizer tok, GgufMetadata md) {
        boolean learned = tok instanceof BpeTokenizer b && b.tokenizerJson() != null;
        if (!(tok instanceof ByteTokenizer) && !learned) {
            throw new IllegalArgumentException("GGUF export carries the byte tokenizer and BPE vocabularies learned by jdlm; this model uses the "
                    + tok.name() + " tokenizer (export it to Hugging Face safetensors, or train with --tokenizer bytes or bpe:N)");
        }
        int v = tok.vocabSize();
        List<String> tokens = new ArrayList<>(v);
        long[] types = new long[v];
        for (int id = 0; id < v; id++) {
            if (tok.isSpecial(id)) {
                tokens.add(tok.specialMarker(id));
                types[id] = 3;                      // control
            } else {
                byte[] b = tok.tokenBytes(id);
                tokens.add(ByteLevelAlphabet.encode(b, 0, b.length));
                types[id] = 1;                      // normal
            }
        }
        List<String> merges = learned ? BpeTrainer.merges(((BpeTokenizer) tok).tokenizerJson()) : List.of();
        md.putString("tokenizer.ggml.model", "gpt2");
        // The byte tokenizer has no merges, so no split matters; a learned vocabulary uses GPT-2's.
        md.putString("tokenizer.ggml.pre", learned ? "gpt-2" : "default");
        md.putArray("tokenizer.ggml.tokens", GgufArray.ofStrings(tokens));
        md.putArray("tokenizer.ggml.token_type", GgufArray.ofIntegers(GgufValueType.INT32, types));
        md.putArray("tokenizer.ggml.merges", GgufArray.ofStrings(merges));
        md.putUInt32("tokenizer.ggml.eos_token_id", tok.eosId());
        md.putUInt32("tokenizer.ggml.mask_token_id", tok.maskId());
        md.putUInt32("tokenizer.ggml.padding_token_id", tok.padId());
        md.putBool("tokenizer.ggml.add_bos_token", false);
    }
}
