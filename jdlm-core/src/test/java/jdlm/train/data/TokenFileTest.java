package jdlm.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import jdlm.SharedData;
import jdlm.tokenizer.ByteTokenizer;
import jdlm.tokenizer.Gpt2Tokenizer;
import jdlm.tokenizer.Tokenizer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenFileTest {
    @TempDir Path dir;

    private Path corpusOf(String... docs) throws IOException {
        Path c = dir.resolve("corpus");
        Files.createDirectories(c);
        for (int i = 0; i < docs.length; i++) Files.writeString(c.resolve("doc" + i + ".txt"), docs[i]);
        return c;
    }

    @Test
    void documentsAreJoinedWithEosAndReadBackThroughTheMapping() throws IOException {
        Tokenizer tok = new ByteTokenizer();
        Path out = dir.resolve("t.tok");
        TokenFile.write(Corpus.open(corpusOf("ab", "", "cé"), false), tok, out);
        assertFalse(Files.exists(dir.resolve("t.tok.tmp")), "temporary file renamed away");
        try (TokenFile f = TokenFile.open(out)) {
            int[] expected = {'a', 'b', 256, 'c', 0xc3, 0xa9}; // the empty document is skipped
            assertEquals(expected.length, f.size());
            assertEquals(2, f.documents());
            assertEquals(tok.spec(), f.tokenizer());
            int[] got = new int[6];
            f.read(0, got, 0, 6);
            assertArrayEquals(expected, got);
            assertEquals(256, f.get(2));
            int specBytes = tok.spec().toJson().length();
            assertEquals(128, TokenFile.dataOffset(specBytes), "40 + spec bytes, rounded up to 64");
            assertEquals(128 + 6 * 2, Files.size(out), "uint16 tokens after the header");
        }
    }

    @Test
    void gpt2TokensRoundTripThroughTheFile() throws IOException {
        Tokenizer tok = new Gpt2Tokenizer();
        Path out = dir.resolve("g.tok");
        TokenFile.write(Corpus.open(corpusOf("hello world", "Hello world"), false), tok, out);
        try (TokenFile f = TokenFile.open(out)) {
            int[] got = new int[(int) f.size()];
            f.read(0, got, 0, got.length);
            assertArrayEquals(new int[] {31373, 995, 50256, 15496, 995}, got);
        }
    }

    @Test
    void corpusWithoutTextIsRefused() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TokenFile.write(Corpus.open(corpusOf("", ""), false), new ByteTokenizer(), dir.resolve("e.tok")));
        assertTrue(e.getMessage().contains("has no text: all 2 file(s) are empty"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("e.tok")) || Files.exists(dir.resolve("e.tok.tmp")));
    }

    @Test
    void truncatedOrCorruptedHeadersAreRejectedClearly() throws IOException {
        Path good = dir.resolve("good.tok");
        TokenFile.write(Corpus.open(corpusOf("some text here", "more"), false), new ByteTokenizer(), good);
        byte[] bytes = Files.readAllBytes(good);

        assertRejected(Arrays.copyOf(bytes, 20), "shorter than the 40-byte header");
        assertRejected(Arrays.copyOf(bytes, bytes.length - 1), "truncated or corrupt");
        byte[] magic = bytes.clone();
        magic[0] = 'X';
        assertRejected(magic, "magic at offset 0");
        assertRejected(withInt(bytes, 8, 9), "version at offset 8 is 9");
        assertRejected(withInt(bytes, 12, 3), "bytes per token at offset 12 is 3");
        assertRejected(withInt(bytes, 16, 70000), "vocabulary size at offset 16 is 70000");
        assertRejected(withInt(bytes, 20, 1 << 30), "tokenizer spec length at offset 20");
        assertRejected(withLong(bytes, 24, Long.MAX_VALUE / 2), "token count at offset 24");
        byte[] spec = bytes.clone();
        spec[41] = '!'; // inside the JSON
        assertRejected(spec, "tokenizer spec at offset 40");
    }

    @Test
    void outOfVocabularyTokenIsReportedNotReturned() throws IOException {
        Path good = dir.resolve("good.tok");
        TokenFile.write(Corpus.open(corpusOf("abc"), false), new ByteTokenizer(), good);
        byte[] bytes = Files.readAllBytes(good);
        int data = (int) TokenFile.dataOffset(new ByteTokenizer().spec().toJson().length());
        bytes[data] = (byte) 0xff;
        bytes[data + 1] = (byte) 0xff; // token 0 = 65535 ≥ 259
        Path bad = dir.resolve("bad.tok");
        Files.write(bad, bytes);
        try (TokenFile f = TokenFile.open(bad)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> f.read(0, new int[3], 0, 3));
            assertTrue(e.getMessage().contains("token 0 is 65535"), e.getMessage());
        }
    }

    @Test
    void austenSliceTokenStreamMatchesItsText() throws IOException {
        Path austen = SharedData.file("austen_train.txt");
        Assumptions.assumeTrue(austen != null, "shared corpus not present");
        byte[] slice = Arrays.copyOf(Files.readAllBytes(austen), 100_000); // ASCII text: any cut is valid UTF-8
        Path text = dir.resolve("austen.txt");
        Files.write(text, slice);
        Tokenizer tok = new Gpt2Tokenizer();
        Path out = dir.resolve("austen.tok");
        TokenFile.write(Corpus.open(text, false), tok, out);
        try (TokenFile f = TokenFile.open(out)) {
            int[] ids = new int[(int) f.size()];
            f.read(0, ids, 0, ids.length);
            assertTrue(ids.length > 15_000 && ids.length < 40_000, "about 4 bytes per GPT-2 token: " + ids.length);
            assertEquals(new String(slice, java.nio.charset.StandardCharsets.UTF_8), tok.decode(ids));
        }
    }

    private void assertRejected(byte[] content, String expectedPart) throws IOException {
        Path p = dir.resolve("bad.tok");
        Files.write(p, content);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TokenFile.open(p).close());
        assertTrue(e.getMessage().contains(expectedPart) && e.getMessage().contains(p.toString()), e.getMessage());
    }

    private static byte[] withInt(byte[] b, int at, int v) {
        byte[] c = b.clone();
        ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putInt(at, v);
        return c;
    }

    private static byte[] withLong(byte[] b, int at, long v) {
        byte[] c = b.clone();
        ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putLong(at, v);
        return c;
    }
}
