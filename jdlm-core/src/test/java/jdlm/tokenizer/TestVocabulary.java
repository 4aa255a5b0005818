package jdlm.tokenizer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jdlm.format.Json;

/**
 * A small byte-level BPE vocabulary built in the tests: merges learnt from a corpus by the textbook
 * loop (merge the most frequent adjacent pair everywhere, repeat), or grown word by word for a
 * large vocabulary, then written as a tokenizer.json text or as GGUF metadata. Ordinary tokens
 * are byte strings held as ISO-8859-1 Strings.
 */
final class TestVocabulary {
    static final Path FILE = Path.of("test-tokenizer.json");
    static final String EOS = "<|endoftext|>", BOS = "<|startoftext|>", MASK = "<|mdm_mask|>", EOT = "<|eot_id|>",
            HEADER_START = "<|start_header_id|>", HEADER_END = "<|end_header_id|>", IM_START = "<|im_start|>",
            IM_END = "<|im_end|>", LITERAL = "<tool_call>";
    private static final String[] SPECIALS = {EOS, BOS, MASK, EOT, HEADER_START, HEADER_END, IM_START, IM_END};

    /** Ordinary tokens: bytes → id. */
    final Map<String, Integer> ids = new LinkedHashMap<>();
    /** Merges in rank order, as byte-string pairs. */
    final List<String[]> merges = new ArrayList<>();
    /** Added tokens: text → id (specials, then one non-special literal). */
    final Map<String, Integer> added = new LinkedHashMap<>();
    /** An id left unused between the ordinary and the added tokens. */
    int hole;

    private TestVocabulary() {}

    /** Learns {@code mergeCount} merges from the pieces {@code split} cuts from {@code corpus}. */
    static TestVocabulary learn(String corpus, Pattern split, int mergeCount) {
        return learn(corpus, split, mergeCount, false);
    }

    /** Like {@link #learn(String, Pattern, int)}; with {@code stopBelowTwo}, no pair occurring once is merged. */
    static TestVocabulary learn(String corpus, Pattern split, int mergeCount, boolean stopBelowTwo) {
        Map<List<String>, Integer> words = new HashMap<>();
        Matcher m = split.matcher(corpus);
        while (m.find()) words.merge(symbols(m.group()), 1, Integer::sum);
        List<String[]> merges = new ArrayList<>();
        for (int k = 0; k < mergeCount; k++) {
            Map<String, Integer> pairCount = new HashMap<>();
            for (Map.Entry<List<String>, Integer> w : words.entrySet()) {
                List<String> s = w.getKey();
                for (int i = 0; i + 1 < s.size(); i++) pairCount.merge(s.get(i) + "\u0100" + s.get(i + 1), w.getValue(), Integer::sum);
            }
            // The most frequent pair; among equals, the first by left bytes, then right bytes (as BpeTrainer).
            String best = null;
            for (Map.Entry<String, Integer> e : pairCount.entrySet()) {
                if (best == null || e.getValue() > pairCount.get(best) || (e.getValue().equals(pairCount.get(best))
                        && comparePairs(e.getKey(), best) < 0)) best = e.getKey();
            }
            if (best == null || (stopBelowTwo && pairCount.get(best) < 2)) break;
            String[] pair = best.split("\u0100");
            merges.add(pair);
            Map<List<String>, Integer> next = new HashMap<>();
            for (Map.Entry<List<String>, Integer> w : words.entrySet()) {
                List<String> s = new ArrayList<>(w.getKey());
                for (int i = 0; i + 1 < s.size(); i++) {
                    if (s.get(i).equals(pair[0]) && s.get(i + 1).equals(pair[1])) s.set(i, pair[0] + s.remove(i + 1));
                }
                next.merge(s, w.getValue(), Integer::sum);
            }
            words = next;
        }
        return of(merges);
    }

    /** Orders "left\u0100right" keys by left, then right (byte strings as ISO-8859-1 chars). */
    private static int comparePairs(String a, String b) {
        String[] x = a.split("\u0100"), y = b.split("\u0100");
        int c = x[0].compareTo(y[0]);
        return c != 0 ? c : x[1].compareTo(y[1]);
    }

