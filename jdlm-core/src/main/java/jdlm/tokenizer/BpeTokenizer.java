package jdlm.tokenizer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import jdlm.format.FormatException;

/**
 * Byte-level BPE as GPT-2, Llama-3 (LLaDA) and Qwen2 (Dream) use it, loaded from a model's own
 * vocabulary: a Hugging Face {@code tokenizer.json} ({@link #fromTokenizerJson}) or a GGUF file's
 * {@code tokenizer.ggml.*} metadata ({@link #fromGguf}).
 *
 * <p>Encoding: added tokens are cut out of the text first and never split; the rest is
 * (optionally NFC-normalised and) cut by the model's pre-tokeniser regex; each piece's UTF-8 bytes
 * start as one symbol per byte and the adjacent pair with the lowest merge rank is merged,
 * leftmost first among equal ranks, until no pair has a rank.
 *
 * <p>Special tokens: every control token of the vocabulary (and EOS, MASK, PAD) is special:
 * {@link #encode} never produces one, {@link #decode} drops them, {@link #decodeWithSpecials} and
 * {@link #piece} show the token's own text (e.g. {@code <|mdm_mask|>}), and
 * {@link #encodeWithSpecials} reads that text back — plus the generic markers
 * {@value Tokenizer#EOS_MARKER}, {@value Tokenizer#MASK_MARKER}, {@value Tokenizer#PAD_MARKER}
 * where the vocabulary has no token of that text. Non-special added tokens (GGUF user-defined)
 * are ordinary text matched as a whole, as in the reference tokenizers.
 *
 * <p>Instances are immutable apart from a bounded cache, and safe to share between threads.
 */
public final class BpeTokenizer implements Tokenizer {
    public static final String NAME = "bpe";

    /** Pieces seen before are looked up rather than merged again; cleared when it grows past this. */
    private static final int CACHE_LIMIT = 1 << 16;

    /**
     * Special ids a Hugging Face model declares in its config.json (tokenizer.json has none).
     *
     * @param bos -1 when the model has no BOS
     */
    public record SpecialIds(int eos, int mask, int pad, int bos) {
        /**
         * LLaDA-8B (Base and Instruct), from its config.json and the reference generate.py:
         * {@code <|endoftext|>} 126081 is EOS and PAD, {@code <|mdm_mask|>} 126336 is MASK,
         * {@code <|startoftext|>} 126080 is BOS. (Instruct answers end with {@code <|eot_id|>} 126348
         * and are then padded with EOS.)
         */
        public static final SpecialIds LLADA_8B = new SpecialIds(126081, 126336, 126081, 126080);
        /**
         * Dream-v0-7B (Base and Instruct), from its config.json: {@code <|endoftext|>} 151643 is EOS
         * and PAD, {@code <|mask|>} 151666 is MASK, no BOS. (Instruct turns end with
         * {@code <|im_end|>} 151645.)
         */
        public static final SpecialIds DREAM_7B = new SpecialIds(151643, 151666, 151643, -1);
    }

    private final int vocabSize;
    private final byte[][] bytesOf;          // by id; empty for special and unused ids
    private final boolean[] special;         // by id
    private final String[] specialText;      // by id; the token's own text for special ids
    private final int eos, mask, pad, bos;
    private final PreTokenizer preTokenizer;
    private final boolean nfc;
    private final boolean ignoreMerges;
    private final Map<String, Integer> idOfToken;   // byte-level text → id, NORMAL tokens only
    private final int[] idOfByte = new int[256];
    private final PairRanks ranks;
    private final int[] mergedId;            // by rank
    private final AddedTokenMatcher literalTokens = new AddedTokenMatcher();
    private final AddedTokenMatcher allAddedTokens = new AddedTokenMatcher();
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();
    /** The tokenizer.json of a vocabulary jdlm learned, stored with the model; null for imported ones. */
    private final String tokenizerJson;

    /** Reads a Hugging Face tokenizer.json; special ids come from the model's config.json. */
    public static BpeTokenizer fromTokenizerJson(Path file, SpecialIds ids) {
        return new BpeTokenizer(TokenizerJson.read(file, ids), null);
    }

    /** Parses tokenizer.json text; {@code file} names it in error messages. */
    public static BpeTokenizer fromTokenizerJson(String json, Path file, SpecialIds ids) {
        return new BpeTokenizer(TokenizerJson.parse(json, file, ids), null);
    }

