package jdlm.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import jdlm.SharedData;
import org.junit.jupiter.api.Test;

class Gpt2TokenizerTest {
    private final Gpt2Tokenizer tok = new Gpt2Tokenizer();

    @Test
    void wellKnownGpt2Encodings() {
        // Published GPT-2 / r50k ids: "hello"=31373, " world"=995, "Hello"=15496, " the"=262.
        assertArrayEquals(new int[] {31373, 995}, tok.encode("hello world"));
        assertArrayEquals(new int[] {15496, 995}, tok.encode("Hello world"));
        assertArrayEquals(new int[] {262}, tok.encode(" the"));
        assertEquals(50259, tok.vocabSize());
        assertEquals("<|endoftext|>", tok.piece(50256));
    }

    @Test
    void matchesAnIndependentReferenceBpe() throws IOException {
        ReferenceBpe ref = ReferenceBpe.r50k();
        assertEquals(50256, ref.size(), "r50k has 50256 ordinary tokens");
        StringBuilder text = new StringBuilder(
                "It is a truth universally acknowledged, that a single man in possession of a good fortune,"
                        + " must be in want of a wife.\n\n  Numbers 12345 and 3.14; don't we'll I'd they're?"
                        + " naïve café — “quotes” 日本語 😀👍🏽 tabs\tand   spaces \n\n\n");
        Path austen = SharedData.file("austen_train.txt");
        if (austen != null) {
            byte[] all = Files.readAllBytes(austen);
            text.append(new String(all, 200_000, 20_000, StandardCharsets.UTF_8));
        }
        String s = text.toString();
        List<Integer> expected = ref.encode(s);
        int[] actual = tok.encode(s);
        assertEquals(expected, Arrays.stream(actual).boxed().toList());
    }

    @Test
    void roundTripsRandomUnicodeAndNeverEmitsSpecials() {
        SplittableRandom rnd = new SplittableRandom(11);
        for (int trial = 0; trial < 300; trial++) {
            String s = RandomText.of(rnd, 30);
            int[] ids = tok.encode(s);
            for (int id : ids) assertTrue(id >= 0 && id < 50256, "ordinary id, got " + id);
            assertEquals(s, tok.decode(ids));
        }
    }

    @Test
    void specialMarkersInTextAreOrdinaryUnlessAskedFor() {
        int[] plain = tok.encode("a<|endoftext|>b");
        assertTrue(Arrays.stream(plain).noneMatch(id -> id >= 50256), Arrays.toString(plain));
        assertEquals("a<|endoftext|>b", tok.decode(plain));
        int[] special = tok.encodeWithSpecials("a<|endoftext|>b<|mask|>");
        assertArrayEquals(new int[] {64, 50256, 65, 50257}, special); // "a"=64, "b"=65
    }

    @Test
    void specialIdsDecodeWithoutExceptions() {
        int[] ids = {31373, 50257, 50256, 995, 50258};
        assertEquals("hello world", tok.decode(ids));
        assertEquals("hello<|mask|><|endoftext|> world<|pad|>", tok.decodeWithSpecials(ids));
        assertEquals("<|mask|>", tok.piece(50257));
        assertEquals(" world", tok.piece(995));
    }
}
