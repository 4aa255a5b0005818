package jdlm.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jdlm.format.Json;
import jdlm.tokenizer.BpeTokenizer;
import jdlm.tokenizer.Tokenizer;
import jdlm.tokenizer.TokenizerSpec;
import jdlm.tokenizer.Tokenizers;
import jdlm.train.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainCommandTest {

    @TempDir Path dir;

    /**
     * A constant learning rate (no warm-up) makes the first N steps of every run the same whatever
     * --steps says, so a second run stopped at the best step gives the weights best.safetensors
     * must hold. The learning rate is high so that the validation loss goes down and up again:
     * when the test was written the best was step 5 of 16, so the weights kept are not the last
     * ones (the checks hold wherever the best falls).
     */
    @Test
    void keepBestHoldsTheWeightsOfTheLowestValidationLoss() throws Exception {
        Path run = dir.resolve("run");
        train(run, "--steps", "12", "--keep-best");
        assertBestIsTheMinimum(run);

        // a resumed run keeps the option and replaces the file only with a lower loss
        assertEquals(0, CommandRun.of("train", "--out", run.toString(), "--resume", "--steps", "16").exit());
        int bestStep = assertBestIsTheMinimum(run);

        Path again = dir.resolve("again");
        train(again, "--steps", String.valueOf(bestStep));
        Checkpoint best = Checkpoint.load(run.resolve(TrainCommand.BEST));
        assertArrayEquals(Checkpoint.load(again.resolve(Checkpoint.FILE_NAME)).parameters(), best.parameters(),
                "best.safetensors holds the weights after step " + bestStep);
        assertNull(best.adamM(), "weights only: the run goes on from checkpoint.safetensors");

        CommandRun eval = CommandRun.of("eval", "--model", run.resolve(TrainCommand.BEST).toString(), "--data", TinyRuns.text().toString(),
                "--max-sequences", "2", "--json");
        assertEquals(0, eval.exit(), eval.err());
    }

    /**
     * --tokenizer bpe:N learns a vocabulary from --data, keeps it in the checkpoint (and as
     * tokenizer.json in the run directory), and every command that loads the model rebuilds it: the
     * resumed run, generate, and the GGUF and Hugging Face exports, which generate the same text
     * greedily (F32, so the same weights).
     */
    @Test
    @SuppressWarnings("unchecked")
    void learnedBpeVocabularyTravelsWithTheModel() throws Exception {
        Path run = dir.resolve("bpe");
        train(run, "--steps", "3", "--tokenizer", "bpe:300", "--objective", "mdlm");
        TokenizerSpec spec = TrainCommand.storedTokenizer(run);
        assertEquals("bpe", spec.type());
        Tokenizer stored = Tokenizers.fromSpec(spec);
        String sentence = "the cat sat on the mat. she said hello to him.";
        int[] ids = stored.encode(sentence);
        assertTrue(ids.length < sentence.length() / 2, "whole words of the training text are single tokens: " + ids.length + " ids");
        BpeTokenizer fromFile = BpeTokenizer.fromTokenizerJson(run.resolve("tokenizer.json"),
                new BpeTokenizer.SpecialIds(spec.eosId(), spec.maskId(), spec.padId(), -1));
        assertArrayEquals(ids, fromFile.encode(sentence));
        Map<String, Object> config = Json.parseObject(Files.readString(run.resolve("config.json")), 1 << 20);
        assertEquals((long) spec.vocabSize(), ((Map<String, Object>) config.get("model")).get("vocab_size"));

        assertEquals(0, CommandRun.of("train", "--out", run.toString(), "--resume", "--steps", "4").exit());
        assertEquals(spec, TrainCommand.storedTokenizer(run), "a resumed run keeps the vocabulary");

        String[] greedy = {"--prompt", "the cat", "--length", "12", "--steps", "6", "--temperature", "0", "--no-eos-stop", "--json"};
        String text = generated(run, greedy);
        assertTrue(!text.isEmpty(), "--no-eos-stop fills the length");
        Path gguf = dir.resolve("bpe.gguf"), hf = dir.resolve("bpe-hf");
        assertEquals(0, CommandRun.of("convert", run.toString(), gguf.toString(), "--type", "f32").exit());
        assertEquals(0, CommandRun.of("convert", run.toString(), hf.toString(), "--format", "hf", "--type", "f32").exit());
        assertEquals(text, generated(gguf, greedy), "the GGUF export");
        assertEquals(text, generated(hf, greedy), "the Hugging Face export");

        CommandRun wrong = CommandRun.of("train", "--data", TinyRuns.text().toString(), "--out", dir.resolve("x").toString(),
                "--init-from", run.toString(), "--steps", "1");
        assertEquals(2, wrong.exit());
        assertTrue(wrong.err().contains("--tokenizer bpe:" + spec.vocabSize()), wrong.err());
        CommandRun sft = CommandRun.of("train", "--sft", "--data", TinyRuns.text().toString(), "--out", dir.resolve("y").toString(),
                "--tokenizer", "bpe:300", "--steps", "1");
        assertEquals(2, sft.exit());
        assertTrue(sft.err().contains("--init-from"), sft.err());
        CommandRun badSize = CommandRun.of("train", "--data", TinyRuns.text().toString(), "--out", dir.resolve("z").toString(),
                "--tokenizer", "bpe:10", "--steps", "1");
        assertEquals(2, badSize.exit());
        assertTrue(badSize.err().contains("bpe:4096"), badSize.err());
    }

    /**
     * --init-from a causal model with a masked objective adapts it (Dream): the run's model is
     * bidirectional with shifted logits, starts from the causal weights, resumes as such, samples,
     * and travels as GGUF (which records the shift) but not as a Hugging Face LLaDA directory.
     */
    @Test
    @SuppressWarnings("unchecked")
    void causalModelIsAdaptedToMaskedDiffusion() throws Exception {
        Path ar = dir.resolve("ar"), adapted = dir.resolve("adapted");
        train(ar, "--steps", "3", "--objective", "ar");
        CommandRun adapt = CommandRun.of("train", "--data", TinyRuns.text().toString(), "--out", adapted.toString(), "--init-from", ar.toString(),
                "--objective", "mdlm", "--seq", "32", "--batch", "2", "--steps", "2", "--lr", "1e-9", "--warmup", "0", "--eval-every", "1");
        assertEquals(0, adapt.exit(), adapt.err());
        Map<String, Object> model = (Map<String, Object>) Json.parseObject(Files.readString(adapted.resolve("config.json")), 1 << 20).get("model");
        assertEquals("bidirectional", model.get("attention"));
        assertEquals(true, model.get("shift_logits"));
        Checkpoint from = Checkpoint.load(ar.resolve(Checkpoint.FILE_NAME)), to = Checkpoint.load(adapted.resolve(Checkpoint.FILE_NAME));
        assertTrue(to.config().shiftLogits() && !to.config().causal());
        float[] a = from.parameters(), b = to.parameters();
        assertEquals(a.length, b.length);
        for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-7, "learning rate 1e-9: the causal weights, barely moved (parameter " + i + ")");

        assertEquals(0, CommandRun.of("train", "--out", adapted.toString(), "--resume", "--steps", "3").exit());
        assertTrue(Checkpoint.load(adapted.resolve(Checkpoint.FILE_NAME)).config().shiftLogits(), "a resumed run stays adapted");

        String[] greedy = {"--prompt", "the cat", "--length", "12", "--steps", "6", "--temperature", "0", "--no-eos-stop", "--json"};
        String text = generated(adapted, greedy);
        Path gguf = dir.resolve("adapted.gguf");
        assertEquals(0, CommandRun.of("convert", adapted.toString(), gguf.toString(), "--type", "f32").exit());
        assertEquals(text, generated(gguf, greedy), "the GGUF export keeps the shift");
        CommandRun hf = CommandRun.of("convert", adapted.toString(), dir.resolve("hf").toString(), "--format", "hf");
        assertEquals(2, hf.exit());
        assertTrue(hf.err().contains("GGUF"), hf.err());

        CommandRun back = CommandRun.of("train", "--data", TinyRuns.text().toString(), "--out", dir.resolve("back").toString(),
                "--init-from", adapted.toString(), "--objective", "ar", "--seq", "32", "--steps", "1");
        assertEquals(2, back.exit());
        assertTrue(back.err().contains("does not become causal"), back.err());
    }

    /**
     * --objective sedd trains the bidirectional model on score entropy; the run's validation losses
     * (score entropy) bound its NELBO from above, and eval, generate and resume treat it as any
     * masked model. A misspelt objective names the four there are.
     */
    @Test
    @SuppressWarnings("unchecked")
    void scoreEntropyRunsEndToEnd() throws Exception {
        Path run = dir.resolve("sedd");
        train(run, "--steps", "4", "--objective", "sedd", "--schedule", "cosine");
        Map<String, Object> config = Json.parseObject(Files.readString(run.resolve("config.json")), 1 << 20);
        assertEquals("sedd", ((Map<String, Object>) config.get("training")).get("objective"));
        assertEquals("bidirectional", ((Map<String, Object>) config.get("model")).get("attention"));
        assertEquals(0, CommandRun.of("train", "--out", run.toString(), "--resume", "--steps", "5").exit());
        CommandRun eval = CommandRun.of("eval", "--model", run.toString(), "--data", TinyRuns.text().toString(), "--max-sequences", "2", "--json");
        assertEquals(0, eval.exit(), eval.err());
        assertEquals("masked", eval.json().get("kind"));
        // the three masked bounds, then SEDD's own on the continuous NELBO's draws: never below it
        List<Map<String, Object>> estimates = (List<Map<String, Object>>) eval.json().get("estimates");
        assertEquals(4, estimates.size());
        assertEquals("score entropy (SEDD, cosine)", estimates.get(3).get("method"));
        assertTrue((Double) estimates.get(3).get("nats_per_token") >= (Double) estimates.get(0).get("nats_per_token"), estimates.toString());
        assertTrue(!generated(run, "--length", "8", "--steps", "4", "--json").isEmpty());

        CommandRun wrong = CommandRun.of("train", "--data", TinyRuns.text().toString(), "--out", dir.resolve("w").toString(), "--objective", "sed");
        assertEquals(2, wrong.exit());
        assertTrue(wrong.err().contains("expected mdlm, sedd, llada, bd3, uniform or ar"), wrong.err());
    }

    /**
     * --objective bd3 trains a block-causal model (config block_size), evaluates block by block, and
     * generates in its own blocks with the exact KV cache on: greedy text equals decoding with full
     * passes (--cfg turns the cache off). A masked run fine-tunes to blocks with --init-from, a
     * causal one is adapted (shifted logits); the GGUF and Hugging Face exports, infill and a
     * mismatched --block are refused with the reason.
     */
    @Test
    @SuppressWarnings("unchecked")
    void blockDiffusionRunsEndToEnd() throws Exception {
        Path run = dir.resolve("bd3");
        train(run, "--steps", "4", "--objective", "bd3", "--block-size", "8");
        Map<String, Object> config = Json.parseObject(Files.readString(run.resolve("config.json")), 1 << 20);
        Map<String, Object> model = (Map<String, Object>) config.get("model");
        assertEquals("block_causal", model.get("attention"));
        assertEquals(8L, model.get("block_size"));
        assertEquals(0, CommandRun.of("train", "--out", run.toString(), "--resume", "--steps", "5").exit());
        CommandRun eval = CommandRun.of("eval", "--model", run.toString(), "--data", TinyRuns.text().toString(), "--max-sequences", "2", "--json");
        assertEquals(0, eval.exit(), eval.err());
        assertEquals("block", eval.json().get("kind"));
        assertEquals(8L, eval.json().get("block_size"));

        String[] greedy = {"--prompt", "the c", "--length", "20", "--temperature", "0", "--no-eos-stop", "--json"};
        CommandRun cached = CommandRun.of(concat(new String[] {"generate", "--model", run.toString()}, greedy));
        assertEquals(0, cached.exit(), cached.err());
        assertEquals("dual", ((Map<String, Object>) cached.json().get("settings")).get("block_cache"));
        CommandRun full = CommandRun.of(concat(new String[] {"generate", "--model", run.toString(), "--cfg", "0.0000001"}, greedy));
        assertEquals(0, full.exit(), full.err());
        assertEquals("none", ((Map<String, Object>) full.json().get("settings")).get("block_cache"));
        assertEquals(cached.json().get("text"), full.json().get("text"), "the exact cache decodes as full passes do");

        CommandRun badBlock = CommandRun.of("generate", "--model", run.toString(), "--length", "16", "--block", "4");
        assertEquals(2, badBlock.exit());
        assertTrue(badBlock.err().contains("blocks of 8"), badBlock.err());
        CommandRun infill = CommandRun.of("infill", "--model", run.toString(), "--prefix", "a", "--suffix", "b", "--length", "4");
        assertEquals(2, infill.exit());
        assertTrue(infill.err().contains("block-diffusion"), infill.err());
        CommandRun gguf = CommandRun.of("convert", run.toString(), dir.resolve("bd3.gguf").toString());
        assertEquals(2, gguf.exit());
        assertTrue(gguf.err().contains("block-diffusion") && !Files.exists(dir.resolve("bd3.gguf")), gguf.err());

        Path masked = dir.resolve("mdlm"), tuned = dir.resolve("tuned");
        train(masked, "--steps", "2", "--objective", "mdlm");
        train(tuned, "--steps", "2", "--objective", "bd3", "--block-size", "4", "--init-from", masked.toString());
        Map<String, Object> tunedModel = (Map<String, Object>) Json.parseObject(Files.readString(tuned.resolve("config.json")), 1 << 20).get("model");
        assertEquals(4L, tunedModel.get("block_size"));
        // from a causal run: block-causal, logits read from the state before (as the AR model learned)
        Path fromAr = dir.resolve("ar-bd3");
        train(fromAr, "--steps", "2", "--objective", "bd3", "--block-size", "4", "--init-from", TinyRuns.causal().toString());
        Map<String, Object> fromArModel = (Map<String, Object>) Json.parseObject(Files.readString(fromAr.resolve("config.json")), 1 << 20).get("model");
        assertEquals("block_causal", fromArModel.get("attention"));
        assertEquals(true, fromArModel.get("shift_logits"));
        assertTrue(!generated(fromAr, "--length", "10", "--json").isEmpty());
        CommandRun back = CommandRun.of("train", "--data", TinyRuns.text().toString(), "--out", dir.resolve("back").toString(),
                "--init-from", tuned.toString(), "--objective", "mdlm", "--seq", "32", "--steps", "1");
        assertEquals(2, back.exit());
        assertTrue(back.err().contains("trains with --objective bd3"), back.err());
    }

    /**
     * --objective uniform trains a D3PM model on random-token noise; eval reports its T-step bound
     * (the T it was trained with), generate and infill run the ancestral sampler, and what only masked
     * models do (--mask-rates) or what other runtimes would misread (GGUF) is refused.
     */
    @Test
    @SuppressWarnings("unchecked")
    void uniformDiffusionRunsEndToEnd() throws Exception {
        Path run = dir.resolve("uniform");
        train(run, "--steps", "3", "--objective", "uniform", "--diffusion-steps", "50");
        Map<String, Object> training = (Map<String, Object>) Json.parseObject(Files.readString(run.resolve("config.json")), 1 << 20).get("training");
        assertEquals("uniform", training.get("objective"));
        assertEquals(50L, training.get("diffusion_steps"));
        CommandRun eval = CommandRun.of("eval", "--model", run.toString(), "--data", TinyRuns.text().toString(), "--max-sequences", "2", "--json");
        assertEquals(0, eval.exit(), eval.err());
        assertEquals("uniform", eval.json().get("kind"));
        List<Object> estimates = (List<Object>) eval.json().get("estimates");
        assertEquals(1, estimates.size());
        assertTrue(((Map<String, Object>) estimates.get(0)).get("method").toString().startsWith("uniform-diffusion bound (T=50"), estimates.toString());

        CommandRun gen = CommandRun.of("generate", "--model", run.toString(), "--prompt", "the", "--length", "12", "--steps", "6", "--json");
        assertEquals(0, gen.exit(), gen.err());
        assertEquals("uniform diffusion (ancestral)", ((Map<String, Object>) gen.json().get("settings")).get("sampler"));
        assertEquals(12, ((List<Object>) gen.json().get("tokens")).size());
        CommandRun infill = CommandRun.of("infill", "--model", run.toString(), "--prefix", "the ", "--suffix", " mat", "--length", "5", "--json");
        assertEquals(0, infill.exit(), infill.err());
        assertTrue(infill.json().get("text").toString().startsWith("the ") && infill.json().get("text").toString().endsWith(" mat"));

        CommandRun rates = CommandRun.of("eval", "--model", run.toString(), "--data", TinyRuns.text().toString(), "--mask-rates", "2");
        assertEquals(2, rates.exit());
        assertTrue(rates.err().contains("uniform-diffusion"), rates.err());
        CommandRun gguf = CommandRun.of("convert", run.toString(), dir.resolve("u.gguf").toString());
        assertEquals(2, gguf.exit());
        assertTrue(gguf.err().contains("uniform-diffusion") && !Files.exists(dir.resolve("u.gguf")), gguf.err());
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private static String generated(Path model, String... args) {
        List<String> all = new ArrayList<>(List.of("generate", "--model", model.toString()));
        all.addAll(List.of(args));
        CommandRun r = CommandRun.of(all.toArray(String[]::new));
        assertEquals(0, r.exit(), r.err());
        return (String) r.json().get("text");
    }

    /** A tiny run that must succeed (the command's messages go to System.err, not to CommandRun). */
    private static void train(Path out, String... more) {
        List<String> args = new ArrayList<>(List.of("train", "--data", TinyRuns.text().toString(), "--out", out.toString(),
                "--preset", "tiny", "--layers", "1", "--dim", "32", "--heads", "2", "--hidden", "64", "--context", "64",
                "--seq", "32", "--batch", "2", "--lr", "0.03", "--lr-schedule", "constant", "--warmup", "0",
                "--eval-every", "1", "--eval-batches", "2", "--seed", "1"));
        args.addAll(List.of(more));
        assertEquals(0, CommandRun.of(args.toArray(String[]::new)).exit(), "jdlm " + String.join(" ", args));
    }

    /** Checks best.safetensors against metrics.jsonl and returns the best step. */
    @SuppressWarnings("unchecked")
    private static int assertBestIsTheMinimum(Path run) throws Exception {
        int argmin = -1;
        double min = Double.POSITIVE_INFINITY;
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            Map<String, Object> m = Json.parseObject(line, 1 << 10);
            if (m.get("val_loss") instanceof Number v && v.doubleValue() < min) {
                min = v.doubleValue();
                argmin = ((Number) m.get("step")).intValue();
            }
        }
        Map<String, Object> state = Json.parseObject(Checkpoint.load(run.resolve(TrainCommand.BEST)).training(), 1 << 20);
        assertEquals(argmin, ((Number) state.get("completed_steps")).intValue(), "the step of the lowest validation loss");
        assertEquals(min, ((Number) state.get("best_val_loss")).doubleValue(), 1e-6, "metrics.jsonl rounds to 6 decimals");
        return argmin;
    }
}
