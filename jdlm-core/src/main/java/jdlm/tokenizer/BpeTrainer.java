package jdlm.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.regex.Matcher;

/**
 * Learns a byte-level BPE vocabulary from text, GPT-2's way: cut the text with GPT-2's pre-tokeniser
 * regex, start every piece as its UTF-8 bytes, and repeatedly merge the adjacent pair that occurs
 * most often (counted over all pieces, each weighted by how often it occurs; among equals the pair
 * whose left token's bytes, then right token's bytes, come first, so the result depends on the text
 * alone) until the vocabulary has the size asked for or no pair occurs twice.
 *
 * <p>Ids 0..255 are the bytes themselves (as in the byte tokenizer), then one id per merge in the
 * order learned, then EOS, MASK and PAD. The result is a Hugging Face {@code tokenizer.json}, which
 * {@link BpeTokenizer} reads back and applies merges in the order learned, so that every piece of
 * the training text encodes to the symbols the trainer ended with.
 */
public final class BpeTrainer {
    /** Ids beyond the merges: EOS, MASK, PAD. */
    static final int SPECIALS = 3;

    private BpeTrainer() {}

    /** The smallest vocabulary worth asking for: the 256 bytes, one merge, the specials. */
    public static final int MIN_VOCAB = 256 + 1 + SPECIALS;

    /**
     * Learns a vocabulary of at most {@code vocabSize} ids (fewer when the text runs out of pairs that
     * occur twice); the tokenizer keeps its tokenizer.json text.
     */
    public static BpeTokenizer train(CharSequence text, int vocabSize) {
        return train(List.of(text), vocabSize);
    }

    /** Like {@link #train(CharSequence, int)} over several documents (no piece spans two). */
    public static BpeTokenizer train(List<? extends CharSequence> documents, int vocabSize) {
        if (vocabSize < MIN_VOCAB || vocabSize > TokenizerJson.MAX_VOCAB) {
            throw new IllegalArgumentException("a BPE vocabulary needs " + MIN_VOCAB + " to " + TokenizerJson.MAX_VOCAB
                    + " ids (256 bytes, at least one merge, EOS, MASK, PAD); asked for " + vocabSize);
        }
        Words words = Words.of(documents);
        List<byte[]> tokenBytes = new ArrayList<>();
        for (int b = 0; b < 256; b++) tokenBytes.add(new byte[] {(byte) b});
        Map<String, Integer> idOfText = new HashMap<>();
        for (int b = 0; b < 256; b++) idOfText.put(ByteLevelAlphabet.charOf(b) + "", b);
        List<int[]> merges = new ArrayList<>();

        PairCounts counts = new PairCounts(tokenBytes);
        for (int w = 0; w < words.size(); w++) counts.addWord(words.symbols[w], words.length[w], words.freq[w]);
        // Which words hold each token (entries may be stale: a merge checks), so that a merge visits
        // only the words of its left token, not every word.
        List<int[]> wordsOf = new ArrayList<>();
        int[] wordsOfSize = new int[vocabSize];
        for (int t = 0; t < 256; t++) wordsOf.add(new int[4]);
        for (int w = 0; w < words.size(); w++) {
            for (int i = 0; i < words.length[w]; i++) {
                int t = words.symbols[w][i];
                if (i == 0 || !seenEarlier(words.symbols[w], i)) addWord(wordsOf, wordsOfSize, t, w);
            }
        }
        while (tokenBytes.size() + SPECIALS < vocabSize) {
            long best = counts.pollMostFrequent();
            if (best == PairCounts.NONE) break; // every remaining pair occurs once at most
            int left = (int) (best >>> 32), right = (int) best;
            byte[] a = tokenBytes.get(left), b = tokenBytes.get(right);
            byte[] joined = new byte[a.length + b.length];
            System.arraycopy(a, 0, joined, 0, a.length);
            System.arraycopy(b, 0, joined, a.length, b.length);
            // Two merge paths can spell the same bytes ("ab"+"c", "a"+"bc"): one token, two merges.
            String key = ByteLevelAlphabet.encode(joined, 0, joined.length);
            Integer merged = idOfText.get(key);
            if (merged == null) {
                merged = tokenBytes.size();
                tokenBytes.add(joined);
                idOfText.put(key, merged);
                wordsOf.add(new int[4]);
            }
            merges.add(new int[] {left, right});
            int[] candidates = wordsOf.get(left);
            for (int k = 0, n = wordsOfSize[left]; k < n; k++) {
                int w = candidates[k];
                if (!contains(words.symbols[w], words.length[w], left, right)) continue;
                counts.addWord(words.symbols[w], words.length[w], -words.freq[w]);
                words.length[w] = replace(words.symbols[w], words.length[w], left, right, merged);
                counts.addWord(words.symbols[w], words.length[w], words.freq[w]);
                addWord(wordsOf, wordsOfSize, merged, w);
            }
        }
        int size = tokenBytes.size() + SPECIALS;
        return BpeTokenizer.learned(tokenizerJson(tokenBytes, merges), java.nio.file.Path.of("(learned BPE)"),
                new BpeTokenizer.SpecialIds(size - 3, size - 2, size - 1, -1));
    }

    /** The merges ("a b", byte-level text) of a tokenizer.json this class wrote, in rank order. */
    @SuppressWarnings("unchecked")
    static List<String> merges(String tokenizerJson) {
        Map<String, Object> root = jdlm.format.Json.parseObject(tokenizerJson, TokenizerSpec.MAX_JSON_CHARS);
        return (List<String>) (List<?>) ((Map<String, Object>) root.get("model")).get("merges");
    }