    /**
     * A vocabulary of about {@code mergeCount} merges that spell out the corpus's words left to
     * right ("a b", "ab c", ...): fast to build at any size.
     */
    static TestVocabulary grow(String corpus, Pattern split, int mergeCount) {
        Map<String, Boolean> known = new HashMap<>();
        List<String[]> merges = new ArrayList<>();
        Matcher m = split.matcher(corpus);
        while (m.find() && merges.size() < mergeCount) {
            List<String> s = symbols(m.group());
            String acc = s.get(0);
            for (int i = 1; i < s.size() && merges.size() < mergeCount; i++) {
                String next = acc + s.get(i);
                if (known.putIfAbsent(next, true) == null) merges.add(new String[] {acc, s.get(i)});
                acc = next;
            }
        }
        return of(merges);
    }

    private static TestVocabulary of(List<String[]> merges) {
        TestVocabulary v = new TestVocabulary();
        for (int b = 0; b < 256; b++) v.ids.put(String.valueOf((char) b), v.ids.size());
        for (String[] mg : merges) {
            v.merges.add(mg);
            v.ids.putIfAbsent(mg[0] + mg[1], v.ids.size());
        }
        v.hole = v.ids.size();
        int next = v.hole + 1;
        for (String s : SPECIALS) v.added.put(s, next++);
        v.added.put(LITERAL, next);
        return v;
    }

