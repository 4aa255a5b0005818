package jdlm.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import jdlm.train.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConvertCommandTest {
    @TempDir Path dir;

    @Test
    void bf16CopyKeepsTheModelWithinBf16PrecisionDropsOptimizerStateAndStillGenerates() throws Exception {
        Path run = TinyRuns.masked();
        Path out = dir.resolve("small");
        CommandRun r = CommandRun.of("convert", run.toString(), out.toString(), "--type", "bf16");
        assertEquals(0, r.exit(), r.err());
        Checkpoint original = Checkpoint.load(run.resolve(Checkpoint.FILE_NAME));
        Checkpoint copy = Checkpoint.load(out.resolve(Checkpoint.FILE_NAME));
        assertEquals(original.config(), copy.config());
        assertEquals(original.tokenizer(), copy.tokenizer());
        assertNull(copy.adamM(), "optimizer state is dropped");
        for (int i = 0; i < copy.parameters().length; i++) {
            float want = original.parameters()[i];
            assertEquals(want, copy.parameters()[i], Math.abs(want) * 0x1p-8, "parameter " + i);
        }
        assertTrue(Files.size(out.resolve(Checkpoint.FILE_NAME)) * 5 < Files.size(run.resolve(Checkpoint.FILE_NAME)));
        assertEquals(0, CommandRun.of("generate", "--model", out.toString(), "--prompt", "the", "--length", "8", "--steps", "4").exit());
    }

    @Test
    void unknownTypeIsAnErrorNamingTheOption() {
        CommandRun r = CommandRun.of("convert", TinyRuns.masked().toString(), dir.resolve("x").toString(), "--type", "q3");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--type q3"), r.err());
    }
}
