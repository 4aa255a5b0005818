package jdlm.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import jdlm.tokenizer.ByteTokenizer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SequenceSamplerTest {
    private static final int L = 8;
    @TempDir Path dir;
    private TokenFile tokens;

    @BeforeEach
    void makeTokens() throws IOException {
        // 203 distinct-looking bytes: window w starts with byte value (w·8 mod 200)+32 etc.
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 203; i++) sb.append((char) (32 + i % 90));
        Path text = dir.resolve("c.txt");
        Files.writeString(text, sb);
        TokenFile.write(Corpus.open(text, false), new ByteTokenizer(), dir.resolve("c.tok"));
        tokens = TokenFile.open(dir.resolve("c.tok"));
    }

    @AfterEach
    void close() {
        tokens.close();
    }

    private SequenceSampler sampler(long seed) {
        return new SequenceSampler(tokens, DataSplit.all(tokens.size()).train(), L, seed, true);
    }

    private static int[] batch(SequenceSampler s, int b) {
        int[] out = new int[b * L];
        s.nextBatch(out, b);
        return out;
    }

    @Test
    void sameSeedSameBatchesOtherSeedOtherOrder() {
        SequenceSampler a = sampler(1), b = sampler(1), c = sampler(2);
        boolean differs = false;
        for (int i = 0; i < 20; i++) {
            int[] x = batch(a, 4);
            assertArrayEquals(x, batch(b, 4));
            differs |= !Arrays.equals(x, batch(c, 4));
        }
        assertTrue(differs);
    }

    @Test
    void everyEpochVisitsEachWindowOnceInANewOrder() {
        SequenceSampler s = sampler(5);
        int w = s.windows();
        assertEquals(203 / L, w);
        int[] first = new int[w], second = new int[w];
        for (int k = 0; k < w; k++) {
            first[k] = s.windowOf(k);
            second[k] = s.windowOf(w + k);
        }
        assertEquals(w, Arrays.stream(first).distinct().count());
        assertArrayEquals(Arrays.stream(first).sorted().toArray(), Arrays.stream(second).sorted().toArray());
        assertFalse(Arrays.equals(first, second), "epochs are shuffled differently");
    }

    @Test
    void windowsHoldTheTokensAtTheirIndexRange() {
        SequenceSampler s = sampler(3);
        int[] out = batch(s, 1);
        TokenRange r = s.window(s.windowOf(0));
        for (int i = 0; i < L; i++) assertEquals(tokens.get(r.start() + i), out[i]);
    }

    @Test
    void indexedFillEqualsSequentialBatches() {
        SequenceSampler seq = sampler(9), idx = sampler(9);
        int[] out = new int[3 * L];
        for (int i = 0; i < 15; i++) { // 45 sequences: crosses epoch boundaries (25 windows)
            int[] expected = batch(seq, 3);
            idx.fill(i, out, 3, L);
            assertArrayEquals(expected, out, "batch " + i);
        }
    }

    @Test
    void restoredStateReproducesTheFollowingBatches() {
        SequenceSampler run = sampler(42);
        for (int i = 0; i < 9; i++) batch(run, 4); // 36 sequences: mid second epoch
        SequenceSampler.State saved = run.state();
        assertEquals(new SequenceSampler.State(1, 36 - 25), saved);
        int[][] expected = new int[12][];
        for (int i = 0; i < 12; i++) expected[i] = batch(run, 4);

        SequenceSampler resumed = sampler(42);
        resumed.restore(saved);
        for (int i = 0; i < 12; i++) assertArrayEquals(expected[i], batch(resumed, 4), "batch " + i);
        assertThrows(IllegalArgumentException.class, () -> resumed.restore(new SequenceSampler.State(0, 25)));
    }

    @Test
    void trainAndValidationWindowsNeverShareATokenIndex() {
        DataSplit split = DataSplit.lastFraction(tokens.size(), L, 0.2);
        assertEquals(new TokenRange(0, 160), split.train());       // 25 windows: 20 train, 5 validation
        assertEquals(new TokenRange(160, 200), split.validation());
        SequenceSampler train = new SequenceSampler(tokens, split.train(), L, 1, true);
        SequenceSampler val = new SequenceSampler(tokens, split.validation(), L, 1, false);
        Set<Long> trainIdx = new HashSet<>();
        for (int w = 0; w < train.windows(); w++) {
            TokenRange r = train.window(w);
            assertFalse(r.overlaps(split.validation()));
            for (long i = r.start(); i < r.end(); i++) trainIdx.add(i);
        }
        for (int w = 0; w < val.windows(); w++) {
            TokenRange r = val.window(w);
            for (long i = r.start(); i < r.end(); i++) assertFalse(trainIdx.contains(i), "index " + i);
        }
        // Validation order is the file order, batch after batch.
        int[] out = new int[L];
        val.fill(1, out, 1, L);
        for (int i = 0; i < L; i++) assertEquals(tokens.get(168 + i), out[i]);
    }

    @Test
    void impossibleSplitsAndShortRangesAreClearErrors() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DataSplit.lastFraction(12, L, 0.5));
        assertTrue(e.getMessage().contains("too few to hold out"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new SequenceSampler(tokens, new TokenRange(0, 5), L, 0, true));
        assertTrue(e.getMessage().contains("fewer than one sequence of 8"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DataSplit.lastFraction(100, L, 1.0));
        assertEquals(null, DataSplit.lastFraction(100, L, 0).validation());
    }
}
