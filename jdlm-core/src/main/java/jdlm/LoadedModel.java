package jdlm;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import jdlm.format.FormatException;
import jdlm.format.Json;
import jdlm.format.gguf.GgufFile;
import jdlm.format.safetensors.SafetensorsFile;
import jdlm.model.ModelConfig;
import jdlm.model.Transformer;
import jdlm.model.interop.GgufImport;
import jdlm.model.interop.HuggingFaceImport;
import jdlm.model.interop.ImportedModel;
import jdlm.noise.NoiseSchedule;
import jdlm.sample.AutoregressiveOptions;
import jdlm.sample.AutoregressiveSampler;
import jdlm.sample.Canvas;
import jdlm.sample.DiffusionSampler;
import jdlm.sample.GenerationResult;
import jdlm.sample.SamplerOptions;
import jdlm.sample.SpecialTokens;
import jdlm.sample.StepListener;
import jdlm.sample.TransformerDenoiser;
import jdlm.sample.UniformSampler;
import jdlm.tensor.WeightTensor;
import jdlm.tokenizer.BpeTokenizer;
import jdlm.tokenizer.ChatMessage;
import jdlm.tokenizer.ChatTemplate;
import jdlm.tokenizer.Tokenizer;
import jdlm.tokenizer.TokenizerSpec;
import jdlm.tokenizer.Tokenizers;
import jdlm.train.Checkpoint;

/**
 * A model opened for use: the network, its tokenizer, the file it came from, and what its training
 * run recorded (objective, schedule, sequence length) when known. The entry point for using jdlm
 * from Java:
 *
 * <pre>{@code
 * LoadedModel m = LoadedModel.open(Path.of("models/default"));
 * String text = m.complete("It is a truth", 64, m.sampling(32)); // 64 tokens in 32 denoising steps
 * }</pre>
 *
 * <p>The path is a jdlm run directory (its {@code checkpoint.safetensors}) or checkpoint file, a
 * GGUF file (llama.cpp's {@code llada}, {@code dream} or {@code llama} architectures), or a Hugging
 * Face model directory (config.json, safetensors, tokenizer.json) of LLaDA or Dream. Imported
 * weights stay memory-mapped for the life of the process. {@link #generate} runs what the model is:
 * a masked or block diffusion model with the {@link DiffusionSampler}, a uniform-diffusion model
 * ancestrally ({@link UniformSampler}), a causal model token by token over its KV cache
 * ({@link AutoregressiveSampler}).
 *
 * <p>Threads: the weights are read-only and every call keeps its own state, so calls may run at
 * once from several threads; the shared compute pool serves one of them at a time, and the others
 * compute on their own thread meanwhile (slower, never wrong).
 *
 * @param training the training settings stored in the checkpoint (empty when it has none)
 * @param ema      true when the EMA weights were loaded
 * @param chat     the chat template of an imported instruct model, or null
 * @param bos      the BOS id a plain prompt starts with (imported models whose tokenizer adds one,
 *                 e.g. LLaDA's), or -1
 */
public record LoadedModel(Path file, Transformer model, Tokenizer tokenizer, Map<String, Object> training, boolean ema, ChatTemplate chat, int bos) {

    /** A plain (non-chat) prompt as the model expects it: BOS first when its tokenizer adds one. */
    public int[] encodePrompt(String text) {
        int[] ids = tokenizer.encode(text);
        if (bos < 0) return ids;
        int[] out = new int[ids.length + 1];
        out[0] = bos;
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }

    /**
     * A conversation in the model's chat template, ending with the assistant's turn to answer;
     * refused for a model without one (only imported instruct models have one).
     */
    public int[] encodeChat(List<ChatMessage> messages) {
        if (chat == null || !(tokenizer instanceof BpeTokenizer bpe)) {
            throw new IllegalArgumentException(file + " has no chat template (only imported LLaDA/Dream instruct models, GGUF or"
                    + " Hugging Face, have one)");
        }
        return chat.encode(bpe, messages, true);
    }

    public ModelConfig config() { return model.config(); }

    public boolean causal() { return model.config().causal(); }

    /** The sequence length the model was trained on, or -1 when the checkpoint does not say. */
    public int trainingSeq() {
        return training.get("seq") instanceof Number n ? n.intValue() : -1;
    }

    /** A uniform-diffusion (D3PM) model: its noise is random tokens, not MASK (a jdlm run recorded it). */
    public boolean uniform() { return "uniform".equals(training.get("objective")); }

