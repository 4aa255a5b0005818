package jdlm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import jdlm.format.safetensors.DType;
import jdlm.model.ModelConfig;
import jdlm.model.ModelConfig.AttentionMode;
import jdlm.model.ParameterLayout;
import jdlm.model.TestModels;
import jdlm.model.Transformer;
import jdlm.model.interop.GgufExport;
import jdlm.sample.BlockCache;
import jdlm.sample.SamplerOptions;
import jdlm.sample.StepListener;
import jdlm.tensor.QuantType;
import jdlm.tokenizer.ByteTokenizer;
import jdlm.tokenizer.ChatMessage;
import jdlm.train.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library's entry point: models opened from a run directory and from GGUF decode as a
 * from-scratch reference of the same method says (full forward passes, no cache, no sampler code).
 */
class LoadedModelTest {
    private static final int V = ByteTokenizer.VOCAB_SIZE;

    @TempDir Path dir;

    /** A run directory holding {@code model} with the byte tokenizer, as ./jdlm train leaves it. */
    private Path run(String name, Transformer model) throws IOException {
        Path d = Files.createDirectories(dir.resolve(name));
        new Checkpoint(model.config(), model.parameters(), new ByteTokenizer().spec().toJson(), null, null, null, null)
                .save(d.resolve(Checkpoint.FILE_NAME), DType.F32);
        return d;
    }

    /**
     * Greedy confidence decoding, one position per step, by hand: a full forward pass over the
     * canvas, MASK (and EOS when asked) never chosen, the masked position whose argmax has the
     * highest probability committed.
     */
    private static int[] confidenceReference(Transformer m, int[] canvas, boolean noEos) {
        int[] c = canvas.clone();
        int n = c.length;
        while (true) {
            float[] logits = m.logits(c, 1, n);
            int best = -1, bestToken = -1;
            double bestP = -1;
            for (int i = 0; i < n; i++) {
                if (c[i] != ByteTokenizer.MASK) continue;
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                int arg = -1;
                for (int v = 0; v < V; v++) {
                    if (v == ByteTokenizer.MASK || noEos && v == ByteTokenizer.EOS) continue;
                    double l = logits[i * V + v];
                    if (l > max) { max = l; arg = v; }
                }
                for (int v = 0; v < V; v++) {
                    if (v == ByteTokenizer.MASK || noEos && v == ByteTokenizer.EOS) continue;
                    sum += Math.exp(logits[i * V + v] - max);
                }
                double p = 1 / sum; // the argmax's probability
                if (p > bestP) { bestP = p; best = i; bestToken = arg; }
            }
            if (best < 0) return c;
            c[best] = bestToken;
        }
    }

    /**
     * {@code t} changed so that the choice between EOS and 'X' dominates: the output norm keeps one
     * coordinate h of the hidden state, EOS's logit is ±10·h, X's ∓10·h, every other token's a
     * N(0, 0.5²) multiple of h. The signs are set so that EOS (or, with {@code eosWins} false, X) is
     * the likeliest token at {@code position} of {@code canvas}.
     */
    private static Transformer eosProne(Transformer t, int[] canvas, int position, boolean eosWins) {
        ParameterLayout layout = new ParameterLayout(t.config());
        float[] p = t.parameters().clone();
        ParameterLayout.View norm = layout.outputNorm(), out = layout.output();
        Arrays.fill(p, norm.offset(), norm.offset() + norm.size(), 0f);
        p[norm.offset()] = 1;
        int eos = out.offset() + ByteTokenizer.EOS * out.cols(), x = out.offset() + 'X' * out.cols();
        p[eos] = 10;
        p[x] = -10;
        float[] logits = new Transformer(t.config(), p).logits(canvas, 1, canvas.length);
        boolean eosAhead = logits[position * V + ByteTokenizer.EOS] > logits[position * V + 'X'];
        if (eosAhead != eosWins) {
            p[eos] = -10;
            p[x] = 10;
        }
        return new Transformer(t.config(), p);
    }

    private static int[] withMasks(int[] prefix, int length, int[] suffix) {
        int[] c = new int[prefix.length + length + suffix.length];
        System.arraycopy(prefix, 0, c, 0, prefix.length);
        Arrays.fill(c, prefix.length, prefix.length + length, ByteTokenizer.MASK);
        System.arraycopy(suffix, 0, c, prefix.length + length, suffix.length);
        return c;
    }

