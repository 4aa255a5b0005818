package jdlm.app;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
import jdlm.tensor.WeightTensor;
import jdlm.tokenizer.BpeTokenizer;
import jdlm.tokenizer.ChatTemplate;
import jdlm.tokenizer.Tokenizer;
import jdlm.tokenizer.TokenizerSpec;
import jdlm.tokenizer.Tokenizers;
import jdlm.train.Checkpoint;

/**
 * A model opened for use (generate, infill, eval): the network, its tokenizer, the file it came
 * from, and what its training run recorded (objective, schedule, sequence length) when known.
 *
 * <p>{@code --model} is a jdlm run directory (its {@code checkpoint.safetensors}) or checkpoint
 * file, a GGUF file (llama.cpp's {@code llada}, {@code dream} or {@code llama} architectures), or a
 * Hugging Face model directory (config.json, safetensors, tokenizer.json) of LLaDA or Dream.
 * Imported weights stay memory-mapped for the life of the process.
 *
 * @param training the training settings stored in the checkpoint (empty when it has none)
 * @param ema      true when the EMA weights were loaded
 * @param chat     the chat template of an imported instruct model, or null
 * @param bos      the BOS id a plain prompt starts with (imported models whose tokenizer adds one,
 *                 e.g. LLaDA's), or -1
 */
record LoadedModel(Path file, Transformer model, Tokenizer tokenizer, Map<String, Object> training, boolean ema, ChatTemplate chat, int bos) {

    /** A plain (non-chat) prompt as the model expects it: BOS first when its tokenizer adds one. */
    int[] encodePrompt(String text) {
        int[] ids = tokenizer.encode(text);
        if (bos < 0) return ids;
        int[] out = new int[ids.length + 1];
        out[0] = bos;
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }

    static final String DEFAULT_MODEL = "models/default";

    ModelConfig config() { return model.config(); }

    boolean causal() { return model.config().causal(); }

    /** The sequence length the model was trained on, or -1 when the checkpoint does not say. */
    int trainingSeq() {
        return training.get("seq") instanceof Number n ? n.intValue() : -1;
    }

    /** A uniform-diffusion (D3PM) model: its noise is random tokens, not MASK (a jdlm run recorded it). */
    boolean uniform() { return "uniform".equals(training.get("objective")); }

    /** T of a uniform-diffusion model's training bound (1000 when not recorded). */
    int diffusionSteps() {
        return training.get("diffusion_steps") instanceof Number n ? n.intValue() : 1000;
    }

    /** The masking schedule the model was trained with; linear (MDLM) when not recorded. */
    NoiseSchedule schedule() {
        return NoiseSchedule.named(training.get("schedule") instanceof String s ? s : "linear");
    }

    /** One line for logs: where it came from and what it is. */
    String describe() {
        ModelConfig c = config();
        return String.format(java.util.Locale.ROOT, "%s%s: %s, %,d parameters (%d layers, d=%d, context %d), %s tokenizer",
                file, ema ? " (EMA weights)" : "", c.causal() ? "causal (autoregressive)"
                        : c.blockCausal() ? "block diffusion (blocks of " + c.blockSize() + ")" : uniform() ? "uniform diffusion" : "masked diffusion",
                model.parameterCount(), c.layers(), c.dim(), c.contextLength(), tokenizer.name());
    }

    /**
     * Opens {@code given}, or the bundled {@code models/default} when it is null. With {@code useEma}
     * the EMA weights are used when the checkpoint has them; {@code notes} hears when it does not.
     */
    static LoadedModel open(Path given, boolean useEma, java.util.function.Consumer<String> notes) {
        Path path = given != null ? given : bundledDefault();
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
    static boolean isGguf(Path file) {
        return startsWith(file, "GGUF");
    }

    /** A directory with config.json that is not a jdlm run (no checkpoint, no metrics log). */
    static boolean isHuggingFaceDirectory(Path p) {
        return Files.isDirectory(p) && Files.isRegularFile(p.resolve("config.json")) && !Files.exists(p.resolve(TrainCommand.CHECKPOINT))
                && !Files.exists(p.resolve("metrics.jsonl"));
    }

    private static LoadedModel openGguf(Path file, boolean useEma, java.util.function.Consumer<String> notes) {
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

    private static LoadedModel openHuggingFace(Path dir, boolean useEma, java.util.function.Consumer<String> notes) {
        if (useEma) notes.accept("note: --ema: " + dir + " is a Hugging Face model, which holds one set of weights; using it");
        Path tokenizerJson = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new IllegalArgumentException("--model " + dir + " is a Hugging Face model directory without tokenizer.json;"
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

    /** The checkpoint file a --model path stands for, refusing what is not a jdlm checkpoint. */
    static Path checkpointFile(Path given) {
        if (!Files.exists(given)) {
            throw new IllegalArgumentException("--model " + given + " does not exist; give a run directory (from ./jdlm train)"
                    + " or its " + TrainCommand.CHECKPOINT);
        }
        Path file = given;
        if (Files.isDirectory(given)) {
            file = given.resolve(TrainCommand.CHECKPOINT);
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("--model " + given + " is a directory without " + TrainCommand.CHECKPOINT
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
            throw new IllegalArgumentException("--model " + file + " is not a jdlm checkpoint (expected a safetensors file written by"
                    + " ./jdlm train): " + e.getMessage(), e);
        }
        if (!"jdlm-checkpoint-1".equals(format)) {
            throw new IllegalArgumentException("--model " + file + " is a safetensors file but not a jdlm checkpoint (its format is "
                    + (format == null ? "not given" : "'" + format + "'") + "); a Hugging Face model loads as its directory"
                    + " (config.json, safetensors, tokenizer.json)");
        }
        return file;
    }

    /** {@code models/default} under the repository root: beside the working directory, or above the jar. */
    static Path bundledDefault() {
        List<Path> roots = new ArrayList<>();
        roots.add(Path.of("").toAbsolutePath());
        try {
            // the jar is ROOT/jdlm-app/target/jdlm.jar; classes in tests are ROOT/jdlm-app/target/classes
            Path code = Path.of(LoadedModel.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (Path p = code.getParent(); p != null && roots.size() < 5; p = p.getParent()) roots.add(p);
        } catch (URISyntaxException | SecurityException | NullPointerException e) {
            // no code location: the working directory is all we can try
        }
        for (Path root : roots) {
            Path candidate = root.resolve(DEFAULT_MODEL);
            if (Files.exists(candidate)) return candidate;
        }
        throw new IllegalArgumentException("no --model given and no bundled model at " + DEFAULT_MODEL
                + "; train one with ./jdlm train --data TEXT --out runs/NAME ... or pass --model");
    }

    private static boolean startsWith(Path file, String magic) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(magic.length());
            return new String(head, java.nio.charset.StandardCharsets.ISO_8859_1).equals(magic);
        } catch (IOException e) {
            throw new IllegalArgumentException("--model " + file + " cannot be read: " + e.getMessage(), e);
        }
    }
}