    /** T of a uniform-diffusion model's training bound (1000 when not recorded). */
    public int diffusionSteps() {
        return training.get("diffusion_steps") instanceof Number n ? n.intValue() : 1000;
    }

    /** The masking schedule the model was trained with; linear (MDLM) when not recorded. */
    public NoiseSchedule schedule() {
        return NoiseSchedule.named(training.get("schedule") instanceof String s ? s : "linear");
    }

    /** One line for logs: where it came from and what it is. */
    public String describe() {
        ModelConfig c = config();
        return String.format(java.util.Locale.ROOT, "%s%s: %s, %,d parameters (%d layers, d=%d, context %d), %s tokenizer",
                file, ema ? " (EMA weights)" : "", c.causal() ? "causal (autoregressive)"
                        : c.blockCausal() ? "block diffusion (blocks of " + c.blockSize() + ")" : uniform() ? "uniform diffusion" : "masked diffusion",
                model.parameterCount(), c.layers(), c.dim(), c.contextLength(), tokenizer.name());
    }

    /**
     * Sampler settings that suit this model, with {@code steps} denoising steps over the whole
     * answer: one block (a block diffusion model: its own blocks, with its exact KV cache),
     * confidence policy, greedy, and the answer ends at EOS. Change them with the {@code with...}
     * methods of {@link SamplerOptions}. A causal model uses only the token settings and the seed.
     * (The command line also applies a model directory's {@code sampling.json}, e.g. the bundled
     * model's blocks of 4 at temperature 0.8; here those are yours to set.)
     */
    public SamplerOptions sampling(int steps) {
        return SamplerOptions.of(steps, 0).withBlockCache(config().blockCausal()).withEos(false, false, true, false);
    }

    /** The continuation of {@code prompt} ({@link #encodePrompt}) by at most {@code length} tokens, as text. */
    public String complete(String prompt, int length, SamplerOptions o) {
        return answer(encodePrompt(prompt), length, o);
    }

    /** The assistant's answer to a conversation ({@link #encodeChat}), at most {@code length} tokens, as text. */
    public String chat(List<ChatMessage> messages, int length, SamplerOptions o) {
        return answer(encodeChat(messages), length, o);
    }

    /**
     * {@link #complete}, the text also handed to {@code pieces} as it becomes final ({@link TextStream}):
     * the pieces add up to the returned answer.
     */
    public String complete(String prompt, int length, SamplerOptions o, Consumer<String> pieces) {
        return answer(encodePrompt(prompt), length, o, pieces);
    }

    /** {@link #chat}, the text also handed to {@code pieces} as it becomes final. */
    public String chat(List<ChatMessage> messages, int length, SamplerOptions o, Consumer<String> pieces) {
        return answer(encodeChat(messages), length, o, pieces);
    }

    private String answer(int[] promptIds, int length, SamplerOptions o) {
        return tokenizer.decode(generate(promptIds, length, o, row -> { }, StepListener.NONE).answers()[0]);
    }

    private String answer(int[] promptIds, int length, SamplerOptions o, Consumer<String> pieces) {
        TextStream stream = textStream(promptIds, pieces);
        return stream.finish(generate(promptIds, length, o, row -> { }, stream).answers()[0]);
    }

    /** A {@link TextStream} of the answer {@link #generate} gives to {@code promptIds}. */
    public TextStream textStream(int[] promptIds, Consumer<String> pieces) {
        return new TextStream(tokenizer, answerStart(promptIds), uniform(), pieces);
    }

    /** Where the answer to {@code promptIds} starts in {@link #generate}'s canvases (a causal model starts an empty prompt from EOS). */
    public int answerStart(int[] promptIds) {
        return causal() && promptIds.length == 0 ? 1 : promptIds.length;
    }

