package jdlm.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jdlm.format.gguf.GgmlType;
import jdlm.format.gguf.GgufArray;
import jdlm.format.gguf.GgufMetadata;
import jdlm.format.gguf.GgufValueType;
import jdlm.format.gguf.GgufWriter;
import jdlm.format.safetensors.DType;
import jdlm.format.safetensors.SafetensorsWriter;
import jdlm.train.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectCommandTest {
    @TempDir Path dir;

    private Path gguf() throws IOException {
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < 20; i++) tokens.add("t" + i);
        GgufMetadata m = new GgufMetadata()
                .putString("general.architecture", "llada")
                .putUInt32("llada.block_count", 1)
                .putArray("tokenizer.ggml.tokens", GgufArray.ofStrings(tokens))
                .putArray("short", GgufArray.ofIntegers(GgufValueType.INT32, new long[] {4, 5, 6}))
                .put("big", GgufValueType.UINT64, -1L)
                .putFloat32("nan", Double.NaN);
        Path p = dir.resolve("m.gguf");
        new GgufWriter(m)
                .add("blk.0.attn_q.weight", GgmlType.Q8_0, new long[] {2, 64}, MemorySegment.ofArray(new byte[136]))
                .add("output_norm.weight", GgmlType.F32, new long[] {64}, MemorySegment.ofArray(new byte[256]))
                .add("blk.0.ffn_down.weight", GgmlType.Q5_K, new long[] {1, 256}, MemorySegment.ofArray(new byte[176]))
                .write(p);
        return p;
    }

    @Test
    @SuppressWarnings("unchecked")
    void ggufShowsArchitectureCountsTypesTensorsAndAbbreviatedMetadata() throws IOException {
        Path p = gguf();
        Map<String, Object> j = CommandRun.of("inspect", p.toString(), "--json").json();
        assertEquals("GGUF v3", j.get("format"));
        assertEquals("llada", j.get("architecture"));
        assertEquals(3L, j.get("tensor_count"));
        assertEquals(2L * 64 + 64 + 256, j.get("parameters"));
        assertEquals(Files.size(p), j.get("bytes"));
        Map<String, Object> types = (Map<String, Object>) j.get("types");
        assertEquals(Map.of("tensors", 1L, "bytes", 136L), types.get("Q8_0"));
        assertEquals(Map.of("tensors", 1L, "bytes", 176L), types.get("Q5_K"));
        Map<String, Object> q = (Map<String, Object>) ((List<Object>) j.get("tensors")).getFirst();
        assertEquals("blk.0.attn_q.weight", q.get("name"));
        assertEquals(List.of(2L, 64L), q.get("shape"));
        Map<String, Object> meta = (Map<String, Object>) j.get("metadata");
        assertEquals("[20 strings]", meta.get("tokenizer.ggml.tokens"));
        assertEquals(List.of(4L, 5L, 6L), meta.get("short"));
        assertEquals("18446744073709551615", meta.get("big"));
        assertEquals("NaN", meta.get("nan"));

        CommandRun text = CommandRun.of("inspect", p.toString());
        assertEquals(0, text.exit(), text.err());
        assertTrue(text.out().contains("architecture llada") && text.out().contains("tokenizer.ggml.tokens = [20 strings]")
                && text.out().contains("Q5_K"), text.out());
    }

    @Test
    void jdlmRunCountsWeightsNotOptimizerStateAndShowsItsConfig() {
        Path run = TinyRuns.masked();
        Map<String, Object> j = CommandRun.of("inspect", run.toString(), "--json").json();
        assertEquals("jdlm run", j.get("format"));
        assertEquals("jdlm (bidirectional attention)", j.get("architecture"));
        long weights = Checkpoint.load(run.resolve(Checkpoint.FILE_NAME)).parameters().length;
        assertEquals(weights, j.get("parameters"));
        assertTrue(j.get("config") instanceof Map<?, ?>);
    }

    @Test
    void shardedHuggingFaceDirectoryIsReadThroughItsIndex() throws IOException {
        Path hf = dir.resolve("hf");
        new SafetensorsWriter().add("a.weight", DType.BF16, new long[] {3, 4}, new float[12], 0).metadata("format", "pt")
                .write(hf.resolve("model-00001-of-00002.safetensors"));
        new SafetensorsWriter().add("b.weight", DType.F32, new long[] {5}, new float[5], 0)
                .write(hf.resolve("model-00002-of-00002.safetensors"));
        Files.writeString(hf.resolve("model.safetensors.index.json"),
                "{\"metadata\":{},\"weight_map\":{\"a.weight\":\"model-00001-of-00002.safetensors\",\"b.weight\":\"model-00002-of-00002.safetensors\"}}");
        Files.writeString(hf.resolve("config.json"), "{\"architectures\":[\"LLaDAModelLM\"],\"hidden_size\":4}");
        Map<String, Object> j = CommandRun.of("inspect", hf.toString(), "--json").json();
        assertEquals("safetensors (2 shards)", j.get("format"));
        assertEquals("LLaDAModelLM", j.get("architecture"));
        assertEquals(2L, j.get("tensor_count"));
        assertEquals(17L, j.get("parameters"));
        assertEquals(4L, ((Map<?, ?>) j.get("config")).get("hidden_size"));
    }

    @Test
    void anythingElseIsAClearError() throws IOException {
        Path text = Files.writeString(dir.resolve("notes.txt"), "hello, this is not a model");
        CommandRun r = CommandRun.of("inspect", text.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("neither a GGUF file"), r.err());
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertTrue(CommandRun.of("inspect", empty.toString()).err().contains("directory without"));
        assertTrue(CommandRun.of("inspect", dir.resolve("missing").toString()).err().contains("does not exist"));
        byte[] truncated = Files.readAllBytes(gguf());
        Path cut = dir.resolve("cut.gguf");
        Files.write(cut, java.util.Arrays.copyOf(truncated, 100));
        CommandRun c = CommandRun.of("inspect", cut.toString());
        assertEquals(2, c.exit());
        assertTrue(c.err().contains("cut.gguf: ") && c.err().contains(": expected "), c.err());
    }
}
