package jdlm.tokenizer;

import static jdlm.tokenizer.BpeVocabulary.describe;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jdlm.format.FormatException;
import jdlm.format.Json;
import jdlm.format.JsonException;

/**
 * Reads a Hugging Face {@code tokenizer.json} holding a byte-level BPE: {@code model} of type BPE
 * with {@code vocab} and {@code merges} (either {@code "a b"} strings or {@code ["a", "b"]} pairs),
 * {@code added_tokens}, a {@code pre_tokenizer} that is ByteLevel (GPT-2's regex) or
 * Sequence[Split(known regex), ByteLevel], an optional NFC {@code normalizer} and a ByteLevel
 * {@code decoder}. Anything else is refused with a {@link FormatException} that says what was found.
 */
final class TokenizerJson {
    /** Largest file read; Qwen2's tokenizer.json is about 7 MB. */
    static final long MAX_BYTES = 64L << 20;
    /** Most ids a vocabulary may span; bounds the arrays sized by the file. */
    static final int MAX_VOCAB = 1 << 22;

    private final Path file;

    private TokenizerJson(Path file) {
        this.file = file;
    }

    static BpeVocabulary read(Path file, BpeTokenizer.SpecialIds ids) {
        String text;
        try {
            long size = Files.size(file);
            if (size > MAX_BYTES) throw new FormatException(file, "file size", "at most " + MAX_BYTES + " bytes", size + " bytes");
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new FormatException(file, "cannot read the file: " + e.getMessage(), e);
        }
        return parse(text, file, ids);
    }

    static BpeVocabulary parse(String json, Path file, BpeTokenizer.SpecialIds ids) {
        Object root;
        try {
            root = Json.parse(json, (int) Math.min(Integer.MAX_VALUE, MAX_BYTES));
        } catch (JsonException e) {
            throw new FormatException(file, "not valid JSON: " + e.getMessage(), e);
        }
        TokenizerJson reader = new TokenizerJson(file);
        return reader.vocabulary(reader.object(root, "(top level)"), ids);
    }