    /**
     * Continues {@code promptIds} by {@code length} tokens as the model's kind asks. A masked or
     * block diffusion model denoises {@code [prompt | MASK × length]} with all of {@code o}. A
     * uniform-diffusion model samples ancestrally with {@code o}'s steps, temperature and seed. A
     * causal model samples token by token with {@code o}'s token settings and seed, stopping at EOS
     * when {@code o.stopAtEos()}, and starts from EOS when the prompt is empty (documents are joined
     * by EOS in training). {@code start} sees the first canvas (a causal model: the prompt it starts
     * from), {@code listener} every step.
     */
    public GenerationResult generate(int[] promptIds, int length, SamplerOptions o, Consumer<int[]> start, StepListener listener) {
        if ((long) promptIds.length + length > config().contextLength()) {
            throw new IllegalArgumentException("the prompt (" + promptIds.length + " tokens) plus " + length + " new tokens needs "
                    + ((long) promptIds.length + length) + " positions, more than the model's context length " + config().contextLength());
        }
        if (causal()) {
            int[] first = promptIds.length > 0 ? promptIds : new int[] {tokenizer.eosId()};
            AutoregressiveOptions ar = new AutoregressiveOptions(length, o.tokens(), o.stopAtEos() ? tokenizer.eosId() : -1, o.seed());
            start.accept(first);
            return new AutoregressiveSampler(model).generate(first, ar, listener);
        }
        Canvas canvas = Canvas.completion(new int[][] {promptIds}, length, tokenizer.maskId());
        start.accept(canvas.row(0));
        return run(canvas, o, listener);
    }

    /**
     * Fills {@code length} tokens between {@code prefixIds} and {@code suffixIds} (a masked or
     * uniform diffusion model only: the others never see a suffix). EOS is never chosen there, as it
     * would end nothing; the answer is the middle, the canvas holds all three parts. {@code start}
     * sees the first canvas, {@code listener} every step.
     */
    public GenerationResult infill(int[] prefixIds, int length, int[] suffixIds, SamplerOptions o, Consumer<int[]> start,
                                   StepListener listener) {
        if (causal()) {
            throw new IllegalArgumentException(file + " is a causal (autoregressive) model; infilling needs a masked-diffusion model,"
                    + " which sees the suffix too");
        }
        if (config().blockCausal()) {
            throw new IllegalArgumentException(file + " is a block-diffusion model: a block sees only the text before it, never a"
                    + " suffix; infilling needs a masked-diffusion model (mdlm, sedd, llada)");
        }
        if (length < 1) throw new IllegalArgumentException("the middle's length must be at least 1, got " + length);
        long needed = (long) prefixIds.length + length + suffixIds.length;
        if (needed > config().contextLength()) {
            throw new IllegalArgumentException("the prefix (" + prefixIds.length + " tokens), " + length + " new tokens and the suffix ("
                    + suffixIds.length + " tokens) need " + needed + " positions, more than the model's context length " + config().contextLength());
        }
        int[] row = new int[(int) needed];
        System.arraycopy(prefixIds, 0, row, 0, prefixIds.length);
        Arrays.fill(row, prefixIds.length, prefixIds.length + length, tokenizer.maskId());
        System.arraycopy(suffixIds, 0, row, prefixIds.length + length, suffixIds.length);
        Canvas canvas = Canvas.infill(new int[][] {row}, tokenizer.maskId());
        start.accept(canvas.row(0));
        return run(canvas, o.withEos(true, false, false, false), listener);
    }

    /** The text that fills {@code length} tokens between {@code prefix} and {@code suffix} (see the method above). */
    public String infill(String prefix, int length, String suffix, SamplerOptions o) {
        int[] pre = encodePrompt(prefix);
        int[] done = infill(pre, length, tokenizer.encode(suffix), o, row -> { }, StepListener.NONE).canvases()[0];
        return tokenizer.decode(done, pre.length, pre.length + length);
    }

    /** A diffusion model's canvas denoised: ancestrally for uniform diffusion, else by the {@link DiffusionSampler}. */
    private GenerationResult run(Canvas canvas, SamplerOptions o, StepListener listener) {
        if (uniform()) {
            return new UniformSampler(new TransformerDenoiser(model), tokenizer.maskId(), schedule())
                    .generate(canvas, o.steps(), o.tokens().temperature(), o.seed(), listener);
        }
        return new DiffusionSampler(new TransformerDenoiser(model), new SpecialTokens(tokenizer.maskId(), tokenizer.eosId(), tokenizer.padId()))
                .generate(canvas, o, listener);
    }

    /** Opens a model with its trained (not EMA) weights, dropping the notes {@link #open(Path, boolean, Consumer)} gives. */
    public static LoadedModel open(Path path) {
        return open(path, false, note -> { });
    }

