package jdlm.tokenizer;

import java.util.LinkedHashMap;
import java.util.Map;
import jdlm.format.Json;
import jdlm.format.JsonException;

/**
 * What a model or token file records about its tokenizer: the type ("byte", "gpt2") and the
 * vocabulary size and special ids it was built with. {@link Tokenizers#fromSpec} rebuilds the
 * tokenizer and refuses a spec whose numbers do not match that type.
 */
public record TokenizerSpec(String type, int vocabSize, int eosId, int maskId, int padId) {
    /** Longest JSON text {@link #fromJson} reads; a spec is a few dozen characters. */
    private static final int MAX_JSON_CHARS = 64 * 1024;

    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", type);
        m.put("vocab_size", (long) vocabSize);
        m.put("eos_id", (long) eosId);
        m.put("mask_id", (long) maskId);
        m.put("pad_id", (long) padId);
        return Json.write(m);
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
                integer(m, "mask_id"), integer(m, "pad_id"));
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