    @Test
    void maskedModelFromARunAndFromGgufDecodesAsTheReference() throws IOException {
        int[] prompt = new ByteTokenizer().encode("ab");
        int length = 6;
        Transformer t = eosProne(TestModels.random(ModelConfig.of(2, 16, 2, 24, V, 32, AttentionMode.BIDIRECTIONAL), 5),
                withMasks(prompt, length, new int[0]), prompt.length, true);
        LoadedModel fromRun = LoadedModel.open(run("masked", t));
        Path gguf = dir.resolve("masked.gguf");
        GgufExport.write(t, new ByteTokenizer(), QuantType.F32, gguf);
        LoadedModel fromGguf = LoadedModel.open(gguf);
        SamplerOptions o = fromRun.sampling(length).withEos(false, false, false, false);
        int[] expected = Arrays.copyOfRange(confidenceReference(t, withMasks(prompt, length, new int[0]), false), prompt.length, prompt.length + length);
        assertTrue(Arrays.stream(expected).anyMatch(x -> x == ByteTokenizer.EOS), "the model chooses EOS somewhere: " + Arrays.toString(expected));
        for (LoadedModel m : List.of(fromRun, fromGguf)) {
            assertArrayEquals(expected, m.generate(prompt, length, o, row -> { }, StepListener.NONE).answers()[0], m.describe());
        }
        assertEquals(new ByteTokenizer().decode(expected), fromRun.complete("ab", length, o));
    }

    /** Streamed pieces add up to the answer, for every kind of model, sampled with several steps per call. */
    @Test
    void streamedPiecesAddUpToTheAnswer() throws IOException {
        for (AttentionMode mode : new AttentionMode[] {AttentionMode.BIDIRECTIONAL, AttentionMode.CAUSAL}) {
            Transformer t = TestModels.random(ModelConfig.of(2, 16, 2, 24, V, 32, mode), 11);
            LoadedModel m = LoadedModel.open(run(mode.name(), t));
            for (String prompt : new String[] {"ab", ""}) {
                SamplerOptions o = m.sampling(8).withTokens(new jdlm.sample.TokenChooser(1.0, 0, 1.0)).withSeed(3);
                StringBuilder pieces = new StringBuilder();
                List<String> each = new java.util.ArrayList<>();
                String whole = m.complete(prompt, 16, o, p -> { pieces.append(p); each.add(p); });
                assertEquals(m.complete(prompt, 16, o), whole, mode + " '" + prompt + "'");
                assertEquals(whole, pieces.toString(), mode + " '" + prompt + "'");
                assertTrue(each.stream().noneMatch(String::isEmpty), "no empty pieces");
            }
        }
    }

    /** Calls from several threads at once give what the same calls give one after the other. */
    @Test
    void concurrentCallsAnswerAsSequentialOnes() throws Exception {
        // wide enough that its products go to the shared pool (which takes one caller at a time)
        Transformer t = TestModels.random(ModelConfig.of(2, 128, 4, 384, V, 64, AttentionMode.BIDIRECTIONAL), 12);
        LoadedModel m = LoadedModel.open(run("masked", t));
        int calls = 6;
        String[] sequential = new String[calls];
        for (int i = 0; i < calls; i++) sequential[i] = m.complete("ab", 24, m.sampling(12).withTokens(new jdlm.sample.TokenChooser(1.0, 0, 1.0)).withSeed(i));
        java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(calls);
        try {
            List<java.util.concurrent.Future<String>> answers = new java.util.ArrayList<>();
            for (int i = 0; i < calls; i++) {
                long seed = i;
                answers.add(threads.submit(() -> m.complete("ab", 24, m.sampling(12).withTokens(new jdlm.sample.TokenChooser(1.0, 0, 1.0)).withSeed(seed))));
            }
            for (int i = 0; i < calls; i++) assertEquals(sequential[i], answers.get(i).get(), "call " + i);
        } finally {
            threads.shutdown();
        }
        assertTrue(java.util.Arrays.stream(sequential).distinct().count() > 1, "the seeds give different answers");
    }