    private static boolean seenEarlier(int[] s, int i) {
        for (int j = 0; j < i; j++) if (s[j] == s[i]) return true;
        return false;
    }

    private static void addWord(List<int[]> wordsOf, int[] sizes, int token, int word) {
        int[] list = wordsOf.get(token);
        int n = sizes[token];
        if (n > 0 && list[n - 1] == word) return; // a word is visited once per merge
        if (n == list.length) wordsOf.set(token, list = Arrays.copyOf(list, 2 * n));
        list[n] = word;
        sizes[token] = n + 1;
    }

    private static boolean contains(int[] s, int n, int left, int right) {
        for (int i = 0; i + 1 < n; i++) if (s[i] == left && s[i + 1] == right) return true;
        return false;
    }

    /** Replaces each (left, right), scanning left to right without overlap; returns the new length. */
    private static int replace(int[] s, int n, int left, int right, int merged) {
        int o = 0;
        for (int i = 0; i < n; i++) {
            if (i + 1 < n && s[i] == left && s[i + 1] == right) {
                s[o++] = merged;
                i++;
            } else {
                s[o++] = s[i];
            }
        }
        return o;
    }

    private static String tokenizerJson(List<byte[]> tokenBytes, List<int[]> merges) {
        Map<String, Object> vocab = new LinkedHashMap<>();
        String[] text = new String[tokenBytes.size()];
        for (int id = 0; id < tokenBytes.size(); id++) {
            byte[] b = tokenBytes.get(id);
            text[id] = ByteLevelAlphabet.encode(b, 0, b.length);
            vocab.put(text[id], (long) id);
        }
        List<Object> mergeList = new ArrayList<>();
        for (int[] m : merges) mergeList.add(text[m[0]] + " " + text[m[1]]);
        List<Object> added = new ArrayList<>();
        String[] markers = {Tokenizer.EOS_MARKER, Tokenizer.MASK_MARKER, Tokenizer.PAD_MARKER};
        for (int k = 0; k < SPECIALS; k++) added.add(TokenizerJsonExport.specialToken(tokenBytes.size() + k, markers[k]));
        return TokenizerJsonExport.byteLevelBpe(vocab, mergeList, added);
    }

    /** The distinct pieces of the text with their counts, each as a mutable array of symbols. */
    private static final class Words {
        int[][] symbols;
        int[] length;
        long[] freq;

        int size() {
            return symbols.length;
        }

        static Words of(List<? extends CharSequence> documents) {
            Map<String, long[]> pieces = new HashMap<>();
            for (CharSequence text : documents) {
                Matcher m = PreTokenizer.GPT2.matcher(text);
                while (m.find()) {
                    if (m.end() > m.start()) pieces.computeIfAbsent(m.group(), k -> new long[1])[0]++;
                }
            }
            // Sorted, so that the words' order (and nothing else) is independent of hashing.
            TreeMap<String, long[]> sorted = new TreeMap<>(pieces);
            Words w = new Words();
            int n = sorted.size();
            w.symbols = new int[n][];
            w.length = new int[n];
            w.freq = new long[n];
            int i = 0;
            for (Map.Entry<String, long[]> e : sorted.entrySet()) {
                byte[] b = e.getKey().getBytes(StandardCharsets.UTF_8);
                w.symbols[i] = new int[b.length];
                for (int k = 0; k < b.length; k++) w.symbols[i][k] = b[k] & 0xff;
                w.length[i] = b.length;
                w.freq[i] = e.getValue()[0];
                i++;
            }
            return w;
        }
    }

    /**
     * How often each adjacent pair occurs, with a max-heap of (count, pair) entries; an entry whose
     * count is no longer the pair's is stale and skipped when it surfaces.
     */
    private static final class PairCounts {
        static final long NONE = -1;
        private final HashMap<Long, Long> count = new HashMap<>();
        private final HashMap<Long, Long> changed = new HashMap<>();
        private final PriorityQueue<long[]> heap;

        PairCounts(List<byte[]> tokenBytes) {
            heap = new PriorityQueue<>((x, y) -> {
                if (x[0] != y[0]) return Long.compare(y[0], x[0]);
                int c = Arrays.compareUnsigned(tokenBytes.get((int) (x[1] >>> 32)), tokenBytes.get((int) (y[1] >>> 32)));
                return c != 0 ? c : Arrays.compareUnsigned(tokenBytes.get((int) x[1]), tokenBytes.get((int) y[1]));
            });
        }

        void addWord(int[] s, int n, long freq) {
            for (int i = 0; i + 1 < n; i++) {
                long pair = ((long) s[i] << 32) | s[i + 1];
                long c = count.merge(pair, freq, Long::sum);
                if (c == 0) count.remove(pair);
                changed.put(pair, c);
            }
        }

        /** The most frequent pair occurring at least twice (the first by bytes among equals), or NONE. */
        long pollMostFrequent() {
            for (Map.Entry<Long, Long> e : changed.entrySet()) {
                if (e.getValue() >= 2) heap.add(new long[] {e.getValue(), e.getKey()});
            }
            changed.clear();
            while (!heap.isEmpty()) {
                long[] top = heap.poll();
                Long now = count.get(top[1]);
                if (now != null && now == top[0]) return top[1]; // the merge then takes its count to zero
            }
            return NONE;
        }
    }
}
