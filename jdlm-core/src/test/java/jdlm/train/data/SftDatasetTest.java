package jdlm.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import jdlm.tokenizer.ByteTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SftDatasetTest {
    @TempDir Path dir;
    private final ByteTokenizer tok = new ByteTokenizer();

    @Test
    void rowsArePromptResponseThenEosPaddingWithPromptLengths() throws IOException {
        Path f = dir.resolve("sft.jsonl");
        Files.writeString(f, "{\"prompt\":\"Q:\",\"response\":\"ab\"}\n\n{\"prompt\":\"x\",\"response\":\"0123456789\"}\n");
        SftDataset d = SftDataset.read(f, tok, 6, 1, false);
        assertEquals(2, d.size());
        assertEquals(1, d.truncated(), "the second response is cut to fit");
        int[] out = new int[12], prompts = new int[2];
        d.fill(0, out, prompts, 2, 6);
        int E = ByteTokenizer.EOS;
        assertArrayEquals(new int[] {'Q', ':', 'a', 'b', E, E, 'x', '0', '1', '2', '3', '4'}, out);
        assertArrayEquals(new int[] {2, 1}, prompts);
    }

    @Test
    void badLinesAreRejectedNamingTheLine() throws IOException {
        Path f = dir.resolve("bad.jsonl");
        Files.writeString(f, "{\"prompt\":\"a\",\"response\":\"b\"}\n{\"prompt\":\"a\"}\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SftDataset.read(f, tok, 8, 1, false));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
        Files.writeString(f, "{\"prompt\":\"a long prompt\",\"response\":\"b\"}\n");
        e = assertThrows(IllegalArgumentException.class, () -> SftDataset.read(f, tok, 8, 1, false));
        assertTrue(e.getMessage().contains("no room for an answer"), e.getMessage());
        Files.writeString(f, "not json\n");
        e = assertThrows(IllegalArgumentException.class, () -> SftDataset.read(f, tok, 8, 1, false));
        assertTrue(e.getMessage().contains("line 1"), e.getMessage());
    }
}