    private static List<String> symbols(String piece) {
        String bytes = new String(piece.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        List<String> s = new ArrayList<>();
        for (int i = 0; i < bytes.length(); i++) s.add(bytes.substring(i, i + 1));
        return s;
    }

    /** Gives the ordinary tokens a random order of ids and the merges a random order of ranks. */
    TestVocabulary shuffled(long seed) {
        Random rnd = new Random(seed);
        TestVocabulary v = new TestVocabulary();
        List<String> tokens = new ArrayList<>(ids.keySet());
        Collections.shuffle(tokens, rnd);
        for (String t : tokens) v.ids.put(t, v.ids.size());
        v.merges.addAll(merges);
        Collections.shuffle(v.merges, rnd);
        v.hole = hole;
        v.added.putAll(added);
        return v;
    }

    int eos() { return added.get(EOS); }
    int mask() { return added.get(MASK); }
    int bos() { return added.get(BOS); }
    int size() { return added.get(LITERAL) + 1; }

    BpeTokenizer.SpecialIds specialIds() {
        return new BpeTokenizer.SpecialIds(eos(), mask(), eos(), bos());
    }

    ReferenceBpe reference(Pattern split, boolean nfc, boolean ignoreMerges) {
        return ReferenceBpe.ofMerges(split, ids, merges, nfc, ignoreMerges);
    }

    /** GPT-2's bytes_to_unicode, as its Python source defines it: printable bytes, then 256 + n for the rest. */
    private static final Map<Integer, Character> BYTE_LEVEL = new HashMap<>();

    static {
        List<Integer> bs = new ArrayList<>();
        for (int b = '!'; b <= '~'; b++) bs.add(b);
        for (int b = 0xA1; b <= 0xAC; b++) bs.add(b);
        for (int b = 0xAE; b <= 0xFF; b++) bs.add(b);
        for (int b : bs) BYTE_LEVEL.put(b, (char) b);
        int n = 0;
        for (int b = 0; b < 256; b++) if (!bs.contains(b)) BYTE_LEVEL.put(b, (char) (256 + n++));
    }

    static String byteLevel(String bytes) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < bytes.length(); i++) sb.append(BYTE_LEVEL.get((int) bytes.charAt(i)));
        return sb.toString();
    }

    /** tokenizer.json text; {@code splitRegex} null means GPT-2's ByteLevel pre-tokenizer with its own regex. */
    String tokenizerJson(String splitRegex, boolean mergesAsPairs, boolean nfc, boolean ignoreMerges) {
        Map<String, Object> vocab = new LinkedHashMap<>();
        for (Map.Entry<String, Integer> e : ids.entrySet()) vocab.put(byteLevel(e.getKey()), (long) e.getValue());
        List<Object> mergeList = new ArrayList<>();
        for (String[] mg : merges) {
            String a = byteLevel(mg[0]), b = byteLevel(mg[1]);
            mergeList.add(mergesAsPairs ? List.of(a, b) : a + " " + b);
        }
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("dropout", null);
        model.put("unk_token", null);
        model.put("continuing_subword_prefix", null);
        model.put("end_of_word_suffix", null);
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", ignoreMerges);
        model.put("vocab", vocab);
        model.put("merges", mergeList);

        List<Object> addedTokens = new ArrayList<>();
        for (Map.Entry<String, Integer> e : added.entrySet()) {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("id", (long) e.getValue());
            t.put("content", e.getKey());
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", !e.getKey().equals(LITERAL));
            addedTokens.add(t);
        }
        Map<String, Object> byteLevel = new LinkedHashMap<>();
        byteLevel.put("type", "ByteLevel");
        byteLevel.put("add_prefix_space", false);
        byteLevel.put("trim_offsets", true);
        byteLevel.put("use_regex", splitRegex == null);
        Object pre = byteLevel;
        if (splitRegex != null) {
            Map<String, Object> split = new LinkedHashMap<>();
            split.put("type", "Split");
            split.put("pattern", Map.of("Regex", splitRegex));
            split.put("behavior", "Isolated");
            split.put("invert", false);
            Map<String, Object> seq = new LinkedHashMap<>();
            seq.put("type", "Sequence");
            seq.put("pretokenizers", List.of(split, byteLevel));
            pre = seq;
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("version", "1.0");
        root.put("truncation", null);
        root.put("padding", null);
        root.put("added_tokens", addedTokens);
        root.put("normalizer", nfc ? Map.of("type", "NFC") : null);
        root.put("pre_tokenizer", pre);
        root.put("post_processor", null);
        Map<String, Object> decoder = new LinkedHashMap<>(byteLevel);
        decoder.remove("use_regex");
        root.put("decoder", decoder);
        root.put("model", model);
        return Json.write(root);
    }

    /** GGUF metadata as llama.cpp's converter writes it: every id listed, unused ones as "[PADn]". */
    Map<String, Object> gguf(String pre, String architecture) {
        int n = size();
        List<String> tokens = new ArrayList<>(Collections.nCopies(n, (String) null));
        List<Long> types = new ArrayList<>(Collections.nCopies(n, 0L));
        for (Map.Entry<String, Integer> e : ids.entrySet()) {
            tokens.set(e.getValue(), byteLevel(e.getKey()));
            types.set(e.getValue(), 1L);
        }
        tokens.set(hole, "[PAD" + hole + "]");
        types.set(hole, 5L);
        for (Map.Entry<String, Integer> e : added.entrySet()) {
            tokens.set(e.getValue(), e.getKey());
            types.set(e.getValue(), e.getKey().equals(LITERAL) ? 4L : 3L);
        }
        List<String> mergeList = new ArrayList<>();
        for (String[] mg : merges) mergeList.add(byteLevel(mg[0]) + " " + byteLevel(mg[1]));
        Map<String, Object> md = new LinkedHashMap<>();
        md.put("general.architecture", architecture);
        md.put("tokenizer.ggml.model", "gpt2");
        md.put("tokenizer.ggml.pre", pre);
        md.put("tokenizer.ggml.tokens", tokens);
        md.put("tokenizer.ggml.token_type", types);
        md.put("tokenizer.ggml.merges", mergeList);
        md.put("tokenizer.ggml.bos_token_id", (long) bos());
        md.put("tokenizer.ggml.eos_token_id", (long) eos());
        md.put("tokenizer.ggml.mask_token_id", (long) mask());
        md.put("tokenizer.ggml.padding_token_id", (long) eos());
        return md;
    }
}
