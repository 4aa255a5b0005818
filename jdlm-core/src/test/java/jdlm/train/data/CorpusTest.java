package jdlm.train.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusTest {
    @TempDir Path dir;

    @Test
    void directoryFilesAreFoundRecursivelySortedAndHiddenOnesSkipped() throws IOException {
        Files.createDirectories(dir.resolve("b/sub"));
        Files.createDirectories(dir.resolve(".git"));
        Files.writeString(dir.resolve("b/sub/z.txt"), "z");
        Files.writeString(dir.resolve("b/a.txt"), "a");
        Files.writeString(dir.resolve("c.md"), "c");
        Files.writeString(dir.resolve(".hidden.txt"), "h");
        Files.writeString(dir.resolve(".git/config"), "g");
        Corpus c = Corpus.open(dir, false);
        assertEquals(List.of(dir.resolve("b/a.txt"), dir.resolve("b/sub/z.txt"), dir.resolve("c.md")), c.files());
        assertEquals("z", c.read(1));
    }

    @Test
    void malformedUtf8IsAnErrorNamingFileAndByteOffset() throws IOException {
        Path f = dir.resolve("bad.txt");
        byte[] good = "héllo ".getBytes(StandardCharsets.UTF_8); // 7 bytes
        byte[] bytes = new byte[good.length + 3];
        System.arraycopy(good, 0, bytes, 0, good.length);
        bytes[7] = (byte) 0xff;
        bytes[8] = 'o';
        bytes[9] = 'k';
        Files.write(f, bytes);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Corpus.open(f, false).read(0));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("at byte offset 7 (0xFF)"), e.getMessage());
    }

    @Test
    void replaceModeSubstitutesReplacementCharacter() throws IOException {
        Path f = dir.resolve("bad.txt");
        Files.write(f, new byte[] {'a', (byte) 0xc3, 'b', (byte) 0x80});
        assertEquals("a\uFFFDb\uFFFD", Corpus.open(f, true).read(0));
    }

    @Test
    void byteOrderMarkIsDropped() throws IOException {
        Path f = dir.resolve("bom.txt");
        Files.write(f, new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf, 'h', 'i'});
        assertEquals("hi", Corpus.open(f, false).read(0));
    }

    @Test
    void missingPathAndEmptyDirectoryAreClearErrors() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Corpus.open(dir.resolve("nope"), false));
        assertTrue(e.getMessage().contains("does not exist; give a UTF-8 text file or a directory"), e.getMessage());
        Files.createDirectories(dir.resolve("empty/.cache"));
        Files.writeString(dir.resolve("empty/.cache/x"), "hidden only");
        e = assertThrows(IllegalArgumentException.class, () -> Corpus.open(dir.resolve("empty"), false));
        assertTrue(e.getMessage().contains("contains no files"), e.getMessage());
    }
}
