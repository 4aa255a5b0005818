package jdlm.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerateCommandTest {
    @TempDir Path dir;

    private static CommandRun generate(String... options) {
        String[] args = new String[options.length + 3];
        args[0] = "generate";
        args[1] = "--model";
        args[2] = TinyRuns.masked().toString();
        System.arraycopy(options, 0, args, 3, options.length);
        return CommandRun.of(args);
    }

    @SuppressWarnings("unchecked")
    private static List<Long> tokens(Map<String, Object> json) {
        return (List<Long>) json.get("tokens");
    }

    @Test
    void jsonHasTextOfTheRequestedLengthMadeOfByteTokens() {
        Map<String, Object> j = generate("--prompt", "the cat", "--length", "24", "--steps", "12", "--no-eos-stop", "--json").json();
        List<Long> ids = tokens(j);
        assertEquals(24, ids.size());
        byte[] bytes = new byte[ids.size()];
        for (int i = 0; i < bytes.length; i++) {
            long t = ids.get(i);
            assertTrue(t >= 0 && t < 256, "token " + t + " is not a byte (EOS, MASK and PAD must not appear)");
            bytes[i] = (byte) t;
        }
        assertEquals(new String(bytes, StandardCharsets.UTF_8), j.get("text"));
        assertEquals("the cat", j.get("prompt"));
        assertEquals(12L, j.get("steps"));
        assertEquals(12L, j.get("forward_passes"));
        Map<?, ?> settings = (Map<?, ?>) j.get("settings");
        assertEquals("diffusion", settings.get("sampler"));
        assertEquals("confidence", settings.get("policy"));
        assertEquals(24L, settings.get("block"));
    }

    @Test
    void greedyOutputIsIdenticalAcrossRuns() {
        String[] opts = {"--prompt", "a dog", "--length", "16", "--block", "8", "--steps", "8", "--json"};
        assertEquals(tokens(generate(opts).json()), tokens(generate(opts).json()));
    }

    @Test
    void aFixedSeedReproducesSampledOutputAndAnotherSeedChangesIt() {
        String[] seven = {"--length", "24", "--temperature", "1", "--seed", "7", "--no-eos-stop", "--json"};
        String[] eight = {"--length", "24", "--temperature", "1", "--seed", "8", "--no-eos-stop", "--json"};
        List<Long> a = tokens(generate(seven).json());
        assertEquals(a, tokens(generate(seven).json()));
        // a 3-step model is nearly uniform over 259 tokens: 24 equal draws by chance are out of the question
        assertNotEquals(a, tokens(generate(eight).json()));
    }

    @Test
    void everyPolicyRunsFromTheCommandLine() {
        for (String policy : List.of("margin", "entropy", "random", "ancestral", "threshold", "factor")) {
            CommandRun r = generate("--length", "8", "--steps", "4", "--policy", policy, "--json");
            assertEquals(0, r.exit(), policy + ": " + r.err());
            assertEquals(policy, ((Map<?, ?>) r.json().get("settings")).get("policy"));
        }
    }

    @Test
    void plainOutputIsThePromptFollowedByTheAnswer() {
        CommandRun r = generate("--prompt", "she said", "--length", "8", "--no-eos-stop");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("she said"), r.out());
    }

    @Test
    void showStepsPrintsSnapshotsWithMasksWhenNotOnATerminal() {
        CommandRun r = generate("--prompt", "the", "--length", "16", "--show-steps", "--no-eos-stop");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("--- start\nthe" + "_".repeat(16)), r.out());
        assertTrue(r.out().contains("--- step "), r.out());
    }

    @Test
    void causalModelSamplesAutoregressivelyAndSaysWhichOptionsItIgnores() {
        CommandRun r = CommandRun.of("generate", "--model", TinyRuns.causal().toString(), "--prompt", "the", "--length", "10",
                "--steps", "5", "--policy", "margin", "--no-eos-stop", "--json");
        Map<String, Object> j = r.json();
        assertEquals("autoregressive", ((Map<?, ?>) j.get("settings")).get("sampler"));
        assertEquals(10, tokens(j).size());
        assertTrue(r.err().contains("--steps --policy ignored"), r.err());
    }

    @Test
    void stepsNotDivisibleByTheBlocksIsAnErrorNamingSteps() {
        CommandRun r = generate("--length", "16", "--block", "4", "--steps", "6");
        assertEquals(2, r.exit());
        assertTrue(r.err().startsWith("jdlm generate: --steps 6 is not divisible"), r.err());
    }

    @Test
    void thresholdOutsideZeroOneIsAnErrorNamingThreshold() {
        for (String tau : List.of("0", "1.5", "-0.2")) {
            CommandRun r = generate("--policy", "threshold", "--threshold", tau, "--length", "8");
            assertEquals(2, r.exit(), tau);
            assertTrue(r.err().contains("--threshold must be in (0, 1]"), r.err());
        }
    }

    @Test
    void promptPlusLengthOverTheContextIsAnErrorNamingBoth() {
        CommandRun r = generate("--prompt", "x".repeat(60), "--length", "8");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--prompt (60 tokens) plus --length 8 needs 68 positions"), r.err());
    }

    @Test
    @SuppressWarnings("unchecked")
    void blockCacheTakesDualOrPrefix() {
        String[] base = {"--length", "16", "--steps", "16", "--block", "8", "--json"};
        Map<String, String> kinds = Map.of("dual", "--block-cache", "prefix", "--block-cache=prefix");
        for (Map.Entry<String, String> k : kinds.entrySet()) {
            String[] args = java.util.Arrays.copyOf(base, base.length + 1);
            args[base.length] = k.getValue();
            CommandRun r = generate(args);
            assertEquals(k.getKey(), ((Map<String, Object>) r.json().get("settings")).get("block_cache"), r.err());
        }
        CommandRun bad = generate("--length", "8", "--block", "4", "--block-cache=full");
        assertEquals(2, bad.exit());
        assertTrue(bad.err().contains("--block-cache takes dual or prefix (or nothing, for dual), not 'full'"), bad.err());
    }

    /** EB-Sampler: with a huge γ every block is committed in one step; γ = 0 takes one token per step; --gamma needs eb. */
    @Test
    @SuppressWarnings("unchecked")
    void entropyBoundPolicyCommitsAsManyAsItsBudgetAllows() {
        Map<String, Object> all = generate("--length", "16", "--block", "8", "--policy", "eb", "--gamma", "1000", "--no-eos-stop", "--json").json();
        assertEquals(2L, all.get("forward_passes"), "one pass per block");
        assertEquals(1000.0, ((Map<String, Object>) all.get("settings")).get("gamma"));
        Map<String, Object> one = generate("--length", "16", "--block", "8", "--policy", "eb", "--gamma", "0", "--no-eos-stop", "--json").json();
        assertEquals(16L, one.get("forward_passes"), "one token per pass");
        CommandRun bad = generate("--length", "8", "--gamma", "0.5");
        assertEquals(2, bad.exit());
        assertTrue(bad.err().contains("--gamma applies only to --policy eb"), bad.err());
    }

    @Test
    void missingModelIsAnErrorNamingModel() {
        CommandRun r = CommandRun.of("generate", "--model", dir.resolve("nothing-here").toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().startsWith("jdlm generate: --model ") && r.err().contains("does not exist"), r.err());
    }

    @Test
    void corruptGgufAndForeignSafetensorsAreRefusedClearly() {
        Path gguf = dir.resolve("model.gguf");
        TinyRuns.write(gguf, "GGUF\3\0\0\0 rest of a header");
        CommandRun r = CommandRun.of("generate", "--model", gguf.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().startsWith("jdlm generate: " + gguf) && r.err().contains("expected"), r.err());

        Path st = dir.resolve("hf.safetensors");
        String header = "{\"__metadata__\":{\"format\":\"pt\"}}";
        byte[] len = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(header.length()).array();
        TinyRuns.write(st, new String(len, StandardCharsets.ISO_8859_1) + header);
        r = CommandRun.of("generate", "--model", st.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("is a safetensors file but not a jdlm checkpoint (its format is 'pt'); a Hugging Face model loads as its directory"), r.err());
    }

    @Test
    void emaOnACheckpointWithoutEmaWeightsFallsBackWithANote() {
        CommandRun r = generate("--ema", "--length", "8", "--json");
        assertEquals(false, r.json().get("ema"));
        assertTrue(r.err().contains("--ema: ") && r.err().contains("has no EMA weights"), r.err());
    }
}
