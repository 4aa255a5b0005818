package jdlm.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ByteTokenizerTest {
    private final ByteTokenizer tok = new ByteTokenizer();

    @Test
    void idsAreTheUtf8BytesAndRoundTripRandomUnicode() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int trial = 0; trial < 500; trial++) {
            String s = RandomText.of(rnd, 40);
            int[] ids = tok.encode(s);
            byte[] expected = s.getBytes(StandardCharsets.UTF_8);
            assertEquals(expected.length, ids.length);
            for (int i = 0; i < ids.length; i++) {
                assertEquals(expected[i] & 0xff, ids[i]);
                assertTrue(ids[i] < 256, "encode never yields a special id");
            }
            assertEquals(s, tok.decode(ids));
        }
    }

    @Test
    void specialIdsAndVocabulary() {
        assertEquals(259, tok.vocabSize());
        assertEquals(256, tok.eosId());
        assertEquals(257, tok.maskId());
        assertEquals(258, tok.padId());
        // Marker text is ordinary text for encode, special ids only through encodeWithSpecials.
        assertEquals("<|mask|>".length(), tok.encode("<|mask|>").length);
        assertArrayEquals(new int[] {'a', 257, 'b', 256, 258}, tok.encodeWithSpecials("a<|mask|>b<|endoftext|><|pad|>"));
    }

    @Test
    void decodeSkipsSpecialsAndDecodeWithSpecialsShowsMarkers() {
        int[] ids = {'h', 'i', 257, 256, '!', 258};
        assertEquals("hi!", tok.decode(ids));
        assertEquals("hi<|mask|><|endoftext|>!<|pad|>", tok.decodeWithSpecials(ids));
        assertEquals("i<|mask|>", tok.decodeWithSpecials(ids, 1, 3));
        assertEquals("i", tok.decode(ids, 1, 3));
    }

    @Test
    void malformedBytesDecodeToReplacementCharacter() {
        assertEquals("a\uFFFDb", tok.decode(new int[] {'a', 0xff, 'b'}));
        // "é" is C3 A9; a mask between its bytes splits it into two malformed pieces.
        assertEquals("\uFFFD<|mask|>\uFFFD", tok.decodeWithSpecials(new int[] {0xc3, 257, 0xa9}));
        assertEquals("é", tok.decode(new int[] {0xc3, 257, 0xa9}), "decode drops the mask, bytes rejoin");
    }

    @Test
    void piecesShowTextMarkersOrHexBytes() {
        assertEquals("a", tok.piece('a'));
        assertEquals("<0xC3>", tok.piece(0xc3));
        assertEquals("<|mask|>", tok.piece(257));
        assertEquals(0, tok.tokenBytes(256).length);
    }

    @Test
    void idsOutsideTheVocabularyAreRefusedClearly() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tok.decode(new int[] {259}));
        assertEquals("token id 259 is outside the byte tokenizer's vocabulary [0, 259)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> tok.piece(-1));
    }
}
