package jdlm.tokenizer;

import static jdlm.tokenizer.BpeVocabulary.describe;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jdlm.format.FormatException;

/**
 * Reads the byte-level BPE vocabulary stored in a GGUF file's metadata, as llama.cpp writes it:
 * {@code tokenizer.ggml.model = "gpt2"}, {@code .tokens}, {@code .merges} ("a b"),
 * {@code .token_type} (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused),
 * {@code .pre} naming the pre-tokeniser, and the special ids {@code .bos_token_id},
 * {@code .eos_token_id}, {@code .mask_token_id}, {@code .padding_token_id}. Integers may be any
 * integral {@link Number} (GGUF has several integer widths).
 */
final class GgufVocabulary {
    private static final String P = "tokenizer.ggml.";

    private final Path file;
    private final Map<String, Object> md;

    private GgufVocabulary(Path file, Map<String, Object> md) {
        this.file = file;
        this.md = md;
    }

    static BpeVocabulary read(Path file, Map<String, Object> metadata) {
        return new GgufVocabulary(file, metadata).vocabulary();
    }

    private BpeVocabulary vocabulary() {
        Object model = md.get(P + "model");
        if (!"gpt2".equals(model)) {
            String what = "llama".equals(model) ? " (a SentencePiece vocabulary)" : "";
            throw new FormatException(file, P + "model", "\"gpt2\" (jdlm reads byte-level BPE only)", describe(model) + what);
        }
        List<?> tokenList = list(P + "tokens");
        int n = tokenList.size();
        if (n == 0 || n > TokenizerJson.MAX_VOCAB) {
            throw new FormatException(file, P + "tokens", "1 to " + TokenizerJson.MAX_VOCAB + " tokens", n + " tokens");
        }
        List<?> types = md.containsKey(P + "token_type") ? list(P + "token_type") : null;
        if (types != null && types.size() != n) {
            throw new FormatException(file, P + "token_type", n + " entries, one per token", types.size() + " entries");
        }
        String[] tokens = new String[n];
        BpeVocabulary.Kind[] kinds = new BpeVocabulary.Kind[n];
        for (int i = 0; i < n; i++) {
            if (!(tokenList.get(i) instanceof String s)) {
                throw new FormatException(file, P + "tokens[" + i + "]", "a string", describe(tokenList.get(i)));
            }
            tokens[i] = s;
            long type = types == null ? 1 : integer(types.get(i), P + "token_type[" + i + "]");
            kinds[i] = switch ((int) type) {
                case 1 -> BpeVocabulary.Kind.NORMAL;
                case 2, 3 -> BpeVocabulary.Kind.SPECIAL;   // unknown and control
                case 4 -> BpeVocabulary.Kind.LITERAL;      // user-defined
                case 5 -> BpeVocabulary.Kind.UNUSED;
                default -> throw new FormatException(file, P + "token_type[" + i + "]",
                        "1 (normal), 2 (unknown), 3 (control), 4 (user-defined) or 5 (unused)", String.valueOf(type));
            };
            if (kinds[i] != BpeVocabulary.Kind.NORMAL && kinds[i] != BpeVocabulary.Kind.UNUSED && s.isEmpty()) {
                throw new FormatException(file, P + "tokens[" + i + "]", "a non-empty text for an added token", "\"\"");
            }
        }

        List<?> mergeList = list(P + "merges");
        List<String[]> merges = new ArrayList<>(mergeList.size());
        for (int i = 0; i < mergeList.size(); i++) {
            Object m = mergeList.get(i);
            String[] pair = m instanceof String s ? BpeVocabulary.splitMerge(s) : null;
            if (pair == null) throw new FormatException(file, P + "merges[" + i + "]", "two tokens separated by one space", describe(m));
            merges.add(pair);
        }

        PreTokenizer pre = preTokenizer();
        int eos = id("eos_token_id", n);
        int mask = id("mask_token_id", n);
        int pad = md.containsKey(P + "padding_token_id") ? id("padding_token_id", n) : eos;
        int bos = md.containsKey(P + "bos_token_id") ? id("bos_token_id", n) : -1;
        // Qwen2's own tokenizer NFC-normalises (llama.cpp does not); Llama-3's takes whole-word tokens
        // as they are (ignore_merges; llama.cpp does the same for this pre-tokeniser).
        return new BpeVocabulary(file, tokens, kinds, merges, pre, pre == PreTokenizer.QWEN2, pre == PreTokenizer.LLAMA3,
                eos, mask, pad, bos);
    }

    /**
     * llama.cpp's pre-tokeniser names for the three known regexes. "default" (or none) means the
     * converter did not recognise the model's pre-tokeniser; the architecture then decides:
     * LLaDA's tokenizer is Llama-3's kind, Dream's is Qwen2's, anything else GPT-2's.
     */
    private PreTokenizer preTokenizer() {
        Object pre = md.get(P + "pre");
        if (pre != null && !(pre instanceof String)) throw new FormatException(file, P + "pre", "a string", describe(pre));
        String name = pre == null ? "default" : (String) pre;
        return switch (name) {
            case "gpt-2", "gpt2" -> PreTokenizer.GPT2;
            case "llama3", "llama-v3", "llama-bpe" -> PreTokenizer.LLAMA3;
            case "qwen2" -> PreTokenizer.QWEN2;
            case "default" -> switch (String.valueOf(md.get("general.architecture"))) {
                case "llada" -> PreTokenizer.LLAMA3;
                case "dream" -> PreTokenizer.QWEN2;
                default -> PreTokenizer.GPT2;
            };
            default -> throw new FormatException(file, P + "pre",
                    "one of gpt-2, gpt2, llama3, llama-v3, llama-bpe, qwen2, default", describe(pre));
        };
    }

    private List<?> list(String key) {
        if (md.get(key) instanceof List<?> l) return l;
        throw new FormatException(file, key, "an array", describe(md.get(key)));
    }

    private int id(String key, int vocabSize) {
        Object v = md.get(P + key);
        long id = integer(v, P + key);
        if (id < 0 || id >= vocabSize) {
            throw new FormatException(file, P + key, "a token id in [0, " + vocabSize + ")", String.valueOf(id));
        }
        return (int) id;
    }

    private long integer(Object v, String field) {
        if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) return ((Number) v).longValue();
        throw new FormatException(file, field, "an integer", describe(v));
    }
}
