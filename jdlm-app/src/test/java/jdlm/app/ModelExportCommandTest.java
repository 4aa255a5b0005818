package jdlm.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A jdlm model written as GGUF or as a Hugging Face directory runs in jdlm exactly as the original:
 * the same greedy tokens from the same prompt (f32 storage), for the masked model and the causal twin.
 */
class ModelExportCommandTest {
    @TempDir Path dir;

    private static Map<String, Object> greedy(Path model, String... extra) {
        String[] base = {"generate", "--model", model.toString(), "--prompt", "the ", "--length", "16", "--json"};
        String[] args = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return CommandRun.of(args).json();
    }

    private Path convert(Path run, String out, String... options) {
        Path target = dir.resolve(out);
        String[] args = new String[3 + options.length];
        args[0] = "convert";
        args[1] = run.toString();
        args[2] = target.toString();
        System.arraycopy(options, 0, args, 3, options.length);
        CommandRun r = CommandRun.of(args);
        assertEquals(0, r.exit(), r.err());
        return target;
    }

    @Test
    void maskedModelAsGgufAndAsHuggingFaceGivesTheSameTokens() {
        Path run = TinyRuns.masked();
        Object want = greedy(run, "--steps", "8", "--block", "8").get("tokens");
        Path gguf = convert(run, "masked.gguf", "--type", "f32");
        assertEquals(want, greedy(gguf, "--steps", "8", "--block", "8").get("tokens"), "GGUF f32");
        Path hf = convert(run, "masked-hf", "--format", "hf", "--type", "f32");
        assertTrue(Files.isRegularFile(hf.resolve("tokenizer.json")));
        assertEquals(want, greedy(hf, "--steps", "8", "--block", "8").get("tokens"), "Hugging Face f32");
    }

    @Test
    void causalTwinAsGgufDecodesWithItsCacheToTheSameTokens() {
        Path run = TinyRuns.causal();
        Path gguf = convert(run, "ar.gguf", "--type", "f32");
        assertEquals(greedy(run).get("tokens"), greedy(gguf).get("tokens"));
    }

    @Test
    void quantisedGgufLoadsGeneratesAndEvaluates() throws Exception {
        Path run = TinyRuns.masked();
        Path q8 = convert(run, "masked-q8.gguf", "--type", "q8_0");
        Path f32 = convert(run, "masked-f32.gguf", "--type", "f32");
        assertTrue(Files.size(q8) * 3 < Files.size(f32), "Q8_0 stores about a byte per weight");
        Map<String, Object> j = greedy(q8, "--steps", "8");
        assertEquals(16, ((java.util.List<?>) j.get("tokens")).size());
        CommandRun eval = CommandRun.of("eval", "--model", q8.toString(), "--data", TinyRuns.text().toString(), "--max-sequences", "2", "--json");
        assertEquals(0, eval.exit(), eval.err());
    }

    @Test
    void aGgufReStoredAsAnotherTypeKeepsItsTokenizerAndRuns() throws Exception {
        Path f32 = convert(TinyRuns.masked(), "m.gguf", "--type", "f32");
        Path copy = convert(f32, "m-copy.gguf", "--type", "f32");
        assertEquals(greedy(f32, "--steps", "8").get("tokens"), greedy(copy, "--steps", "8").get("tokens"), "f32 → f32 is lossless");
        Path q8 = convert(f32, "m-q8.gguf", "--type", "q8_0");
        assertTrue(Files.size(q8) * 3 < Files.size(f32));
        assertEquals(0, CommandRun.of("generate", "--model", q8.toString(), "--prompt", "the ", "--length", "8").exit());
        CommandRun r = CommandRun.of("convert", f32.toString(), dir.resolve("out").toString(), "--format", "jdlm");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("a GGUF model converts to GGUF only"), r.err());
    }

    @Test
    void blockTypesOutsideGgufAreRefusedNamingTheOption() {
        CommandRun r = CommandRun.of("convert", TinyRuns.masked().toString(), dir.resolve("x").toString(), "--type", "q4_0");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--type q4_0 is a GGUF block type"), r.err());
        r = CommandRun.of("convert", TinyRuns.masked().toString(), dir.resolve("x").toString(), "--format", "onnx");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--format onnx is not supported"), r.err());
    }
}