    /**
     * Opens a model. With {@code useEma} the EMA weights are used when the checkpoint has them;
     * {@code notes} hears when it does not, and about parts of a file that could not be used.
     */
    public static LoadedModel open(Path path, boolean useEma, Consumer<String> notes) {
        if (Files.isRegularFile(path) && isGguf(path)) return openGguf(path, useEma, notes);
        if (isHuggingFaceDirectory(path)) return openHuggingFace(path, useEma, notes);
        Path file = checkpointFile(path);
        Checkpoint ckpt = Checkpoint.load(file);
        if (ckpt.tokenizer() == null) {
            throw new FormatException(file, "__metadata__.jdlm.tokenizer", "a tokenizer spec", "nothing");
        }
        Tokenizer tok = Tokenizers.fromSpec(TokenizerSpec.fromJson(ckpt.tokenizer()));
        if (tok.vocabSize() != ckpt.config().vocabSize()) {
            throw new FormatException(file, "jdlm.config.vocab_size", tok.vocabSize() + " (the " + tok.name() + " tokenizer's)",
                    String.valueOf(ckpt.config().vocabSize()));
        }
        float[] weights = ckpt.parameters();
        boolean ema = false;
        if (useEma) {
            if (ckpt.ema() != null) {
                weights = ckpt.ema();
                ema = true;
            } else {
                notes.accept("note: --ema: " + file + " has no EMA weights (train with --ema DECAY); using the trained weights");
            }
        }
        Map<String, Object> training = new LinkedHashMap<>();
        if (ckpt.training() != null) {
            try {
                training = Json.parseObject(ckpt.training(), 1 << 20);
            } catch (RuntimeException e) {
                notes.accept("note: " + file + " has unreadable training settings (" + e.getMessage() + "); using defaults");
            }
        }
        return new LoadedModel(file, new Transformer(ckpt.config(), weights), tok, training, ema, null, -1);
    }

    /** A file that starts with GGUF's magic. */
    public static boolean isGguf(Path file) {
        return startsWith(file, "GGUF");
    }

    /** A directory with config.json that is not a jdlm run (no checkpoint, no metrics log). */
    public static boolean isHuggingFaceDirectory(Path p) {
        return Files.isDirectory(p) && Files.isRegularFile(p.resolve("config.json")) && !Files.exists(p.resolve(Checkpoint.FILE_NAME))
                && !Files.exists(p.resolve("metrics.jsonl"));
    }

    private static LoadedModel openGguf(Path file, boolean useEma, Consumer<String> notes) {
        if (useEma) notes.accept("note: --ema: " + file + " is a GGUF file, which holds one set of weights; using it");
        GgufFile gguf = GgufFile.open(file); // stays open: the weights are read from its mapping
        Map<String, Object> metadata = gguf.metadata().asMap();
        Map<String, WeightTensor> tensors = new LinkedHashMap<>();
        for (String name : gguf.tensors().keySet()) tensors.put(name, gguf.weight(name));
        ImportedModel imported = GgufImport.load(file, metadata, tensors);
        BpeTokenizer tok = BpeTokenizer.fromGguf(file, metadata);
        checkVocabulary(file, tok, imported.config());
        ChatTemplate chat = null;
        try {
            chat = ChatTemplate.forGguf(metadata, tok);
        } catch (IllegalArgumentException e) {
            notes.accept("note: " + file + ": no usable chat template (" + e.getMessage() + "); --chat is unavailable");
        }
        // llama.cpp's rule: tokenizer.ggml.add_bos_token when given; LLaDA's (Llama-3 style) tokenizer adds one by default
        boolean addBos = metadata.get("tokenizer.ggml.add_bos_token") instanceof Boolean b ? b : imported.architecture().equals("llada");
        return new LoadedModel(file, usable(imported, tok), tok, Map.of(), false, chat, addBos ? tok.bosId() : -1);
    }

