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
import jdlm.format.safetensors.SafetensorsFile;
import jdlm.model.ModelConfig;
import jdlm.model.Transformer;
import jdlm.noise.NoiseSchedule;
import jdlm.tokenizer.Tokenizer;
import jdlm.tokenizer.TokenizerSpec;
import jdlm.tokenizer.Tokenizers;
import jdlm.train.Checkpoint;

/**
 * A model opened for use (generate, infill, eval): the network, its tokenizer, the file it came
 * from, and what its training run recorded (objective, schedule, sequence length) when known.
 *
 * <p>{@code --model} is a run directory (its {@code checkpoint.safetensors}) or a checkpoint file.
 * Only jdlm checkpoints load for now; GGUF and Hugging Face safetensors are recognised and refused
 * with a message saying so, rather than failing on a field they were never meant to have.
 *
 * @param training the training settings stored in the checkpoint (empty when it has none)
 * @param ema      true when the EMA weights were loaded
 */
record LoadedModel(Path file, Transformer model, Tokenizer tokenizer, Map<String, Object> training, boolean ema) {

    static final String DEFAULT_MODEL = "models/default";

    ModelConfig config() { return model.config(); }

    boolean causal() { return model.config().causal(); }

    /** The sequence length the model was trained on, or -1 when the checkpoint does not say. */
    int trainingSeq() {
        return training.get("seq") instanceof Number n ? n.intValue() : -1;
    }

    /** The masking schedule the model was trained with; linear (MDLM) when not recorded. */
    NoiseSchedule schedule() {
        return NoiseSchedule.named(training.get("schedule") instanceof String s ? s : "linear");
    }

    /** One line for logs: where it came from and what it is. */
    String describe() {
        ModelConfig c = config();
        return String.format(java.util.Locale.ROOT, "%s%s: %s, %,d parameters (%d layers, d=%d, context %d), %s tokenizer",
                file, ema ? " (EMA weights)" : "", c.causal() ? "causal (autoregressive)" : "masked diffusion",
                model.parameters().length, c.layers(), c.dim(), c.contextLength(), tokenizer.name());
    }

    /**
     * Opens {@code given}, or the bundled {@code models/default} when it is null. With {@code useEma}
     * the EMA weights are used when the checkpoint has them; {@code notes} hears when it does not.
     */
    static LoadedModel open(Path given, boolean useEma, java.util.function.Consumer<String> notes) {
        Path file = checkpointFile(given != null ? given : bundledDefault());
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
        return new LoadedModel(file, new Transformer(ckpt.config(), weights), tok, training, ema);
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
                String hint = Files.exists(given.resolve("config.json")) && !Files.exists(given.resolve("metrics.jsonl"))
                        ? " (a Hugging Face model directory? importing those comes later; for now only jdlm checkpoints load)"
                        : "";
                throw new IllegalArgumentException("--model " + given + " is a directory without " + TrainCommand.CHECKPOINT
                        + hint + "; give a run directory written by ./jdlm train or a checkpoint file");
            }
        }
        if (startsWith(file, "GGUF")) {
            throw new IllegalArgumentException("--model " + file + " is a GGUF file; GGUF import comes later (not supported yet)."
                    + " For now give a jdlm run directory or checkpoint.safetensors");
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
                    + (format == null ? "not given" : "'" + format + "'") + "); importing Hugging Face / other safetensors models comes"
                    + " later. For now give a jdlm run directory or checkpoint.safetensors");
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
