package jdlm.model.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalInt;
import java.util.SplittableRandom;

import jdlm.format.FormatException;
import jdlm.format.Json;
import jdlm.format.gguf.GgufFile;
import jdlm.format.gguf.GgufWriter;
import jdlm.format.safetensors.DType;
import jdlm.model.KVCache;
import jdlm.model.ModelConfig;
import jdlm.model.ModelConfig.AttentionMode;
import jdlm.model.ParameterLayout;
import jdlm.model.ReferenceTransformer64;
import jdlm.model.TestModels;
import jdlm.model.Transformer;
import jdlm.tensor.QuantType;
import jdlm.tensor.Rope;
import jdlm.tensor.WeightTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImportExportTest {
    @TempDir
    Path tmp;

    /** LLaDA as released: Hugging Face rotary layout (halves), no biases, untied, GQA here to exercise kvHeads. */
    private static final ModelConfig LLADA = new ModelConfig(2, 16, 4, 2, 4, 24, 13, 16, 500000.0, 1e-5f,
            AttentionMode.BIDIRECTIONAL, Rope.Style.HALVES);
    /** Dream: Qwen2 with q/k/v biases and shifted logits. */
    private static final ModelConfig DREAM = new ModelConfig(2, 16, 4, 2, 4, 24, 13, 32, 1e6, 1e-6f,
            AttentionMode.BIDIRECTIONAL, Rope.Style.HALVES, true, false, true);

    private static final int T = 9;

    private static int[] tokens(int vocab) {
        return new SplittableRandom(17).ints(T, 0, vocab).toArray();
    }

    @Test
    void lladaFromHuggingFaceAndFromGgufMatchTheFloat64Reference() throws IOException {
        float[] p = TinyCheckpoints.randomParameters(LLADA, 1);
        Path dir = tmp.resolve("llada");
        TinyCheckpoints.writeHf(dir, LLADA, p, TinyCheckpoints.lladaConfig(LLADA), TinyCheckpoints::lladaName, DType.F32, 1);
        int[] x = tokens(LLADA.vocabSize());
        double[][] want = new ReferenceTransformer64(LLADA).logits(TestModels.toDouble(p), x);
        try (ImportedModel hf = HuggingFaceImport.open(dir); Arena arena = Arena.ofConfined()) {
            assertEquals(LLADA, hf.config());
            assertEquals("llada", hf.architecture());
            assertEquals(OptionalInt.of(12), hf.maskTokenId());
            float[] fromHf = hf.transformer().logits(x, 1, T);
            assertClose(want, fromHf, 1e-5);

            GgufFile file = throughGgufFile(tmp.resolve("llada.gguf"), TinyCheckpoints.ggufMetadata("llada", LLADA),
                    TinyCheckpoints.ggufTensors(arena, LLADA, p, true));
            ImportedModel gguf = GgufImport.load(file.path(), file.metadata().asMap(), weights(file));
            assertEquals(Rope.Style.ADJACENT_PAIRS, gguf.config().ropeStyle(), "llama.cpp's LLaDA GGUF stores q/k as adjacent pairs");
            assertFalse(gguf.config().shiftLogits());
            // the permuted q/k rows change only the order of the q·k sums
            assertClose(toDouble2(fromHf, LLADA.vocabSize()), gguf.transformer().logits(x, 1, T), 1e-5);
        }
    }

    @Test
    void dreamFromShardedHuggingFaceAndFromGgufGiveIdenticalLogitsEqualToTheReference() throws IOException {
        float[] p = TinyCheckpoints.randomParameters(DREAM, 2);
        Path dir = tmp.resolve("dream");
        TinyCheckpoints.writeHf(dir, DREAM, p, TinyCheckpoints.dreamConfig(DREAM), TinyCheckpoints::dreamName, DType.F32, 3);
        assertFalse(Files.exists(dir.resolve("model.safetensors")));
        int[] x = tokens(DREAM.vocabSize());
        try (ImportedModel hf = HuggingFaceImport.open(dir); Arena arena = Arena.ofConfined()) {
            assertEquals(DREAM, hf.config());
            float[] fromHf = hf.transformer().logits(x, 1, T);
            assertClose(new ReferenceTransformer64(DREAM).logits(TestModels.toDouble(p), x), fromHf, 1e-5);

            Map<String, Object> meta = TinyCheckpoints.ggufMetadata("dream", DREAM); // no diffusion.shift_logits: Dream's default is to shift
            GgufFile file = throughGgufFile(tmp.resolve("dream.gguf"), meta, TinyCheckpoints.ggufTensors(arena, DREAM, p, false));
            ImportedModel gguf = GgufImport.load(file.path(), file.metadata().asMap(), weights(file));
            assertEquals(DREAM, gguf.config());
            assertArrayEquals(fromHf, gguf.transformer().logits(x, 1, T), 0f);
        }
    }

    @Test
    void bf16WeightsReadInPlaceEqualTheSameWeightsWidenedIntoTheFlatBuffer() throws IOException {
        float[] p = TinyCheckpoints.randomParameters(LLADA, 3);
        Path dir = tmp.resolve("bf16");
        TinyCheckpoints.writeHf(dir, LLADA, p, TinyCheckpoints.lladaConfig(LLADA), TinyCheckpoints::lladaName, DType.BF16, 1);
        float[] rounded = new float[p.length];
        for (int i = 0; i < p.length; i++) rounded[i] = roundToBf16(p[i]);
        assertFalse(Arrays.equals(p, rounded), "the rounding must matter for this test to mean anything");
        int[] x = tokens(LLADA.vocabSize());
        float[] flat = new Transformer(LLADA, rounded).logits(x, 1, T);
        try (ImportedModel hf = HuggingFaceImport.open(dir)) {
            assertFalse(hf.transformer().hasFlatParameters());
            assertClose(toDouble2(flat, LLADA.vocabSize()), hf.transformer().logits(x, 1, T), 1e-5);
        }
    }

    /** bfloat16 round-to-nearest-even, written out independently of the writer. */
    private static float roundToBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        int lsb = (bits >>> 16) & 1;
        return Float.intBitsToFloat(((bits + 0x7FFF + lsb) >>> 16) << 16);
    }

    @Test
    void nativeMaskedModelSurvivesHuggingFaceAndGgufExport() throws IOException {
        ModelConfig c = ModelConfig.of(2, 16, 4, 24, 13, 16, AttentionMode.BIDIRECTIONAL); // adjacent pairs, as jdlm trains
        Transformer native_ = new Transformer(c, TinyCheckpoints.randomParameters(c, 4));
        int[] x = tokens(c.vocabSize());
        double[][] want = toDouble2(native_.logits(x, 1, T), c.vocabSize());

        Path dir = tmp.resolve("export");
        HuggingFaceExport.write(native_, OptionalInt.of(12), dir, DType.F32);
        try (ImportedModel back = HuggingFaceImport.open(dir)) {
            assertEquals("llada", back.architecture());
            assertEquals(Rope.Style.HALVES, back.config().ropeStyle());
            assertEquals(OptionalInt.of(12), back.maskTokenId());
            assertClose(want, back.transformer().logits(x, 1, T), 1e-5);
            assertLossless(native_, dir.resolve("model.safetensors"));
        }

        try (Arena arena = Arena.ofConfined()) {
            ImportedModel gguf = GgufImport.load(tmp.resolve("export.gguf"), GgufExport.metadata(c, OptionalInt.of(12)),
                    asWeightTensors(arena, GgufExport.tensors(native_)));
            assertEquals(c, gguf.config());
            assertEquals(OptionalInt.of(12), gguf.maskTokenId());
            assertArrayEquals(native_.logits(x, 1, T), gguf.transformer().logits(x, 1, T), 1e-5f);
        }
    }

    /** Every exported value equals the native parameter, up to the q/k row permutation: compare the multisets per tensor. */
    private static void assertLossless(Transformer native_, Path file) {
        try (var f = jdlm.format.safetensors.SafetensorsFile.open(file)) {
            ParameterLayout layout = native_.layout();
            for (ParameterLayout.View v : layout.views().values()) {
                String hf = TinyCheckpoints.lladaName(v.name());
                float[] got = f.readFloats(hf);
                float[] want = Arrays.copyOfRange(native_.parameters(), v.offset(), v.offset() + v.size());
                Arrays.sort(got);
                Arrays.sort(want);
                assertArrayEquals(want, got, 0f, hf);
            }
        }
    }

    @Test
    void nativeCausalTwinExportsAsLlamaAndDecodesFromMappedWeights() throws IOException {
        ModelConfig c = ModelConfig.of(2, 16, 4, 24, 13, 16, AttentionMode.CAUSAL);
        Transformer native_ = new Transformer(c, TinyCheckpoints.randomParameters(c, 5));
        int[] x = tokens(c.vocabSize());
        float[] full = native_.logits(x, 1, T);
        Path dir = tmp.resolve("ar");
        HuggingFaceExport.write(native_, OptionalInt.empty(), dir, DType.F32);
        assertTrue(Files.readString(dir.resolve("config.json")).contains("LlamaForCausalLM"));
        try (ImportedModel back = HuggingFaceImport.open(dir)) {
            assertEquals("llama", back.architecture());
            assertTrue(back.config().causal());
            Transformer m = back.transformer();
            assertArrayEquals(full, m.logits(x, 1, T), 1e-5f);
            KVCache cache = new KVCache(m.config(), T);
            int V = c.vocabSize();
            for (int t = 0; t < T; t++) {
                float[] row = m.decode(cache, x, t, 1);
                assertArrayEquals(Arrays.copyOfRange(full, t * V, (t + 1) * V), Arrays.copyOf(row, V), 1e-5f, "position " + t);
            }
        }
        assertEquals("llama", GgufExport.architecture(c));
        assertFalse(GgufExport.metadata(c, OptionalInt.empty()).containsKey("diffusion.shift_logits"));
    }

    private static Map<String, WeightTensor> asWeightTensors(Arena arena, java.util.List<ExportTensor> tensors) {
        Map<String, WeightTensor> out = new LinkedHashMap<>();
        for (ExportTensor t : tensors) {
            long n = 1;
            for (long d : t.shape()) n *= d;
            MemorySegment seg = arena.allocate(4 * n, 4);
            for (int i = 0; i < n; i++) seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i, t.data()[t.offset() + i]);
            out.put(t.name(), new WeightTensor(t.name(), QuantType.F32, t.shape(), seg));
        }
        return out;
    }

    // ------------------------------------------------------------------ bad input

    @Test
    void missingTensorIsNamed() throws IOException {
        float[] p = TinyCheckpoints.randomParameters(LLADA, 6);
        Path dir = tmp.resolve("missing");
        TinyCheckpoints.writeHf(dir, LLADA, p, TinyCheckpoints.lladaConfig(LLADA), TinyCheckpoints::lladaName, DType.F32, 1, "blk.1.ffn_up.weight");
        FormatException e = assertThrows(FormatException.class, () -> HuggingFaceImport.open(dir));
        assertTrue(e.getMessage().contains("model.transformer.blocks.1.up_proj.weight"), e.getMessage());

        try (Arena arena = Arena.ofConfined()) {
            Map<String, WeightTensor> t = TinyCheckpoints.ggufTensors(arena, DREAM, TinyCheckpoints.randomParameters(DREAM, 6), false);
            t.remove("blk.0.attn_k.bias");
            FormatException g = assertThrows(FormatException.class,
                    () -> GgufImport.load(tmp.resolve("d.gguf"), TinyCheckpoints.ggufMetadata("dream", DREAM), t));
            assertTrue(g.getMessage().contains("blk.0.attn_k.bias") && g.getMessage().contains("d.gguf"), g.getMessage());
        }
    }

    @Test
    void wrongShapeIsNamedWithBothShapes() throws IOException {
        // a config that claims a wider MLP than the tensors have
        Map<String, Object> config = TinyCheckpoints.lladaConfig(LLADA);
        config.put("mlp_hidden_size", 20L);
        Path dir = tmp.resolve("shape");
        TinyCheckpoints.writeHf(dir, LLADA, TinyCheckpoints.randomParameters(LLADA, 7), config, TinyCheckpoints::lladaName, DType.F32, 1);
        FormatException e = assertThrows(FormatException.class, () -> HuggingFaceImport.open(dir));
        assertTrue(e.getMessage().contains("model.transformer.blocks.0.ff_proj.weight") && e.getMessage().contains("[20, 16]")
                && e.getMessage().contains("[24, 16]"), e.getMessage());
    }

    @Test
    void badOrUnsupportedConfigIsNamedByKey() throws IOException {
        float[] p = TinyCheckpoints.randomParameters(LLADA, 8);
        Map<String, Object> noWidth = TinyCheckpoints.lladaConfig(LLADA);
        noWidth.remove("d_model");
        Path a = tmp.resolve("a");
        TinyCheckpoints.writeHf(a, LLADA, p, noWidth, TinyCheckpoints::lladaName, DType.F32, 1);
        FormatException e = assertThrows(FormatException.class, () -> HuggingFaceImport.open(a));
        assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("d_model"), e.getMessage());

        Map<String, Object> alibi = TinyCheckpoints.lladaConfig(LLADA);
        alibi.put("alibi", true);
        Files.writeString(a.resolve("config.json"), Json.writePretty(alibi));
        e = assertThrows(FormatException.class, () -> HuggingFaceImport.open(a));
        assertTrue(e.getMessage().contains("alibi"), e.getMessage());

        Map<String, Object> meta = TinyCheckpoints.ggufMetadata("llada", LLADA);
        meta.remove("llada.attention.head_count");
        try (Arena arena = Arena.ofConfined()) {
            Map<String, WeightTensor> t = TinyCheckpoints.ggufTensors(arena, LLADA, p, true);
            e = assertThrows(FormatException.class, () -> GgufImport.load(tmp.resolve("x.gguf"), meta, t));
            assertTrue(e.getMessage().contains("llada.attention.head_count"), e.getMessage());
            meta.put("llada.attention.head_count", 4L);
            meta.put("general.architecture", "gpt2");
            e = assertThrows(FormatException.class, () -> GgufImport.load(tmp.resolve("x.gguf"), meta, t));
            assertTrue(e.getMessage().contains("general.architecture") && e.getMessage().contains("gpt2"), e.getMessage());
        }
    }

    @Test
    void shardIndexIsValidatedBeforeUse() throws IOException {
        float[] p = TinyCheckpoints.randomParameters(DREAM, 9);
        Path dir = tmp.resolve("idx");
        TinyCheckpoints.writeHf(dir, DREAM, p, TinyCheckpoints.dreamConfig(DREAM), TinyCheckpoints::dreamName, DType.F32, 2);
        Path index = dir.resolve("model.safetensors.index.json");
        String good = Files.readString(index);

        Files.writeString(index, good.replaceFirst("model-00002-of-00002", "../model-00002-of-00002"));
        FormatException e = assertThrows(FormatException.class, () -> HuggingFaceImport.open(dir));
        assertTrue(e.getMessage().contains("weight_map") && e.getMessage().contains("inside"), e.getMessage());

        // the first tensor (shard 1) claimed by shard 2, where it is not
        Files.writeString(index, good.replaceFirst("model-00001-of-00002", "model-00002-of-00002"));
        e = assertThrows(FormatException.class, () -> HuggingFaceImport.open(dir));
        assertTrue(e.getMessage().contains("model.embed_tokens.weight") && e.getMessage().contains("no such tensor"), e.getMessage());

        Files.writeString(index, good.replace("model-00002-of-00002", "model-00003-of-00003"));
        e = assertThrows(FormatException.class, () -> HuggingFaceImport.open(dir));
        assertTrue(e.getMessage().contains("model-00003-of-00003") && e.getMessage().contains("missing"), e.getMessage());
    }

    @Test
    void importedModelsRefuseTraining() throws IOException {
        Path dir = tmp.resolve("train");
        TinyCheckpoints.writeHf(dir, LLADA, TinyCheckpoints.randomParameters(LLADA, 10), TinyCheckpoints.lladaConfig(LLADA),
                TinyCheckpoints::lladaName, DType.F32, 1);
        try (ImportedModel m = HuggingFaceImport.open(dir)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.transformer().parameters());
            assertTrue(e.getMessage().contains("imported"), e.getMessage());
            assertEquals(new ParameterLayout(LLADA).size(), m.transformer().parameterCount());
        }
    }

    // ------------------------------------------------------------------ helpers

    private static double[][] toDouble2(float[] logits, int V) {
        double[][] d = new double[logits.length / V][V];
        for (int i = 0; i < logits.length; i++) d[i / V][i % V] = logits[i];
        return d;
    }

    private static void assertClose(double[][] want, float[] got, double relTol) {
        int V = want[0].length;
        assertEquals(want.length * V, got.length);
        double maxErr = 0, maxRef = 0;
        for (int t = 0; t < want.length; t++) {
            for (int j = 0; j < V; j++) {
                maxErr = Math.max(maxErr, Math.abs(want[t][j] - got[t * V + j]));
                maxRef = Math.max(maxRef, Math.abs(want[t][j]));
            }
        }
        assertTrue(maxRef > 0 && maxErr <= relTol * maxRef, "max error " + maxErr + " vs scale " + maxRef);
    }

    /** The metadata and tensors written as a real file by GgufWriter and opened again by GgufFile (the caller closes it). */
    private static GgufFile throughGgufFile(Path file, Map<String, Object> metadata, Map<String, WeightTensor> tensors) throws IOException {
        GgufWriter w = new GgufWriter(GgufExport.typed(metadata));
        for (WeightTensor t : tensors.values()) w.add(t);
        w.write(file);
        return GgufFile.open(file);
    }

    private static Map<String, WeightTensor> weights(GgufFile f) {
        Map<String, WeightTensor> out = new java.util.LinkedHashMap<>();
        for (String name : f.tensors().keySet()) out.put(name, f.weight(name));
        return out;
    }
}
