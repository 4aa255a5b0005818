package jdlm.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import jdlm.format.FormatException;
import jdlm.format.safetensors.DType;
import jdlm.format.safetensors.SafetensorsWriter;
import jdlm.model.ModelConfig;
import jdlm.model.Transformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
    @TempDir Path dir;
    private static final ModelConfig C = ModelConfig.of(2, 16, 2, 24, 30, 32, ModelConfig.AttentionMode.CAUSAL);

    @Test
    void saveThenLoadRestoresEverythingBitForBit() throws IOException {
        float[] p = Transformer.initialized(C, 5).parameters();
        float[] m = p.clone(), v = p.clone(), ema = p.clone();
        for (int i = 0; i < p.length; i++) {
            m[i] *= 0.5f;
            v[i] *= v[i];
            ema[i] += 1;
        }
        Path f = dir.resolve("ckpt.safetensors");
        new Checkpoint(C, p, "{\"type\":\"bytes\"}", "{\"step\":7}", m, v, ema).save(f, DType.F32);
        Checkpoint back = Checkpoint.load(f);
        assertEquals(C, back.config());
        assertArrayEquals(p, back.parameters(), 0f);
        assertArrayEquals(m, back.adamM(), 0f);
        assertArrayEquals(v, back.adamV(), 0f);
        assertArrayEquals(ema, back.ema(), 0f);
        assertEquals("{\"step\":7}", back.training());
        assertEquals("{\"type\":\"bytes\"}", back.tokenizer());
        try (var s = Files.list(dir)) {
            assertEquals(1, s.count(), "no temporary file is left behind");
        }
    }

    @Test
    void weightsOnlyBf16CheckpointLoadsWithinBf16Precision() throws IOException {
        float[] p = Transformer.initialized(C, 6).parameters();
        Path f = dir.resolve("w.safetensors");
        new Checkpoint(C, p, null, null, null, null, null).save(f, DType.BF16);
        Checkpoint back = Checkpoint.load(f);
        assertNull(back.adamM());
        for (int i = 0; i < p.length; i++) assertEquals(p[i], back.parameters()[i], Math.abs(p[i]) * 0x1p-8);
        assertTrue(Files.size(f) < p.length * 2L + 10_000);
    }

    @Test
    void aSafetensorsFileThatIsNotACheckpointIsRejected() throws IOException {
        Path f = dir.resolve("other.safetensors");
        new SafetensorsWriter().add("x", DType.F32, new long[] {1}, new float[1], 0).write(f);
        FormatException e = assertThrows(FormatException.class, () -> Checkpoint.load(f));
        assertTrue(e.getMessage().contains("jdlm checkpoint"), e.getMessage());
    }
}
