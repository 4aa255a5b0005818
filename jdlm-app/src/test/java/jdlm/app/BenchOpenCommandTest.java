package jdlm.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmark's plumbing on a small file (its timings are not checked). */
class BenchOpenCommandTest {
    @TempDir Path dir;

    @Test
    void writesMeasuresAndDeletesAFileOfAboutTheAskedSize() throws IOException {
        long target = 24L << 20;
        Map<String, Object> j = CommandRun.of("bench", "open", "--size", "24M", "--dir", dir.toString(), "--json").json();
        long bytes = ((Number) j.get("file_bytes")).longValue();
        assertTrue(bytes > 0.8 * target && bytes < 1.2 * target, "file of " + bytes + " bytes for a 24M target");
        long dim = (Long) j.get("dim");
        assertEquals(dim * 3 * dim / 32 * 34, j.get("tensor_bytes"), "ffn_down is [dim, 3·dim] in Q8_0");
        assertTrue((Long) j.get("rss_after_open") > 0);
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(0, left.count(), "the generated file is deleted");
        }
    }

    @Test
    void layoutIsTheWidestThatFitsWithAsManyLayersAsFit() {
        long target = 3L << 30;
        BenchOpenCommand.Layout l = BenchOpenCommand.layout(target);
        assertEquals(4096, l.dim());
        assertTrue(l.bytes() <= target && new BenchOpenCommand.Layout(l.dim(), l.layers() + 1).bytes() > target, l.toString());
        assertEquals(3L << 30, BenchOpenCommand.parseSize("3G"));
        assertEquals(1536L << 20, BenchOpenCommand.parseSize("1.5g"));
        assertThrows(IllegalArgumentException.class, () -> BenchOpenCommand.parseSize("big"));
        assertThrows(IllegalArgumentException.class, () -> BenchOpenCommand.layout(1000));
    }
}