    private BpeVocabulary vocabulary(Map<String, Object> root, BpeTokenizer.SpecialIds ids) {
        Map<String, Object> model = object(root.get("model"), "model");
        Object type = model.get("type");
        if (!"BPE".equals(type)) {
            String what = "Unigram".equals(type) ? " (a SentencePiece Unigram model)" : "";
            throw new FormatException(file, "model.type", "\"BPE\" (jdlm reads byte-level BPE only)",
                    describe(type) + what);
        }
        if (Boolean.TRUE.equals(model.get("byte_fallback"))) {
            throw new FormatException(file, "model.byte_fallback", "false (byte-level BPE)",
                    "true (a SentencePiece-style BPE, which jdlm does not read)");
        }
        requireAbsentOrEmpty(model, "continuing_subword_prefix");
        requireAbsentOrEmpty(model, "end_of_word_suffix");
        if (model.get("dropout") instanceof Number d && d.doubleValue() != 0) {
            throw new FormatException(file, "model.dropout", "null (deterministic BPE)", d.toString());
        }
        boolean ignoreMerges = Boolean.TRUE.equals(model.get("ignore_merges"));
        boolean nfc = normalizer(root.get("normalizer"));
        PreTokenizer pre = preTokenizer(root.get("pre_tokenizer"));
        decoder(root.get("decoder"));

        // Ids: model.vocab, then added_tokens, which win where both name an id.
        Map<String, Object> vocab = object(model.get("vocab"), "model.vocab");
        List<Object> added = root.get("added_tokens") == null ? List.of() : array(root.get("added_tokens"), "added_tokens");
        int maxId = -1;
        for (Map.Entry<String, Object> e : vocab.entrySet()) maxId = Math.max(maxId, id(e.getValue(), "model.vocab." + e.getKey()));
        for (int i = 0; i < added.size(); i++) {
            maxId = Math.max(maxId, id(object(added.get(i), "added_tokens[" + i + "]").get("id"), "added_tokens[" + i + "].id"));
        }
        int entries = vocab.size() + added.size();
        // Ids may leave holes (padding slots), but the span must stay near the number of tokens.
        if (maxId >= MAX_VOCAB || maxId >= 2L * entries + 1024) {
            throw new FormatException(file, "token ids", "ids below min(" + MAX_VOCAB + ", 2 × " + entries + " tokens + 1024)",
                    "id " + maxId);
        }
        String[] tokens = new String[maxId + 1];
        BpeVocabulary.Kind[] kinds = new BpeVocabulary.Kind[maxId + 1];
        for (Map.Entry<String, Object> e : vocab.entrySet()) {
            int id = id(e.getValue(), "model.vocab." + e.getKey());
            if (tokens[id] != null) {
                throw new FormatException(file, "model.vocab." + e.getKey(), "an id no other token has",
                        "id " + id + ", also given to \"" + tokens[id] + "\"");
            }
            tokens[id] = e.getKey();
            kinds[id] = BpeVocabulary.Kind.NORMAL;
        }
        for (int i = 0; i < added.size(); i++) {
            String field = "added_tokens[" + i + "]";
            Map<String, Object> t = object(added.get(i), field);
            int id = id(t.get("id"), field + ".id");
            String content = string(t.get("content"), field + ".content");
            if (content.isEmpty()) throw new FormatException(file, field + ".content", "a non-empty string", "\"\"");
            for (String flag : new String[] {"lstrip", "rstrip", "single_word"}) {
                if (Boolean.TRUE.equals(t.get(flag))) {
                    throw new FormatException(file, field + "." + flag, "false (jdlm matches added tokens exactly)", "true");
                }
            }
            tokens[id] = content;
            kinds[id] = Boolean.TRUE.equals(t.get("special")) ? BpeVocabulary.Kind.SPECIAL : BpeVocabulary.Kind.LITERAL;
        }

        List<Object> mergeList = array(model.get("merges"), "model.merges");
        List<String[]> merges = new ArrayList<>(mergeList.size());
        for (int i = 0; i < mergeList.size(); i++) merges.add(merge(mergeList.get(i), "model.merges[" + i + "]"));

        return new BpeVocabulary(file, tokens, kinds, merges, pre, nfc, ignoreMerges,
                ids.eos(), ids.mask(), ids.pad(), ids.bos());
    }

    private String[] merge(Object m, String field) {
        String[] pair = m instanceof String s ? BpeVocabulary.splitMerge(s) : null;
        if (pair != null) return pair;
        if (m instanceof List<?> l && l.size() == 2 && l.get(0) instanceof String a && l.get(1) instanceof String b
                && !a.isEmpty() && !b.isEmpty()) {
            return new String[] {a, b};
        }
        throw new FormatException(file, field, "\"a b\" or [\"a\", \"b\"]",
                m instanceof List<?> l ? "an array of " + l.size() + " elements" : describe(m));
    }

    /** True for NFC; no normaliser is false; anything else is refused. */
    private boolean normalizer(Object n) {
        if (n == null) return false;
        Map<String, Object> m = object(n, "normalizer");
        if ("NFC".equals(m.get("type"))) return true;
        if ("Sequence".equals(m.get("type")) && array(m.get("normalizers"), "normalizer.normalizers").isEmpty()) return false;
        throw new FormatException(file, "normalizer.type", "none or \"NFC\"", describe(m.get("type")));
    }