    private static LoadedModel openHuggingFace(Path dir, boolean useEma, Consumer<String> notes) {
        if (useEma) notes.accept("note: --ema: " + dir + " is a Hugging Face model, which holds one set of weights; using it");
        Path tokenizerJson = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new IllegalArgumentException(dir + " is a Hugging Face model directory without tokenizer.json;"
                    + " copy the model's tokenizer.json beside its config.json");
        }
        ImportedModel imported = HuggingFaceImport.open(dir); // stays open: the weights are read from its mappings
        Map<String, Object> config = readJson(dir.resolve("config.json"));
        // ids the config does not name: the released LLaDA-8B / Dream-7B values, when this is one of their vocabularies
        BpeTokenizer.SpecialIds preset = imported.architecture().equals("dream") ? BpeTokenizer.SpecialIds.DREAM_7B : BpeTokenizer.SpecialIds.LLADA_8B;
        if (preset.mask() >= imported.config().vocabSize()) preset = new BpeTokenizer.SpecialIds(-1, -1, -1, -1);
        int eos = id(config, "eos_token_id", preset.eos());
        BpeTokenizer.SpecialIds ids = new BpeTokenizer.SpecialIds(eos, imported.maskTokenId().orElse(preset.mask()),
                id(config, "pad_token_id", eos), id(config, "bos_token_id", preset.bos()));
        BpeTokenizer tok = BpeTokenizer.fromTokenizerJson(tokenizerJson, ids);
        checkVocabulary(tokenizerJson, tok, imported.config());
        ChatTemplate chat = null;
        Path tokenizerConfig = dir.resolve("tokenizer_config.json");
        Map<String, Object> tokConfig = Files.isRegularFile(tokenizerConfig) ? readJson(tokenizerConfig) : Map.of();
        boolean addBos = tokConfig.get("add_bos_token") instanceof Boolean b ? b : imported.architecture().equals("llada");
        try {
            String template = tokConfig.get("chat_template") instanceof String t ? t : null;
            chat = ChatTemplate.forHuggingFace(template, imported.architecture(), tok);
        } catch (IllegalArgumentException e) {
            notes.accept("note: " + dir + ": no usable chat template (" + e.getMessage() + "); --chat is unavailable");
        }
        return new LoadedModel(dir, usable(imported, tok), tok, Map.of(), false, chat, addBos ? tok.bosId() : -1);
    }

    /** The imported network, never choosing ids past the tokenizer's vocabulary (padding rows of the embedding). */
    private static Transformer usable(ImportedModel imported, Tokenizer tok) {
        Transformer t = imported.transformer();
        return tok.vocabSize() < t.config().vocabSize() ? t.withUsableVocabulary(tok.vocabSize()) : t;
    }

    private static void checkVocabulary(Path file, Tokenizer tok, ModelConfig c) {
        if (tok.vocabSize() > c.vocabSize()) {
            throw new FormatException(file, "tokenizer vocabulary", "at most the model's " + c.vocabSize() + " ids", tok.vocabSize() + " tokens");
        }
    }

    private static Map<String, Object> readJson(Path file) {
        try {
            return Json.parseObject(Files.readString(file), 16 << 20);
        } catch (IOException e) {
            throw new FormatException(file, "cannot read the file: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new FormatException(file, "not valid JSON: " + e.getMessage(), e);
        }
    }

    /** An integer id from a Hugging Face config (some configs give a list: its first element). */
    private static int id(Map<String, Object> config, String key, int fallback) {
        Object v = config.get(key);
        if (v instanceof List<?> l && !l.isEmpty()) v = l.get(0);
        return v instanceof Number n ? n.intValue() : fallback;
    }

    /** The checkpoint file a model path stands for, refusing what is not a jdlm checkpoint. */
    public static Path checkpointFile(Path given) {
        if (!Files.exists(given)) {
            throw new IllegalArgumentException(given + " does not exist; give a run directory (from ./jdlm train)"
                    + " or its " + Checkpoint.FILE_NAME);
        }
        Path file = given;
        if (Files.isDirectory(given)) {
            file = given.resolve(Checkpoint.FILE_NAME);
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException(given + " is a directory without " + Checkpoint.FILE_NAME
                        + " or config.json; give a run directory written by ./jdlm train, a checkpoint file, a GGUF file"
                        + " or a Hugging Face model directory");
            }
        }
        if (startsWith(file, "GGUF")) {
            throw new IllegalArgumentException(file + " is a GGUF file; this needs a jdlm checkpoint (a run directory or checkpoint.safetensors)");
        }
        String format;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            format = f.metadata().get("format");
        } catch (FormatException e) {
            throw new IllegalArgumentException(file + " is not a jdlm checkpoint (expected a safetensors file written by"
                    + " ./jdlm train): " + e.getMessage(), e);
        }
        if (!"jdlm-checkpoint-1".equals(format)) {
            throw new IllegalArgumentException(file + " is a safetensors file but not a jdlm checkpoint (its format is "
                    + (format == null ? "not given" : "'" + format + "'") + "); a Hugging Face model loads as its directory"
                    + " (config.json, safetensors, tokenizer.json)");
        }
        return file;
    }

    private static boolean startsWith(Path file, String magic) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(magic.length());
            return new String(head, java.nio.charset.StandardCharsets.ISO_8859_1).equals(magic);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + " cannot be read: " + e.getMessage(), e);
        }
    }
}
