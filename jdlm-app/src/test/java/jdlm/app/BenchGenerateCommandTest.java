package jdlm.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmark's plumbing on tiny models (its numbers are not checked: timings are never asserted). */
class BenchGenerateCommandTest {
    @TempDir Path dir;

    @Test
    @SuppressWarnings("unchecked")
    void comparesDiffusionSettingsWithTheArTwinAndDrawsThePlot() {
        Path plot = dir.resolve("plot.svg");
        CommandRun r = CommandRun.of("bench", "generate", "--masked", TinyRuns.masked().toString(), "--ar", TinyRuns.causal().toString(),
                "--data", TinyRuns.text().toString(), "--length", "16", "--block", "8", "--prompts", "2", "--prompt-tokens", "4",
                "--plot", plot.toString(), "--json");
        Map<String, Object> j = r.json();
        List<Object> rows = (List<Object>) j.get("rows");
        Map<String, Object> ar = (Map<String, Object>) rows.get(0);
        assertEquals("AR + KV cache", ar.get("name"));
        assertEquals(1.0, ((Number) ar.get("vs_ar_speed")).doubleValue(), 1e-12);
        assertTrue(rows.size() >= 8, "K = n, n/2, n/4, n/8 with and without blocks, threshold, ancestral: " + rows.size());
        for (Object o : rows) {
            Map<String, Object> row = (Map<String, Object>) o;
            double ppl = ((Number) row.get("gen_perplexity")).doubleValue();
            assertTrue(ppl >= 1 && Double.isFinite(ppl), row.toString());
        }
        Map<String, Object> k2 = (Map<String, Object>) rows.stream().filter(o -> ((Map<String, Object>) o).get("name").equals("diffusion K=2")).findFirst().orElseThrow();
        assertEquals(2.0, ((Number) k2.get("forward_passes")).doubleValue(), "K = n/8 = 2 steps, one forward pass each");
        assertTrue(Files.exists(plot));
    }

    /**
     * A block-diffusion model is benchmarked in its own blocks with its KV cache: K = 16 steps over
     * two blocks of 8 take one pass per step (the finished block is recomputed inside the next block's
     * first pass, not in a pass of its own).
     */
    @Test
    @SuppressWarnings("unchecked")
    void blockModelRowsUseItsBlocksAndKvCache() {
        Path bd3 = dir.resolve("bd3");
        CommandRun t = CommandRun.of("train", "--data", TinyRuns.text().toString(), "--out", bd3.toString(), "--objective", "bd3",
                "--block-size", "8", "--init-from", TinyRuns.masked().toString(), "--seq", "32", "--batch", "2", "--steps", "1", "--eval-every", "0");
        assertEquals(0, t.exit(), t.err());
        CommandRun r = CommandRun.of("bench", "generate", "--masked", bd3.toString(), "--ar", TinyRuns.causal().toString(),
                "--data", TinyRuns.text().toString(), "--length", "16", "--prompts", "1", "--prompt-tokens", "8",
                "--plot", dir.resolve("p.svg").toString(), "--json");
        assertEquals(0, r.exit(), r.err());
        List<Object> rows = (List<Object>) r.json().get("rows");
        Map<String, Object> k16 = (Map<String, Object>) rows.stream()
                .filter(o -> ((Map<String, Object>) o).get("name").equals("block diffusion K=16, blocks of 8, KV cache")).findFirst().orElseThrow();
        assertEquals(16.0, ((Number) k16.get("forward_passes")).doubleValue());
        assertTrue(rows.stream().noneMatch(o -> ((Map<String, Object>) o).get("name").toString().contains("ancestral")), rows.toString());
    }
}
