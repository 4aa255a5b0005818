package jdlm.tokenizer;

import java.util.LinkedHashMap;
import java.util.Map;
import jdlm.format.Json;
import jdlm.format.JsonException;

/**
 * What a model or token file records about its tokenizer: the type ("byte", "gpt2", "bpe") and the
 * vocabulary size and special ids it was built with; a BPE vocabulary jdlm learned also carries its
 * tokenizer.json text ({@code vocabulary}, null for the other types). {@link Tokenizers#fromSpec}
 * rebuilds the tokenizer and refuses a spec whose numbers do not match.
 */
public record TokenizerSpec(String type, int vocabSize, int eosId, int maskId, int padId, String vocabulary) {
    /** Longest JSON text {@link #fromJson} reads: a learned vocabulary of 65k ids is a few MB. */
    public static final int MAX_JSON_CHARS = 16 << 20;

    /** A spec of a built-in tokenizer, which needs no vocabulary stored. */
    public TokenizerSpec(String type, int vocabSize, int eosId, int maskId, int padId) {
        this(type, vocabSize, eosId, maskId, padId, null);
    }

    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", type);
        m.put("vocab_size", (long) vocabSize);
        m.put("eos_id", (long) eosId);
        m.put("mask_id", (long) maskId);
        m.put("pad_id", (long) padId);
        if (vocabulary != null) m.put("vocabulary", vocabulary);
        return Json.write(m);
    }

    /** Short form for messages: everything but the vocabulary text. */
    @Override
    public String toString() {
        return type + " (vocabulary " + vocabSize + ", EOS " + eosId + ", MASK " + maskId + ", PAD " + padId + ")";
    }

    /** Reads {@link #toJson()}'s form; missing or mistyped fields are an IllegalArgumentException. */
    public static TokenizerSpec fromJson(String json) {
        Map<String, Object> m;
        try {
            m = Json.parseObject(json, MAX_JSON_CHARS);
        } catch (JsonException e) {
            throw new IllegalArgumentException("tokenizer spec is not valid JSON: " + e.getMessage(), e);
        }
        return new TokenizerSpec(string(m, "type"), integer(m, "vocab_size"), integer(m, "eos_id"),
                integer(m, "mask_id"), integer(m, "pad_id"), m.containsKey("vocabulary") ? string(m, "vocabulary") : null);
    }

    private static String string(Map<String, Object> m, String key) {
        if (!(m.get(key) instanceof String s)) {
            throw new IllegalArgumentException("tokenizer spec field \"" + key + "\" must be a string, found "
                    + (m.containsKey(key) ? Json.typeName(m.get(key)) : "nothing"));
        }
        return s;
    }

    private static int integer(Map<String, Object> m, String key) {
        if (!(m.get(key) instanceof Long v) || v < 0 || v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("tokenizer spec field \"" + key
                    + "\" must be a non-negative integer, found "
                    + (m.containsKey(key) ? String.valueOf(m.get(key)) : "nothing"));
        }
        return (int) (long) v;
    }
}
