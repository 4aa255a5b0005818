package jdlm.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import jdlm.model.ModelConfig;
import org.junit.jupiter.api.Test;

/** The benchmark's plumbing on the smallest LLaDA-shaped model (its timings are not checked). */
class BenchDenoiseCommandTest {

    @Test
    void configFollowsLladaProportionsAndCountsItsParameters() {
        ModelConfig c = BenchDenoiseCommand.config(1_000_000_000L, 256);
        assertEquals(128, c.headDim());
        assertEquals(3 * c.dim(), c.hiddenDim());
        assertEquals(c.dim() / 128, c.layers());
        long d = c.dim(), v = c.vocabSize();
        // embedding + output, per layer 4d² attention + 3·d·3d SwiGLU + two gains, and the output gain
        assertEquals(2 * v * d + c.layers() * (13 * d * d + 2 * d) + d, BenchDenoiseCommand.paramCount(c));
        assertTrue(Math.abs(BenchDenoiseCommand.paramCount(c) - 1e9) < 0.1e9, "about 1 B: " + BenchDenoiseCommand.paramCount(c));
    }

    @Test
    @SuppressWarnings("unchecked")
    void timesEveryAskedType() {
        Map<String, Object> j = CommandRun.of("bench", "denoise", "--params", "10M", "--types", "q8_0,bf16", "--canvas", "8",
                "--repeats", "1", "--json").json();
        List<Object> rows = (List<Object>) j.get("rows");
        assertEquals(2, rows.size());
        Map<String, Object> q8 = (Map<String, Object>) rows.get(0);
        assertEquals("Q8_0", q8.get("type"));
        assertTrue(((Number) q8.get("seconds_per_step")).doubleValue() > 0);
        CommandRun bad = CommandRun.of("bench", "denoise", "--types", "q5_k");
        assertEquals(2, bad.exit());
        assertTrue(bad.err().contains("--types: unknown type 'q5_k'"), bad.err());
    }
}