    /**
     * A vocabulary jdlm learned ({@link BpeTrainer}) or stored with a model it trained: the
     * tokenizer.json text is kept, so that {@link #spec()} can store it again.
     */
    static BpeTokenizer learned(String json, Path source, SpecialIds ids) {
        return new BpeTokenizer(TokenizerJson.parse(json, source, ids), json);
    }

    /**
     * Builds the tokenizer of a GGUF file from its metadata ({@code tokenizer.ggml.*} keys, and
     * {@code general.architecture} where the pre-tokeniser is not named).
     */
    public static BpeTokenizer fromGguf(Path file, Map<String, Object> metadata) {
        return new BpeTokenizer(GgufVocabulary.read(file, metadata), null);
    }

    private BpeTokenizer(BpeVocabulary v, String tokenizerJson) {
        this.tokenizerJson = tokenizerJson;
        Path src = v.source();
        vocabSize = v.tokens().length;
        eos = checkSpecialId(src, "EOS", v.eos(), false);
        mask = checkSpecialId(src, "MASK", v.mask(), false);
        pad = checkSpecialId(src, "PAD", v.pad(), false);
        bos = checkSpecialId(src, "BOS", v.bos(), true);
        preTokenizer = v.preTokenizer();
        nfc = v.nfc();
        ignoreMerges = v.ignoreMerges();

        bytesOf = new byte[vocabSize][];
        special = new boolean[vocabSize];
        specialText = new String[vocabSize];
        idOfToken = new HashMap<>(vocabSize * 2);
        for (int id = 0; id < vocabSize; id++) {
            String text = v.tokens()[id];
            BpeVocabulary.Kind kind = text == null ? BpeVocabulary.Kind.UNUSED : v.kinds()[id];
            boolean declaredSpecial = id == eos || id == mask || id == pad || id == bos;
            bytesOf[id] = new byte[0];
            if (kind == BpeVocabulary.Kind.NORMAL) {
                byte[] b = ByteLevelAlphabet.decode(text);
                if (b == null || b.length == 0) {
                    throw new FormatException(src, "token " + id, "text in the byte-level alphabet (GPT-2's bytes-to-unicode map)",
                            quote(text));
                }
                if (declaredSpecial) {
                    // EOS/MASK/PAD/BOS stored as an ordinary token: special all the same, shown as its text.
                    special[id] = true;
                    specialText[id] = new String(b, StandardCharsets.UTF_8);
                    continue;
                }
                bytesOf[id] = b;
                idOfToken.putIfAbsent(text, id);
            } else if (kind == BpeVocabulary.Kind.LITERAL && !declaredSpecial) {
                bytesOf[id] = text.getBytes(StandardCharsets.UTF_8);
                literalTokens.add(text, id);
                allAddedTokens.add(text, id);
            } else if (kind == BpeVocabulary.Kind.SPECIAL || declaredSpecial) {
                special[id] = true;
                specialText[id] = text;
                if (text != null && !text.isEmpty()) allAddedTokens.add(text, id);
            }
        }
        // The generic markers stand for EOS/MASK/PAD wherever the vocabulary does not use that text itself.
        if (!allAddedTokens.contains(EOS_MARKER)) allAddedTokens.add(EOS_MARKER, eos);
        if (!allAddedTokens.contains(MASK_MARKER)) allAddedTokens.add(MASK_MARKER, mask);
        if (!allAddedTokens.contains(PAD_MARKER)) allAddedTokens.add(PAD_MARKER, pad);

        for (int b = 0; b < 256; b++) {
            Integer id = idOfToken.get(String.valueOf(ByteLevelAlphabet.charOf(b)));
            if (id == null) {
                throw new FormatException(src, "vocabulary", "a token for every single byte (byte-level BPE)",
                        String.format("no token for byte 0x%02X (%s)", b, quote(String.valueOf(ByteLevelAlphabet.charOf(b)))));
            }
            idOfByte[b] = id;
        }

        int n = v.merges().size();
        ranks = new PairRanks(n);
        mergedId = new int[n];
        for (int r = 0; r < n; r++) {
            String[] m = v.merges().get(r);
            Integer left = idOfToken.get(m[0]), right = idOfToken.get(m[1]), merged = idOfToken.get(m[0] + m[1]);
            if (left == null || right == null || merged == null) {
                String missing = left == null ? m[0] : right == null ? m[1] : m[0] + m[1];
                throw new FormatException(src, "merges[" + r + "]", "two ordinary tokens whose concatenation is also one",
                        quote(m[0]) + " + " + quote(m[1]) + ", but " + quote(missing) + " is not an ordinary token");
            }
            mergedId[r] = merged;
            ranks.putIfAbsent(left, right, r); // a repeated pair keeps its first (lowest) rank
        }
    }

