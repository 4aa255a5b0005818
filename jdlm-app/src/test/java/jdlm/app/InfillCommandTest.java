package jdlm.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class InfillCommandTest {

    @Test
    void prefixAndSuffixAreKeptExactlyAroundAMiddleOfTheRequestedLength() {
        for (String policy : List.of("confidence", "random", "threshold")) {
            Map<String, Object> j = CommandRun.of("infill", "--model", TinyRuns.masked().toString(), "--prefix", "the cat ",
                    "--suffix", " the mat.", "--length", "12", "--steps", "6", "--policy", policy, "--temperature", "1", "--json").json();
            String text = (String) j.get("text");
            assertEquals("the cat ", j.get("prefix"));
            assertEquals(" the mat.", j.get("suffix"));
            assertTrue(text.startsWith("the cat ") && text.endsWith(" the mat."), text);
            assertEquals(12, ((List<?>) j.get("tokens")).size(), policy);
            assertEquals(text, "the cat " + j.get("middle") + " the mat.");
        }
    }

    @Test
    void plainOutputIsPrefixMiddleSuffix() {
        CommandRun r = CommandRun.of("infill", "--model", TinyRuns.masked().toString(), "--prefix", "a dog ", "--suffix", " park.",
                "--length", "6");
        assertEquals(0, r.exit(), r.err());
        String line = r.out().strip();
        assertTrue(line.startsWith("a dog ") && line.endsWith(" park."), line);
    }

    @Test
    void aCausalModelCannotInfill() {
        CommandRun r = CommandRun.of("infill", "--model", TinyRuns.causal().toString(), "--prefix", "a", "--suffix", "b");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("is a causal (autoregressive) model; infilling needs a masked-diffusion model"), r.err());
    }
}
