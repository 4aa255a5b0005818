package jdlm.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jdlm.SharedData;
import jdlm.format.FormatException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class BpeTokenizerTest {
    private static final String LLAMA3 = PreTokenizer.LLAMA3.regex;
    private static final String QWEN2 = PreTokenizer.QWEN2.regex;

    private static String corpus;
    private static TestVocabulary learnt;

    @BeforeAll
    static void buildVocabulary() throws IOException {
        Path austen = SharedData.file("austen_train.txt");
        StringBuilder sb = new StringBuilder();
        if (austen != null) {
            byte[] all = Files.readAllBytes(austen);
            sb.append(new String(all, 100_000, 60_000, StandardCharsets.UTF_8));
        } else {
            // a checkout without ../shared: pseudo-words of common syllables recur often enough for 400 merges
            String[] syllables = {"the", "an", "ing", "er", "ou", "re", "st", "ly", "ch", "al", "en", "or", "is", "ed", "it",
                    "wh", "sh", "ar", "on", "le", "ve", "ho", "ma", "ne"};
            java.util.SplittableRandom r = new java.util.SplittableRandom(1);
            for (int w = 0; w < 20_000; w++) {
                for (int k = 1 + r.nextInt(3); k > 0; k--) sb.append(syllables[r.nextInt(syllables.length)]);
                sb.append(w % 12 == 11 ? ".\n" : " ");
            }
        }
        // Digits, contractions, whitespace runs and non-Latin text, so that merges cover them too.
        for (int i = 0; i < 40; i++) {
            sb.append(" It's 2024, I'M sure they'd pay 1234567 or 3.14 —  naïve café 日本語の文章 😀👍🏽\n\n\tdone. ");
        }
        corpus = sb.toString();
        learnt = TestVocabulary.learn(corpus, ReferenceBpe.LLAMA3_SPLIT, 400);
        assertEquals(400, learnt.merges.size());
    }

    private static List<Integer> list(int[] ids) {
        return Arrays.stream(ids).boxed().toList();
    }

    private static List<String> testTexts(long seed) {
        List<String> texts = new ArrayList<>();
        texts.add(corpus.substring(0, Math.min(corpus.length(), 20_000)));
        texts.add("I'M here; you're THERE. 12345 + 6789 = 19134\r\n\r\n   spaced   out\t\tand ¡hola! 👍🏽👍🏽");
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < 200; i++) texts.add(RandomText.of(rnd, 40));
        return texts;
    }

    @Test
    void mergesApplyInRankOrderAsTheNaiveReference() {
        // The learnt vocabulary in its own order, then with ids and merge ranks shuffled, so that
        // neither id order nor learning order coincides with rank order.
        for (TestVocabulary v : List.of(learnt, learnt.shuffled(1), learnt.shuffled(2))) {
            for (var pre : List.of(new Object[] {null, ReferenceBpe.GPT2_SPLIT}, new Object[] {LLAMA3, ReferenceBpe.LLAMA3_SPLIT},
                    new Object[] {QWEN2, ReferenceBpe.QWEN2_SPLIT})) {
                BpeTokenizer tok = BpeTokenizer.fromTokenizerJson(v.tokenizerJson((String) pre[0], false, false, false),
                        TestVocabulary.FILE, v.specialIds());
                ReferenceBpe ref = v.reference((Pattern) pre[1], false, false);
                for (String s : testTexts(7)) assertEquals(ref.encode(s), list(tok.encode(s)), () -> "text: " + s);
            }
        }
    }

    @Test
    void mergesReallyHappen() {
        BpeTokenizer tok = BpeTokenizer.fromTokenizerJson(learnt.tokenizerJson(LLAMA3, false, false, false),
                TestVocabulary.FILE, learnt.specialIds());
        String text = corpus.substring(0, 5000);
        int[] ids = tok.encode(text);
        assertTrue(ids.length < text.getBytes(StandardCharsets.UTF_8).length * 0.6,
                "400 learnt merges should shorten text to well under 60% of its bytes; got " + ids.length);
    }

    @Test
    void ignoreMergesTakesWholeWordTokensAsTheyAre() {
        // "ab" "c" merges before "a" "bc" would; the vocabulary also has "abc" as a token of its own.
        // With ignore_merges a piece "abc" is that token; without, BPE gives "ab" "c" → no "abc" merge.
        TestVocabulary v = TestVocabulary.grow("ab bc", ReferenceBpe.GPT2_SPLIT, 10);
        v.ids.put("abc", v.ids.size());
        int abc = v.ids.get("abc");
        v.hole = v.ids.size();
        Map<String, Integer> added = new LinkedHashMap<>();
        for (String s : v.added.keySet()) added.put(s, v.hole + 1 + added.size());
        v.added.clear();
        v.added.putAll(added);
        BpeTokenizer plain = BpeTokenizer.fromTokenizerJson(v.tokenizerJson(LLAMA3, false, false, false), TestVocabulary.FILE,
                v.specialIds());
        BpeTokenizer whole = BpeTokenizer.fromTokenizerJson(v.tokenizerJson(LLAMA3, false, false, true), TestVocabulary.FILE,
                v.specialIds());
        assertArrayEquals(new int[] {v.ids.get("ab"), v.ids.get("c")}, plain.encode("abc"));
        assertArrayEquals(new int[] {abc}, whole.encode("abc"));
        assertEquals(v.reference(ReferenceBpe.LLAMA3_SPLIT, false, true).encode("abc x abc"), list(whole.encode("abc x abc")));
    }

    @Test
    void roundTripsRandomUnicodeAndNeverEmitsSpecials() {
        BpeTokenizer tok = BpeTokenizer.fromTokenizerJson(learnt.tokenizerJson(LLAMA3, false, false, false),
                TestVocabulary.FILE, learnt.specialIds());
        BpeTokenizer nfc = BpeTokenizer.fromTokenizerJson(learnt.tokenizerJson(QWEN2, false, true, false),
                TestVocabulary.FILE, learnt.specialIds());
        SplittableRandom rnd = new SplittableRandom(5);
        for (int trial = 0; trial < 500; trial++) {
            String s = RandomText.of(rnd, 60);
            int[] ids = tok.encode(s);
            for (int id : ids) assertFalse(tok.isSpecial(id), "special id " + id + " from ordinary text");
            assertEquals(s, tok.decode(ids));
            // Qwen2's normaliser: the text comes back NFC-normalised.
            assertEquals(Normalizer.normalize(s, Normalizer.Form.NFC), nfc.decode(nfc.encode(s)));
        }
        assertEquals("e\u0301", tok.decode(tok.encode("e\u0301")));
        assertEquals("\u00e9", nfc.decode(nfc.encode("e\u0301")));
    }

    @Test
    void specialTokensAreNeverSplitAndNeverComeFromOrdinaryText() {
        BpeTokenizer tok = BpeTokenizer.fromTokenizerJson(learnt.tokenizerJson(LLAMA3, false, false, false),
                TestVocabulary.FILE, learnt.specialIds());
        int eot = learnt.added.get(TestVocabulary.EOT), mask = learnt.mask(), eos = learnt.eos();
        int literal = learnt.added.get(TestVocabulary.LITERAL);
        String text = "Hi<|eot_id|>there<|mdm_mask|><|mask|> <|endoftext|>x<tool_call>y";

        int[] plain = tok.encode(text);
        for (int id : plain) assertFalse(tok.isSpecial(id), "ordinary encode gave special id " + id);
        assertEquals(text, tok.decode(plain));
        assertTrue(list(plain).contains(literal), "a non-special added token is matched in ordinary text");

        int[] withSpecials = tok.encodeWithSpecials(text);
        List<Integer> expected = new ArrayList<>();
        expected.addAll(list(tok.encode("Hi")));
        expected.add(eot);
        expected.addAll(list(tok.encode("there")));
        expected.add(mask);
        expected.add(mask); // the generic <|mask|> marker, which this vocabulary does not use itself
        expected.addAll(list(tok.encode(" ")));
        expected.add(eos);
        expected.addAll(list(tok.encode("x")));
        expected.add(literal);
        expected.addAll(list(tok.encode("y")));
        assertEquals(expected, list(withSpecials));

        assertEquals("Hithere x<tool_call>y", tok.decode(withSpecials));
        assertEquals("Hi<|eot_id|>there<|mdm_mask|><|mdm_mask|> <|endoftext|>x<tool_call>y",
                tok.decodeWithSpecials(withSpecials));
        assertEquals("<|mdm_mask|>", tok.piece(mask));
        assertEquals(mask, tok.addedTokenId("<|mdm_mask|>"));
        assertEquals(-1, tok.addedTokenId("<|mdm_mask|>x"));
        // The unused id decodes to nothing, without an exception.
        assertEquals("", tok.decode(new int[] {learnt.hole}));
        assertThrows(IllegalArgumentException.class, () -> tok.decode(new int[] {tok.vocabSize()}));
    }

    @Test
    void bothMergeFormsGiveTheSameIds() {
        TestVocabulary v = learnt.shuffled(3);
        BpeTokenizer strings = BpeTokenizer.fromTokenizerJson(v.tokenizerJson(QWEN2, false, true, false), TestVocabulary.FILE,
                v.specialIds());
        BpeTokenizer pairs = BpeTokenizer.fromTokenizerJson(v.tokenizerJson(QWEN2, true, true, false), TestVocabulary.FILE,
                v.specialIds());
        for (String s : testTexts(11)) assertArrayEquals(strings.encode(s), pairs.encode(s));
    }

    @Test
    void ggufMetadataAndTokenizerJsonGiveTheSameIds() {
        TestVocabulary v = learnt.shuffled(4);
        // Llama-3 style (LLaDA): ignore_merges in tokenizer.json, "llama-bpe" in GGUF.
        BpeTokenizer json = BpeTokenizer.fromTokenizerJson(v.tokenizerJson(LLAMA3, false, false, true), TestVocabulary.FILE,
                v.specialIds());
        BpeTokenizer gguf = BpeTokenizer.fromGguf(Path.of("test.gguf"), v.gguf("llama-bpe", "llada"));
        // Qwen2 style (Dream): NFC in tokenizer.json, "qwen2" in GGUF.
        BpeTokenizer qjson = BpeTokenizer.fromTokenizerJson(v.tokenizerJson(QWEN2, true, true, false), TestVocabulary.FILE,
                v.specialIds());
        BpeTokenizer qgguf = BpeTokenizer.fromGguf(Path.of("test.gguf"), v.gguf("qwen2", "dream"));
        // "default" falls back on the architecture.
        BpeTokenizer dgguf = BpeTokenizer.fromGguf(Path.of("test.gguf"), v.gguf("default", "dream"));
        ReferenceBpe ref = v.reference(ReferenceBpe.LLAMA3_SPLIT, false, true);
        for (String s : testTexts(13)) {
            String t = s + "<|eot_id|>" + s;
            assertEquals(ref.encode(s), list(json.encode(s)));
            assertArrayEquals(json.encodeWithSpecials(t), gguf.encodeWithSpecials(t));
            assertArrayEquals(qjson.encodeWithSpecials(t), qgguf.encodeWithSpecials(t));
            assertArrayEquals(qjson.encode(t), dgguf.encode(t));
        }
        assertEquals(json.vocabSize(), gguf.vocabSize());
        assertEquals(json.spec(), gguf.spec());
        assertEquals(v.bos(), gguf.bosId());
        for (int id = 0; id < json.vocabSize(); id++) {
            assertArrayEquals(json.tokenBytes(id), gguf.tokenBytes(id), "token " + id);
            assertEquals(json.isSpecial(id), gguf.isSpecial(id), "token " + id);
        }
    }

    /** The pieces the reference regex cuts, for hand-worked examples. */
    private static List<String> pieces(PreTokenizer pre, String text) {
        List<String> out = new ArrayList<>();
        Matcher m = pre.matcher(text);
        while (m.find()) out.add(m.group());
        return out;
    }

    @Test
    void preTokenizersSplitAsTheirReferenceRegexes() {
        // GPT-2: lower-case contractions only, a leading space joins the next run, digits in one run.
        assertEquals(List.of("I", "'m", " 12345", " don", "'t", " DON", "'", "T"), pieces(PreTokenizer.GPT2, "I'm 12345 don't DON'T"));
        assertEquals(List.of("a", "  ", " b", "\n"), pieces(PreTokenizer.GPT2, "a   b\n"));
        // Llama-3: contractions in any case, digits in groups of at most three (never with a space),
        // one non-letter may lead a word, newline runs are pieces of their own.
        assertEquals(List.of("I", "'M", " ", "123", "45", " abc", " DON", "'T"), pieces(PreTokenizer.LLAMA3, "I'M 12345 abc DON'T"));
        assertEquals(List.of("x", "\n\n", " ", " y"), pieces(PreTokenizer.LLAMA3, "x\n\n  y"));
        assertEquals(List.of("Hello", "!!\n", "¡hola", "  ", " b"), pieces(PreTokenizer.LLAMA3, "Hello!!\n¡hola   b"));
        assertEquals(List.of("123", "4", ".", "5"), pieces(PreTokenizer.LLAMA3, "1234.5"));
        // Qwen2: like Llama-3, but every digit alone.
        assertEquals(List.of("1", "2", "3", "4", "5", " abc"), pieces(PreTokenizer.QWEN2, "12345 abc"));
        assertEquals(List.of("You", "'RE", " x"), pieces(PreTokenizer.QWEN2, "You'RE x"));
        // GPT-2 keeps the '¡' apart from the word.
        assertEquals(List.of("¡", "hola"), pieces(PreTokenizer.GPT2, "¡hola"));
    }

    @Test
    void malformedTokenizerJsonIsAFormatException() {
        String good = learnt.tokenizerJson(LLAMA3, false, false, false);
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("Unigram", good.replace("\"type\":\"BPE\"", "\"type\":\"Unigram\""));
        bad.put("model.type", good.replace("\"type\":\"BPE\",", ""));
        bad.put("byte_fallback", good.replace("\"byte_fallback\":false", "\"byte_fallback\":true"));
        bad.put("Regex", good.replace("\\\\p{N}{1,3}", "\\\\p{N}{1,4}"));
        bad.put("merge not two tokens", good.replace("\"merges\":[", "\"merges\":[\"q \","));
        bad.put("merge of unknown tokens", good.replace("\"merges\":[", "\"merges\":[\"zz zz\","));
        bad.put("merge pair of one", good.replace("\"merges\":[", "\"merges\":[[\"a\"],"));
        bad.put("id", good.replace("\"id\":" + learnt.eos(), "\"id\":-3"));
        bad.put("EOS", good); // checked below with a bad special id
        bad.put("truncated", good.substring(0, good.length() / 2));
        bad.put("normalizer", good.replace("\"normalizer\":null", "\"normalizer\":{\"type\":\"NFKC\"}"));
        bad.put("add_prefix_space", good.replace("\"add_prefix_space\":false", "\"add_prefix_space\":true"));
        bad.put("lstrip", good.replace("\"lstrip\":false", "\"lstrip\":true"));
        bad.put("huge id", good.replace("\"id\":" + learnt.eos(), "\"id\":4000000"));
        for (Map.Entry<String, String> e : bad.entrySet()) {
            BpeTokenizer.SpecialIds ids = e.getKey().equals("EOS") ? new BpeTokenizer.SpecialIds(1 << 20, 0, 0, -1)
                    : learnt.specialIds();
            FormatException ex = assertThrows(FormatException.class,
                    () -> BpeTokenizer.fromTokenizerJson(e.getValue(), TestVocabulary.FILE, ids), e.getKey());
            assertTrue(ex.getMessage().startsWith(TestVocabulary.FILE.toString()), ex.getMessage());
        }
        // The message of an unsupported model says what it is.
        FormatException unigram = assertThrows(FormatException.class,
                () -> BpeTokenizer.fromTokenizerJson(bad.get("Unigram"), TestVocabulary.FILE, learnt.specialIds()));
        assertTrue(unigram.getMessage().contains("Unigram"), unigram.getMessage());
        // A vocabulary without the single-byte tokens is not byte-level.
        String noByte = good.replace("\"" + TestVocabulary.byteLevel("\u0000") + "\":0,", "");
        assertTrue(assertThrows(FormatException.class, () -> BpeTokenizer.fromTokenizerJson(noByte, TestVocabulary.FILE,
                learnt.specialIds())).getMessage().contains("byte 0x00"));
    }

    @Test
    void fuzzedTokenizerJsonFailsOnlyWithFormatException() {
        TestVocabulary small = TestVocabulary.grow("hello world, it's 123 naïve", ReferenceBpe.GPT2_SPLIT, 20);
        String good = small.tokenizerJson(LLAMA3, false, false, false);
        SplittableRandom rnd = new SplittableRandom(17);
        String alphabet = "{}[]\",:0123456789-tnfeurlaBPE \\";
        int failures = 0;
        for (int trial = 0; trial < 1500; trial++) {
            StringBuilder sb = new StringBuilder(good);
            int edits = 1 + rnd.nextInt(3);
            for (int k = 0; k < edits; k++) {
                int at = rnd.nextInt(sb.length());
                switch (rnd.nextInt(3)) {
                    case 0 -> sb.setCharAt(at, alphabet.charAt(rnd.nextInt(alphabet.length())));
                    case 1 -> sb.deleteCharAt(at);
                    default -> sb.insert(at, alphabet.charAt(rnd.nextInt(alphabet.length())));
                }
            }
            try {
                BpeTokenizer t = BpeTokenizer.fromTokenizerJson(sb.toString(), TestVocabulary.FILE, small.specialIds());
                t.decode(t.encode("hello world 123"));
            } catch (FormatException expected) {
                failures++;
            }
        }
        assertTrue(failures > 100, "most mutations should be refused; refused " + failures);
    }

    @Test
    void malformedGgufMetadataIsAFormatException() {
        Path file = Path.of("bad.gguf");
        List<java.util.function.Consumer<Map<String, Object>>> edits = List.of(
                md -> md.put("tokenizer.ggml.model", "llama"),
                md -> md.remove("tokenizer.ggml.tokens"),
                md -> md.put("tokenizer.ggml.pre", "deepseek-coder"),
                md -> md.remove("tokenizer.ggml.mask_token_id"),
                md -> md.put("tokenizer.ggml.eos_token_id", 1.5),
                md -> md.put("tokenizer.ggml.eos_token_id", 1L << 40),
                md -> md.put("tokenizer.ggml.mask_token_id", (long) learnt.size()),
                md -> md.put("tokenizer.ggml.token_type", List.of(1L)),
                md -> md.put("tokenizer.ggml.merges", List.of("a")),
                md -> md.put("tokenizer.ggml.merges", List.of(7L)),
                md -> md.put("tokenizer.ggml.tokens", List.of("a", 3L)),
                md -> {
                    @SuppressWarnings("unchecked") List<Long> t = new ArrayList<>((List<Long>) md.get("tokenizer.ggml.token_type"));
                    t.set(0, 9L);
                    md.put("tokenizer.ggml.token_type", t);
                });
        for (int i = 0; i < edits.size(); i++) {
            Map<String, Object> md = new LinkedHashMap<>(learnt.gguf("llama-bpe", "llada"));
            edits.get(i).accept(md);
            FormatException ex = assertThrows(FormatException.class, () -> BpeTokenizer.fromGguf(file, md), "edit " + i);
            assertTrue(ex.getMessage().startsWith("bad.gguf: tokenizer.ggml.") || ex.getMessage().startsWith("bad.gguf: token"),
                    ex.getMessage());
        }
        assertTrue(assertThrows(FormatException.class, () -> {
            Map<String, Object> md = new LinkedHashMap<>(learnt.gguf("llama-bpe", "llada"));
            md.put("tokenizer.ggml.model", "llama");
            BpeTokenizer.fromGguf(file, md);
        }).getMessage().contains("SentencePiece"));
    }

    @Test
    void encodesAMegabyteQuickly() {
        // Performance sanity (printed, not asserted): a 50k-merge vocabulary over 1 MB of text.
        StringBuilder text = new StringBuilder(corpus);
        SplittableRandom rnd = new SplittableRandom(3);
        while (text.length() < 1_000_000) text.append(RandomText.of(rnd, 50)).append(' ').append(corpus, 0, 5000);
        String mb = text.substring(0, 1_000_000);
        // Merges from many distinct pieces: the corpus's words, then random Unicode words.
        StringBuilder words = new StringBuilder(mb);
        for (int i = 0; i < 40_000; i++) words.append(' ').append(RandomText.of(rnd, 8).replaceAll("\\s", ""));
        TestVocabulary big = TestVocabulary.grow(words.toString(), ReferenceBpe.LLAMA3_SPLIT, 50_000);
        String json = big.tokenizerJson(LLAMA3, false, false, false);
        long t0 = System.nanoTime();
        BpeTokenizer tok = BpeTokenizer.fromTokenizerJson(json, TestVocabulary.FILE, big.specialIds());
        long t1 = System.nanoTime();
        int[] ids = tok.encode(mb);
        long t2 = System.nanoTime();
        assertEquals(mb, tok.decode(ids));
        System.out.printf("BPE: %d merges loaded in %.0f ms; 1 MB (%d chars) → %d tokens in %.0f ms%n",
                big.merges.size(), (t1 - t0) / 1e6, mb.length(), ids.length, (t2 - t1) / 1e6);
    }
}