    private int checkSpecialId(Path src, String what, int id, boolean optional) {
        if (optional && id == -1) return -1;
        if (id < 0 || id >= vocabSize) {
            throw new FormatException(src, what + " token id", "an id in [0, " + vocabSize + ")" + (optional ? " or none" : ""),
                    String.valueOf(id));
        }
        return id;
    }

    // ------------------------------------------------------------------------------------------
    // Encoding

    @Override
    public int[] encode(String text) {
        return encodeSplittingAt(text, literalTokens);
    }

    /** Like {@link #encode}, but the text of any special or added token stands for that token. */
    @Override
    public int[] encodeWithSpecials(String text) {
        return encodeSplittingAt(text, allAddedTokens);
    }

    private int[] encodeSplittingAt(String text, AddedTokenMatcher added) {
        Ints out = new Ints(Math.max(16, text.length() / 3));
        int at = 0;
        while (at <= text.length()) {
            AddedTokenMatcher.Match m = added.find(text, at);
            int end = m == null ? text.length() : m.start();
            if (end > at) encodeOrdinary(text.substring(at, end), out);
            if (m == null) break;
            out.add(m.id());
            at = m.end();
        }
        return out.toArray();
    }

    /** Text without added tokens: normalise, pre-tokenise, BPE each piece. */
    private void encodeOrdinary(String text, Ints out) {
        if (nfc) text = Normalizer.normalize(text, Normalizer.Form.NFC);
        Matcher m = preTokenizer.matcher(text);
        while (m.find()) {
            // A pattern alternative could in principle match the empty string; it carries no bytes.
            if (m.end() > m.start()) encodePiece(text.substring(m.start(), m.end()), out);
        }
    }

    private void encodePiece(String piece, Ints out) {
        byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
        if (bytes.length == 1) {
            out.add(idOfByte[bytes[0] & 0xff]);
            return;
        }
        String key = ByteLevelAlphabet.encode(bytes, 0, bytes.length);
        if (ignoreMerges) {
            Integer whole = idOfToken.get(key);
            if (whole != null) {
                out.add(whole);
                return;
            }
        }
        int[] ids = cache.get(key);
        if (ids == null) {
            ids = merge(bytes);
            if (cache.size() >= CACHE_LIMIT) cache.clear();
            cache.put(key, ids);
        }
        out.addAll(ids);
    }