    @Test
    void infillKeepsBothSidesAndNeverChoosesEos() throws IOException {
        int[] pre = new ByteTokenizer().encode("The "), suf = new ByteTokenizer().encode(" end");
        Transformer t = eosProne(TestModels.random(ModelConfig.of(2, 16, 2, 24, V, 32, AttentionMode.BIDIRECTIONAL), 6),
                withMasks(pre, 5, suf), pre.length, true);
        LoadedModel m = LoadedModel.open(run("masked", t));
        int[] expected = confidenceReference(t, withMasks(pre, 5, suf), true);
        int[] unsuppressed = confidenceReference(t, withMasks(pre, 5, suf), false);
        assertTrue(Arrays.stream(unsuppressed).anyMatch(x -> x == ByteTokenizer.EOS), "left free, the model would choose EOS");
        int[] canvas = m.infill(pre, 5, suf, m.sampling(5), row -> { }, StepListener.NONE).canvases()[0];
        assertArrayEquals(expected, canvas);
        assertEquals(new ByteTokenizer().decode(Arrays.copyOfRange(expected, pre.length, pre.length + 5)),
                m.infill("The ", 5, " end", m.sampling(5)));
    }

    @Test
    void causalModelDecodesGreedilyAsFullForwardPasses() throws IOException {
        int[] prompt = new ByteTokenizer().encode("xy");
        Transformer t = eosProne(TestModels.random(ModelConfig.of(2, 16, 2, 24, V, 32, AttentionMode.CAUSAL), 7), prompt, 1, false);
        LoadedModel m = LoadedModel.open(run("ar", t));
        int[] seq = Arrays.copyOf(prompt, 12);
        int len = 2, generated = 0;
        while (generated < 10) { // a whole forward pass per token: no KV cache
            float[] logits = t.logits(Arrays.copyOf(seq, len), 1, len);
            int arg = 0;
            for (int v = 1; v < V; v++) if (logits[(len - 1) * V + v] > logits[(len - 1) * V + arg]) arg = v;
            generated++;
            if (arg == ByteTokenizer.EOS) break;
            seq[len++] = arg;
        }
        int[] expected = Arrays.copyOfRange(seq, 2, len);
        assertTrue(generated < 10, "the model ends with EOS before 10 tokens");
        assertArrayEquals(expected, m.generate(m.encodePrompt("xy"), 10, m.sampling(10), row -> { }, StepListener.NONE).answers()[0]);
    }

    @Test
    void refusalsNameWhatIsWrong() throws IOException {
        Transformer causal = TestModels.random(ModelConfig.of(1, 16, 2, 24, V, 16, AttentionMode.CAUSAL), 8);
        LoadedModel ar = LoadedModel.open(run("ar", causal));
        String infill = assertThrows(IllegalArgumentException.class, () -> ar.infill("a", 2, "b", ar.sampling(2))).getMessage();
        assertTrue(infill.contains("is a causal (autoregressive) model; infilling needs a masked-diffusion model"), infill);
        String chat = assertThrows(IllegalArgumentException.class, () -> ar.chat(List.of(ChatMessage.user("hi")), 2, ar.sampling(2))).getMessage();
        assertTrue(chat.contains("has no chat template"), chat);
        String context = assertThrows(IllegalArgumentException.class, () -> ar.complete("abcdefgh", 9, ar.sampling(9))).getMessage();
        assertTrue(context.contains("(8 tokens) plus 9 new tokens needs 17 positions, more than the model's context length 16"), context);
        String missing = assertThrows(IllegalArgumentException.class, () -> LoadedModel.open(dir.resolve("nothing"))).getMessage();
        assertTrue(missing.contains("nothing does not exist"), missing);
    }

    @Test
    void blockModelsDecodeInTheirOwnBlocksWithTheirCache() throws IOException {
        Transformer t = TestModels.random(ModelConfig.of(1, 16, 2, 24, V, 32, AttentionMode.BIDIRECTIONAL).withBlocks(4), 9);
        SamplerOptions o = LoadedModel.open(run("bd3", t)).sampling(8);
        assertEquals(0, o.blockLength());
        assertTrue(o.blockCache() == BlockCache.DUAL && o.stopAtEos());
        SamplerOptions masked = LoadedModel.open(run("masked", TestModels.random(ModelConfig.of(1, 16, 2, 24, V, 32, AttentionMode.BIDIRECTIONAL), 9))).sampling(8);
        assertTrue(masked.blockCache() == BlockCache.NONE && masked.stopAtEos());
    }
}
