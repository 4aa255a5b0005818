package jdlm.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import jdlm.train.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model directory's sampling.json fills in what the command line leaves unset, and only that. */
class SuggestedSamplingTest {
    @TempDir Path dir;

    /** The tiny masked run's weights in a directory of their own, with this sampling.json. */
    private Path modelWith(String samplingJson) throws IOException {
        return modelWith(TinyRuns.masked(), samplingJson);
    }

    private Path modelWith(Path run, String samplingJson) throws IOException {
        for (String f : new String[] {Checkpoint.FILE_NAME, "config.json"}) Files.copy(run.resolve(f), dir.resolve(f));
        Files.writeString(dir.resolve(SuggestedSampling.FILE), samplingJson);
        return dir;
    }

    private static Map<?, ?> settings(CommandRun r) {
        return (Map<?, ?>) r.json().get("settings");
    }

    @Test
    void suggestionsApplyWhereTheCommandLineIsSilent() throws IOException {
        Path m = modelWith("{\"block\": 8, \"temperature\": 0.5, \"top_p\": 0.9, \"policy\": \"margin\"}");
        CommandRun r = CommandRun.of("generate", "--model", m.toString(), "--prompt", "the", "--length", "16", "--json");
        Map<?, ?> s = settings(r);
        assertEquals(8L, s.get("block"));
        assertEquals(0.5, s.get("temperature"));
        assertEquals(0.9, s.get("top_p"));
        assertEquals(0L, s.get("top_k"));
        assertEquals("margin", s.get("policy"));
        assertTrue(r.err().contains("--block 8 --policy margin --temperature 0.5 --top-p 0.9"), r.err());
    }

    @Test
    void aCausalModelTakesOnlyTheTokenSettings() throws IOException {
        Path m = modelWith(TinyRuns.causal(), "{\"block\": 8, \"policy\": \"margin\", \"temperature\": 0.5}");
        CommandRun r = CommandRun.of("generate", "--model", m.toString(), "--prompt", "the", "--length", "16", "--json");
        Map<?, ?> s = settings(r);
        assertEquals("autoregressive", s.get("sampler"));
        assertEquals(0.5, s.get("temperature"));
        assertTrue(r.err().contains("suggests: --temperature 0.5 (") && !r.err().contains("ignored"), r.err());
    }

    @Test
    void theCommandLineWins() throws IOException {
        Path m = modelWith("{\"block\": 8, \"temperature\": 0.5}");
        Map<?, ?> s = settings(CommandRun.of("generate", "--model", m.toString(), "--length", "16", "--block", "16",
                "--temperature", "0", "--json"));
        assertEquals(16L, s.get("block"));
        assertEquals(0.0, s.get("temperature"));
        assertEquals("confidence", s.get("policy"));
    }

    @Test
    void aBlockThatDoesNotDivideTheLengthIsLeftOut() throws IOException {
        Path m = modelWith("{\"block\": 8}");
        assertEquals(12L, settings(CommandRun.of("generate", "--model", m.toString(), "--length", "12", "--json")).get("block"));
        // nor one whose block count does not divide --steps: 16 / 8 = 2 blocks, 3 steps
        assertEquals(16L, settings(CommandRun.of("generate", "--model", m.toString(), "--length", "16", "--steps", "3", "--json")).get("block"));
        assertEquals(8L, settings(CommandRun.of("infill", "--model", m.toString(), "--prefix", "a", "--suffix", "b", "--length", "16",
                "--json")).get("block"));
    }

    @Test
    void withoutTheFileNothingChanges() throws IOException {
        Path m = modelWith("{}");
        Files.delete(m.resolve(SuggestedSampling.FILE));
        CommandRun r = CommandRun.of("generate", "--model", m.toString(), "--length", "16", "--json");
        Map<?, ?> s = settings(r);
        assertEquals(16L, s.get("block"));
        assertEquals(0.0, s.get("temperature"));
        assertEquals(1.0, s.get("top_p"));
        assertTrue(!r.err().contains("suggests"), r.err());
    }

    @Test
    void aBadFileIsRefusedNamingTheFileAndTheKey() throws IOException {
        for (String[] bad : new String[][] {{"{\"temprature\": 0.5}", "temprature"}, {"{\"top_p\": 1.5}", "top_p"},
                {"{\"block\": 0}", "block"}, {"{\"policy\": 3}", "policy"}, {"[1]", "JSON object"}}) {
            Path m = modelWith(bad[0]);
            CommandRun r = CommandRun.of("generate", "--model", m.toString(), "--length", "16");
            assertNotEquals(0, r.exit(), bad[0]);
            assertTrue(r.err().contains(SuggestedSampling.FILE) && r.err().contains(bad[1]), bad[0] + " → " + r.err());
            for (String f : new String[] {Checkpoint.FILE_NAME, "config.json", SuggestedSampling.FILE}) Files.delete(m.resolve(f));
        }
    }
}