    /**
     * BPE over one piece: symbols in a doubly linked list, candidate merges in a min-heap keyed by
     * (rank, position). A popped candidate is stale when its left symbol was merged away or its pair
     * changed; a rank names exactly one pair, so re-reading the pair's rank detects both.
     */
    private int[] merge(byte[] bytes) {
        int n = bytes.length;
        int[] id = new int[n], prev = new int[n], next = new int[n];
        for (int i = 0; i < n; i++) {
            id[i] = idOfByte[bytes[i] & 0xff];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        LongHeap heap = new LongHeap(n);
        for (int i = 0; i + 1 < n; i++) offer(heap, id, i, i + 1);
        int alive = n;
        while (!heap.isEmpty()) {
            long top = heap.poll();
            int rank = (int) (top >>> 32), left = (int) top;
            int right = id[left] < 0 ? -1 : next[left];
            if (right < 0 || ranks.get(id[left], id[right]) != rank) continue; // stale
            id[left] = mergedId[rank];
            id[right] = -1;
            next[left] = next[right];
            if (next[right] >= 0) prev[next[right]] = left;
            alive--;
            if (prev[left] >= 0) offer(heap, id, prev[left], left);
            if (next[left] >= 0) offer(heap, id, left, next[left]);
        }
        int[] outIds = new int[alive];
        for (int i = 0, k = 0; i >= 0; i = next[i]) outIds[k++] = id[i];
        return outIds;
    }

    private void offer(LongHeap heap, int[] id, int left, int right) {
        int rank = ranks.get(id[left], id[right]);
        if (rank >= 0) heap.add(((long) rank << 32) | left);
    }

    // ------------------------------------------------------------------------------------------
    // Vocabulary

    @Override
    public byte[] tokenBytes(int id) {
        checkId(id);
        return bytesOf[id].clone();
    }

    @Override public int vocabSize() { return vocabSize; }
    @Override public int eosId() { return eos; }
    @Override public int maskId() { return mask; }
    @Override public int padId() { return pad; }
    @Override public String name() { return NAME; }

    /** The tokenizer.json text of a vocabulary jdlm learned, or null for one imported with a model. */
    public String tokenizerJson() {
        return tokenizerJson;
    }

    /** Learned vocabularies carry their tokenizer.json, so that a model file can rebuild them. */
    @Override
    public TokenizerSpec spec() {
        return new TokenizerSpec(NAME, vocabSize, eos, mask, pad, tokenizerJson);
    }

    /** The BOS id, or -1 when the model has none. Encoding never adds it; a chat template does. */
    public int bosId() {
        return bos;
    }

    @Override
    public boolean isSpecial(int id) {
        return id >= 0 && id < vocabSize && special[id];
    }

    /** A special token's own text (e.g. {@code <|eot_id|>}); a generic marker if it has none. */
    @Override
    public String specialMarker(int id) {
        if (!isSpecial(id)) return null;
        if (specialText[id] != null && !specialText[id].isEmpty()) return specialText[id];
        if (id == eos) return EOS_MARKER;
        if (id == mask) return MASK_MARKER;
        if (id == pad) return PAD_MARKER;
        return "<|special_" + id + "|>";
    }

    /** The id of the special or added token written {@code text}, or -1. */
    public int addedTokenId(String text) {
        AddedTokenMatcher.Match m = allAddedTokens.find(text, 0);
        return m != null && m.start() == 0 && m.end() == text.length() ? m.id() : -1;
    }

    private static String quote(String s) {
        if (s == null) return "nothing";
        return "\"" + (s.length() > 60 ? s.substring(0, 60) + "…" : s) + "\"";
    }

    // ------------------------------------------------------------------------------------------

    /** (left id, right id) → merge rank, open addressing over packed long keys. */
    private static final class PairRanks {
        private final long[] keys;
        private final int[] values;
        private final int mask;

        PairRanks(int count) {
            int cap = Integer.highestOneBit(Math.max(4, count * 2 + 1)) << 1;
            keys = new long[cap];
            values = new int[cap];
            Arrays.fill(keys, -1L); // ids are non-negative, so no real key is -1
            mask = cap - 1;
        }

        private int slot(long key) {
            long h = key * 0x9E3779B97F4A7C15L;
            return (int) (h ^ (h >>> 29)) & mask;
        }

        void putIfAbsent(int left, int right, int rank) {
            long key = ((long) left << 32) | right;
            int s = slot(key);
            while (keys[s] != -1L) {
                if (keys[s] == key) return;
                s = (s + 1) & mask;
            }
            keys[s] = key;
            values[s] = rank;
        }

        /** The rank, or -1 when the pair does not merge. */
        int get(int left, int right) {
            long key = ((long) left << 32) | right;
            for (int s = slot(key); keys[s] != -1L; s = (s + 1) & mask) {
                if (keys[s] == key) return values[s];
            }
            return -1;
        }
    }

    /** A binary min-heap of longs. */
    private static final class LongHeap {
        private long[] a;
        private int size;

        LongHeap(int capacity) {
            a = new long[Math.max(4, capacity)];
        }

        boolean isEmpty() {
            return size == 0;
        }

        void add(long v) {
            if (size == a.length) a = Arrays.copyOf(a, size * 2);
            int i = size++;
            while (i > 0) {
                int p = (i - 1) >>> 1;
                if (a[p] <= v) break;
                a[i] = a[p];
                i = p;
            }
            a[i] = v;
        }

        long poll() {
            long top = a[0];
            long last = a[--size];
            int i = 0;
            while (true) {
                int c = 2 * i + 1;
                if (c >= size) break;
                if (c + 1 < size && a[c + 1] < a[c]) c++;
                if (last <= a[c]) break;
                a[i] = a[c];
                i = c;
            }
            a[i] = last;
            return top;
        }
    }

    /** A growable int array. */
    private static final class Ints {
        private int[] a;
        private int size;

        Ints(int capacity) {
            a = new int[capacity];
        }

        void add(int v) {
            if (size == a.length) a = Arrays.copyOf(a, size * 2);
            a[size++] = v;
        }

        void addAll(int[] v) {
            if (size + v.length > a.length) a = Arrays.copyOf(a, Math.max(size * 2, size + v.length));
            System.arraycopy(v, 0, a, size, v.length);
            size += v.length;
        }

        int[] toArray() {
            return Arrays.copyOf(a, size);
        }
    }
}