    private PreTokenizer preTokenizer(Object p) {
        Map<String, Object> m = object(p, "pre_tokenizer");
        Object type = m.get("type");
        if ("ByteLevel".equals(type)) {
            byteLevel(m, "pre_tokenizer");
            if (!Boolean.FALSE.equals(m.get("use_regex"))) return PreTokenizer.GPT2; // default true: GPT-2's regex
            throw new FormatException(file, "pre_tokenizer.use_regex", "true (a ByteLevel pre-tokenizer alone must split)", "false");
        }
        if ("Sequence".equals(type)) {
            List<Object> steps = array(m.get("pretokenizers"), "pre_tokenizer.pretokenizers");
            if (steps.size() == 2) {
                Map<String, Object> split = object(steps.get(0), "pre_tokenizer.pretokenizers[0]");
                Map<String, Object> bl = object(steps.get(1), "pre_tokenizer.pretokenizers[1]");
                if ("Split".equals(split.get("type")) && "ByteLevel".equals(bl.get("type"))) {
                    byteLevel(bl, "pre_tokenizer.pretokenizers[1]");
                    if (!Boolean.FALSE.equals(bl.get("use_regex"))) {
                        throw new FormatException(file, "pre_tokenizer.pretokenizers[1].use_regex", "false after a Split", "true");
                    }
                    return split(split);
                }
            }
            throw new FormatException(file, "pre_tokenizer.pretokenizers", "[Split(regex), ByteLevel]",
                    "a sequence of " + steps.size() + " steps");
        }
        throw new FormatException(file, "pre_tokenizer.type", "\"ByteLevel\" or \"Sequence\"", describe(type));
    }

    private PreTokenizer split(Map<String, Object> split) {
        String f = "pre_tokenizer.pretokenizers[0]";
        Object pattern = split.get("pattern");
        if (!(pattern instanceof Map<?, ?> pm) || !(pm.get("Regex") instanceof String regex)) {
            throw new FormatException(file, f + ".pattern", "{\"Regex\": ...}", describe(pattern));
        }
        if (!"Isolated".equals(split.get("behavior"))) {
            throw new FormatException(file, f + ".behavior", "\"Isolated\"", describe(split.get("behavior")));
        }
        if (Boolean.TRUE.equals(split.get("invert"))) throw new FormatException(file, f + ".invert", "false", "true");
        PreTokenizer pre = PreTokenizer.ofRegex(regex);
        if (pre == null) {
            throw new FormatException(file, f + ".pattern.Regex", "the pre-tokenizer regex of one of " + PreTokenizer.knownIds(),
                    "\"" + (regex.length() > 120 ? regex.substring(0, 120) + "…" : regex) + "\"");
        }
        return pre;
    }

    private void byteLevel(Map<String, Object> m, String field) {
        if (Boolean.TRUE.equals(m.get("add_prefix_space"))) {
            throw new FormatException(file, field + ".add_prefix_space", "false", "true");
        }
    }

    private void decoder(Object d) {
        if (d == null) return;
        Object type = object(d, "decoder").get("type");
        if (!"ByteLevel".equals(type)) throw new FormatException(file, "decoder.type", "\"ByteLevel\" or none", describe(type));
    }

    private void requireAbsentOrEmpty(Map<String, Object> model, String key) {
        Object v = model.get(key);
        if (v != null && !"".equals(v)) throw new FormatException(file, "model." + key, "null or \"\"", describe(v));
    }

    // ------------------------------------------------------------------------------------------

    @SuppressWarnings("unchecked")
    private Map<String, Object> object(Object v, String field) {
        if (v instanceof Map<?, ?> m) return (Map<String, Object>) m;
        throw new FormatException(file, field, "an object", describe(v));
    }

    @SuppressWarnings("unchecked")
    private List<Object> array(Object v, String field) {
        if (v instanceof List<?> l) return (List<Object>) l;
        throw new FormatException(file, field, "an array", describe(v));
    }

    private String string(Object v, String field) {
        if (v instanceof String s) return s;
        throw new FormatException(file, field, "a string", describe(v));
    }

    private int id(Object v, String field) {
        if (v instanceof Long l && l >= 0 && l < MAX_VOCAB) return (int) (long) l;
        throw new FormatException(file, field, "a token id in [0, " + MAX_VOCAB + ")", describe(v));
    }
}
