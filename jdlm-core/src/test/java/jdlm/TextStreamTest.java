package jdlm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import jdlm.sample.StepEvent;
import jdlm.tokenizer.ByteTokenizer;
import org.junit.jupiter.api.Test;

/** Hand-written canvases: which pieces of text a stream hands out, and when. */
class TextStreamTest {
    private static final int M = ByteTokenizer.MASK, E = ByteTokenizer.EOS;

    private static StepEvent step(boolean finished, int... canvas) {
        return new StepEvent(0, 0, 0, new int[0], new int[0], new int[0], canvas, 1, finished);
    }

    @Test
    void theCommittedPrefixComesOutAsItGrows() {
        List<String> pieces = new ArrayList<>();
        TextStream s = new TextStream(new ByteTokenizer(), 1, false, pieces::add);
        s.onStep(step(false, 'p', M, 'b', M, M, M));        // nothing committed at the start of the answer
        s.onStep(step(false, 'p', 'a', 'b', M, M, M));      // "ab"
        s.onStep(step(false, 'p', 'a', M, 'c', M, M));      // "a" (b remasked): no shorter text is sent
        s.onStep(step(false, 'p', 'a', 'x', 'c', M, M));    // "axc" does not extend "ab": held back
        s.onStep(step(false, 'p', 'a', 'b', 'c', 'd', M));  // "abcd"
        s.onStep(step(true, 'p', 'a', 'b', 'c', 'd', E));   // EOS ends the text
        assertEquals("abcd", s.finish(new int[] {'a', 'b', 'c', 'd'}));
        assertEquals(List.of("ab", "cd"), pieces);
    }

    @Test
    void anIncompleteCharacterWaitsForItsLastByte() {
        byte[] e = "é".getBytes(StandardCharsets.UTF_8); // two bytes
        List<String> pieces = new ArrayList<>();
        TextStream s = new TextStream(new ByteTokenizer(), 0, false, pieces::add);
        s.onStep(step(false, 'x', e[0] & 0xff, M));
        s.onStep(step(false, 'x', e[0] & 0xff, e[1] & 0xff));
        s.finish(new int[] {'x', e[0] & 0xff, e[1] & 0xff});
        assertEquals(List.of("xé"), pieces, "text ending in half a character is held back until the character is whole");
    }

    @Test
    void uniformDiffusionTextComesWholeAtTheEnd() {
        List<String> pieces = new ArrayList<>();
        TextStream s = new TextStream(new ByteTokenizer(), 0, true, pieces::add);
        s.onStep(step(false, 'a', 'b'));
        s.onStep(step(true, 'a', 'c'));
        s.finish(new int[] {'a', 'c'});
        assertEquals(List.of("ac"), pieces);
    }
}
