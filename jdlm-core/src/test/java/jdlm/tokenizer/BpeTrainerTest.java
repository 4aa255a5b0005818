package jdlm.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class BpeTrainerTest {

    /**
     * Worked by hand: "aaabdaaabac" is one piece. Pairs: aa ×4 (overlapping occurrences counted),
     * ab ×2, the rest once → merge a+a. Then aa+a ×2 and a+b ×2 tie; "a" < "aa", so a+b. Then
     * aa+ab ×2; every other pair occurs once, so learning stops at three merges whatever the size asked.
     */
    @Test
    void learnsTheTextbookExample() {
        BpeTokenizer t = BpeTrainer.train("aaabdaaabac", 1000);
        assertEquals(List.of("a a", "a b", "aa ab"), merges(t));
        assertEquals(256 + 3 + 3, t.vocabSize(), "bytes, three merges, EOS/MASK/PAD");
        assertEquals(List.of(262 - 3, 262 - 2, 262 - 1), List.of(t.eosId(), t.maskId(), t.padId()));
        int aaab = 258;
        assertArrayEquals(new int[] {aaab, 'd', aaab, 'a', 'c'}, t.encode("aaabdaaabac"));
        assertEquals("aaab", new String(t.tokenBytes(aaab), StandardCharsets.US_ASCII));
    }

    /** Against the tests' textbook trainer (recounts every pair after each merge), on text with many ties. */
    @Test
    void mergesAreThoseOfAFromScratchRecount() {
        SplittableRandom rnd = new SplittableRandom(7);
        String[] syllables = {"th", "e", "an", "re", "é", "n", "a", "he", "nt", "ré", "s"};
        String[] words = new String[80];
        for (int w = 0; w < words.length; w++) {
            StringBuilder word = new StringBuilder();
            for (int k = 1 + rnd.nextInt(4); k > 0; k--) word.append(syllables[rnd.nextInt(syllables.length)]);
            words[w] = word.toString();
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 3000; i++) {
            sb.append(words[rnd.nextInt(words.length)]).append(rnd.nextInt(10) == 0 ? ".\n" : rnd.nextInt(20) == 0 ? ",  " : " ");
        }
        String text = sb.toString();
        BpeTokenizer t = BpeTrainer.train(text, 256 + 120 + 3);
        List<String> mine = merges(t);
        assertEquals(120, mine.size(), "enough pairs occur twice for 120 merges");
        TestVocabulary ref = TestVocabulary.learn(text, ReferenceBpe.GPT2_SPLIT, 120, true);
        List<String> expected = new ArrayList<>();
        for (String[] m : ref.merges) expected.add(byteLevel(m[0]) + " " + byteLevel(m[1]));
        assertEquals(expected, mine);

        // Both give the bytes, then each merge's new token, the next id: the whole text encodes alike.
        ReferenceBpe reference = ref.reference(ReferenceBpe.GPT2_SPLIT, false, false);
        assertEquals(reference.encode(text), java.util.Arrays.stream(t.encode(text)).boxed().toList());
        assertEquals(text, t.decode(t.encode(text)));
    }

    @Test
    void stopsWhenNoPairOccursTwice() {
        BpeTokenizer t = BpeTrainer.train("abcdefg", 5000);
        assertEquals(List.of(), merges(t));
        assertEquals(259, t.vocabSize());
    }

    @Test
    void roundTripsAnyTextAndNeverProducesSpecialIds() {
        SplittableRandom rnd = new SplittableRandom(3);
        StringBuilder corpus = new StringBuilder();
        for (int i = 0; i < 200; i++) corpus.append(RandomText.of(rnd, 40)).append(" the cat <|mask|> ");
        BpeTokenizer t = BpeTrainer.train(corpus, 400);
        for (int i = 0; i < 500; i++) {
            String s = RandomText.of(rnd, 60) + (i % 7 == 0 ? "<|endoftext|><|mask|>" : "");
            int[] ids = t.encode(s);
            for (int id : ids) assertTrue(!t.isSpecial(id), "ordinary text never gives a special id");
            assertEquals(s, t.decode(ids));
        }
        assertArrayEquals(new int[] {t.eosId(), t.maskId(), t.padId()}, t.encodeWithSpecials("<|endoftext|><|mask|><|pad|>"));
    }

    /** The spec a model file stores rebuilds the same tokenizer; a tampered one is refused. */
    @Test
    void specCarriesTheVocabulary() {
        BpeTokenizer t = BpeTrainer.train("to be or not to be, that is the question: to be", 300);
        TokenizerSpec spec = TokenizerSpec.fromJson(t.spec().toJson());
        Tokenizer back = Tokenizers.fromSpec(spec);
        assertEquals(t.spec(), back.spec());
        assertArrayEquals(t.encode("not to be or to be"), back.encode("not to be or to be"));

        TokenizerSpec noVocabulary = new TokenizerSpec("bpe", spec.vocabSize(), spec.eosId(), spec.maskId(), spec.padId());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Tokenizers.fromSpec(noVocabulary)).getMessage().contains("no vocabulary"));
        TokenizerSpec wrongSize = new TokenizerSpec("bpe", spec.vocabSize() + 1, spec.eosId(), spec.maskId(), spec.padId(), spec.vocabulary());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Tokenizers.fromSpec(wrongSize)).getMessage().contains("does not match"));
    }

    @Test
    void badSizesAreClearErrors() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BpeTrainer.train("text", 259)).getMessage().contains("260"));
        for (String name : new String[] {"bpe:", "bpe:12", "bpe:x", "bpe:70000"}) {
            String msg = assertThrows(IllegalArgumentException.class, () -> Tokenizers.learnedSize(name)).getMessage();
            assertTrue(msg.contains("bpe:4096") && msg.contains(name), msg);
        }
        assertEquals(4096, Tokenizers.learnedSize("bpe:4096"));
    }

    private static List<String> merges(BpeTokenizer t) {
        return BpeTrainer.merges(t.tokenizerJson());
    }

    /** A byte string held as ISO-8859-1 chars, in the byte-level alphabet. */
    private static String byteLevel(String isoBytes) {
        byte[] b = isoBytes.getBytes(StandardCharsets.ISO_8859_1);
        return ByteLevelAlphabet.encode(b, 0, b.length);
    }
}
