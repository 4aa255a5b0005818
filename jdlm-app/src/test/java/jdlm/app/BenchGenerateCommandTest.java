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
}
