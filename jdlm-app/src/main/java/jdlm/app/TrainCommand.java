package jdlm.app;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import jdlm.format.Json;
import jdlm.format.safetensors.DType;
import jdlm.format.safetensors.SafetensorsFile;
import jdlm.model.ModelConfig;
import jdlm.model.Transformer;
import jdlm.noise.NoiseSchedule;
import jdlm.tensor.ThreadPool;
import jdlm.tokenizer.BpeTokenizer;
import jdlm.tokenizer.BpeTrainer;
import jdlm.tokenizer.Tokenizer;
import jdlm.tokenizer.TokenizerJsonExport;
import jdlm.tokenizer.TokenizerSpec;
import jdlm.tokenizer.Tokenizers;
import jdlm.train.BatchSource;
import jdlm.train.BlockDiffusionObjective;
import jdlm.train.Checkpoint;
import jdlm.train.LearningRateSchedule;
import jdlm.train.LladaObjective;
import jdlm.train.LossCurvePlot;
import jdlm.train.MaskedDiffusionObjective;
import jdlm.train.NextTokenObjective;
import jdlm.train.NonFiniteLossException;
import jdlm.train.Objective;
import jdlm.train.ScoreEntropyObjective;
import jdlm.train.Trainer;
import jdlm.train.TrainingOptions;
import jdlm.train.UniformDiffusionObjective;
import jdlm.train.data.Corpus;
import jdlm.train.data.DataSplit;
import jdlm.train.data.SequenceSampler;
import jdlm.train.data.SftDataset;
import jdlm.train.data.TokenFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jdlm train}: tokenise a corpus once into the run directory, then train a masked-diffusion
 * model (or its autoregressive twin) with periodic validation, a metrics log, a loss plot and
 * atomic checkpoints; {@code --resume} continues exactly where a run stopped.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a masked diffusion LM (mdlm, sedd, llada), a block diffusion LM (bd3), a uniform diffusion LM (uniform) or their autoregressive twin (ar) on your text.",
                "The run directory gets train.tokens, checkpoint.safetensors, config.json, metrics.jsonl and loss.svg.",
                "Example: ./jdlm train --data ../shared/data/austen_train.txt --out runs/austen --preset small --steps 2000"})
public final class TrainCommand implements Callable<Integer> {

    @Option(names = "--data", paramLabel = "PATH", description = "Training text: a UTF-8 file or a directory of them.")
    Path data;
    @Option(names = "--out", required = true, paramLabel = "RUN_DIR", description = "Run directory (created; must not hold a run unless --resume).")
    Path out;
    @Option(names = "--resume", description = "Continue the run in --out from its last checkpoint (its settings are kept; --steps may extend it).")
    boolean resume;
    @Option(names = "--val", paramLabel = "PATH", description = "Separate validation text (default: hold out --val-fraction of --data).")
    Path val;
    @Option(names = "--val-fraction", defaultValue = "0.05", description = "Fraction of --data held out for validation, cut at the end (default: ${DEFAULT-VALUE}).")
    double valFraction;
    @Option(names = "--objective", defaultValue = "mdlm", description = "mdlm (MDLM/MD4 NELBO), sedd (SEDD score entropy, absorbing), llada (LLaDA recipe), bd3 (BD3-LM block diffusion: causal over blocks of --block-size, masked diffusion inside), uniform (D3PM, noise of random tokens) or ar (next token, causal) (default: ${DEFAULT-VALUE}).")
    String objective;
    @Option(names = "--schedule", defaultValue = "linear", description = "Noise schedule for mdlm, sedd, bd3 and uniform: linear, cosine, polyK (default: ${DEFAULT-VALUE}).")
    String schedule;
    @Option(names = "--block-size", defaultValue = "16", description = "bd3: tokens per block (default: ${DEFAULT-VALUE}); 1 makes an autoregressive model,"
            + " --seq a masked one over the whole window. --init-from a masked (mdlm) run fine-tunes it to blocks, as BD3-LM did.")
    int blockSize;
    @Option(names = "--diffusion-steps", defaultValue = "1000", paramLabel = "T", description = "uniform: T of the discrete-time bound it trains on (D3PM: 1000; default: ${DEFAULT-VALUE}).")
    int diffusionSteps;
    @Option(names = "--tokenizer", defaultValue = "bytes", description = "bytes (256 bytes + specials), gpt2 (r50k BPE), or bpe:N, a byte-level BPE"
            + " of N ids learned from --data before training (GPT-2's method; kept in the model and in RUN_DIR/tokenizer.json) (default: ${DEFAULT-VALUE}).")
    String tokenizer;
    @Option(names = "--preset", defaultValue = "small", description = "Model size: tiny, small (~7.6M), default (~25M) (default: ${DEFAULT-VALUE}).")
    String preset;
    @Option(names = "--layers", description = "Override the preset's layer count.") Integer layers;
    @Option(names = "--dim", description = "Override the preset's width.") Integer dim;
    @Option(names = "--heads", description = "Override the preset's head count.") Integer heads;
    @Option(names = "--kv-heads", description = "Key/value heads (grouped-query attention; default: = heads).") Integer kvHeads;
    @Option(names = "--hidden", description = "Override the preset's SwiGLU width.") Integer hidden;
    @Option(names = "--context", description = "Override the preset's context length.") Integer context;
    @Option(names = "--steps", description = "Optimizer updates (default: 1000).") Integer steps;
    @Option(names = "--batch", defaultValue = "8", description = "Sequences per micro-batch (default: ${DEFAULT-VALUE}).") int batch;
    @Option(names = "--seq", defaultValue = "256", description = "Tokens per sequence, at most the context (default: ${DEFAULT-VALUE}).") int seq;
    @Option(names = "--accumulate", defaultValue = "1", description = "Micro-batches per update (default: ${DEFAULT-VALUE}).") int accumulate;
    @Option(names = "--lr", defaultValue = "1e-3", description = "Peak learning rate (default: ${DEFAULT-VALUE}).") double lr;
    @Option(names = "--min-lr", description = "Final learning rate (default: lr/10).") Double minLr;
    @Option(names = "--warmup", description = "Warm-up steps (default: min(200, steps/10)).") Integer warmup;
    @Option(names = "--lr-schedule", defaultValue = "cosine", description = "cosine, wsd (warm-up, stable, decay) or constant (default: ${DEFAULT-VALUE}).") String lrSchedule;
    @Option(names = "--decay-fraction", defaultValue = "0.2", description = "wsd: fraction of steps spent decaying (default: ${DEFAULT-VALUE}).") double decayFraction;
    @Option(names = "--clip", defaultValue = "1.0", description = "Gradient-norm clip, 0 = off (default: ${DEFAULT-VALUE}).") double clip;
    @Option(names = "--weight-decay", defaultValue = "0.1", description = "AdamW decoupled weight decay (default: ${DEFAULT-VALUE}).") double weightDecay;
    @Option(names = "--beta2", defaultValue = "0.95", description = "AdamW β₂ (default: ${DEFAULT-VALUE}).") double beta2;
    @Option(names = "--ema", defaultValue = "0", description = "EMA decay of a weight copy saved with checkpoints, 0 = off (default: ${DEFAULT-VALUE}).") double ema;
    @Option(names = "--crop-probability", defaultValue = "0.01", description = "llada: chance a batch is cropped to a random length (default: ${DEFAULT-VALUE}).") double cropProbability;
    @Option(names = "--eval-every", defaultValue = "100", description = "Validate every N steps, 0 = never (default: ${DEFAULT-VALUE}).") int evalEvery;
    @Option(names = "--eval-batches", defaultValue = "8", description = "Validation batches per evaluation (default: ${DEFAULT-VALUE}).") int evalBatches;
    @Option(names = "--checkpoint-every", defaultValue = "200", description = "Checkpoint every N steps, and at the end (default: ${DEFAULT-VALUE}).") int checkpointEvery;
    @Option(names = "--seed", defaultValue = "0", description = "Seed of initialisation, masks and data order (default: ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--sft", description = {"Supervised fine-tuning: --data (and --val) are JSON lines of {\"prompt\": ..., \"response\": ...};",
            "prompts stay clean, answers are padded with EOS to --seq (LLaDA SFT). Usually with --init-from."})
    boolean sft;
    @Option(names = "--init-from", paramLabel = "CHECKPOINT", description = {"Start from these weights (a run directory or checkpoint file) instead of a random model.",
            "A causal (--objective ar) model trained on with another objective is adapted to it (Dream): attention becomes"
            + " bidirectional (block-causal for bd3) and position i is predicted from the hidden state at i-1, as the causal model learned."})
    Path initFrom;
    @Option(names = "--keep-best", description = "Also keep best.safetensors: the weights at the validation with the lowest loss so far"
            + " (early stopping for runs that overfit small data; weights only, loads with --model). Stays on through --resume.")
    boolean keepBest;
    @Option(names = "--replace-malformed", description = "Replace invalid UTF-8 with U+FFFD instead of stopping.") boolean replaceMalformed;

    static final String BEST = "best.safetensors";
    /** Key, in best.safetensors' training state, of the validation loss it was kept for. */
    private static final String BEST_LOSS = "best_val_loss";
    private final PrintStream err = System.err;

    @Override
    public Integer call() throws IOException {
        Files.createDirectories(out);
        Path ckpt = out.resolve(Checkpoint.FILE_NAME);
        Map<String, Object> settings;
        Checkpoint restored = null;
        if (resume) {
            if (!Files.exists(ckpt)) throw new IllegalArgumentException("--resume: " + ckpt + " does not exist; start the run without --resume");
            restored = Checkpoint.load(ckpt);
            if (restored.training() == null || restored.adamM() == null) {
                throw new IllegalArgumentException("--resume: " + ckpt + " holds weights only, no training state to continue from");
            }
            settings = Json.parseObject(restored.training(), 1 << 20);
            if (steps != null) settings.put("steps", (long) steps);
            if (keepBest) settings.put("keep_best", true);
        } else {
            if (Files.exists(ckpt)) {
                throw new IllegalArgumentException(out + " already holds a run (" + Checkpoint.FILE_NAME + "); continue it with --resume or choose another --out");
            }
            if (data == null) throw new IllegalArgumentException("--data is required: a text file or a directory of text files");
            settings = settingsFromOptions();
        }

        Checkpoint init = restored == null && settings.get("init_from") != null ? initCheckpoint(settings) : null;
        Tokenizer tok = runTokenizer(settings, restored, init);
        Path trainTokens = out.resolve("train.tokens"), valTokens = out.resolve("val.tokens");
        boolean sftRun = Boolean.TRUE.equals(settings.get("sft"));
        if (!resume && !sftRun) {
            tokenize(Path.of((String) settings.get("data")), tok, trainTokens);
            if (settings.get("val") != null) tokenize(Path.of((String) settings.get("val")), tok, valTokens);
        }
        TrainingOptions options = trainingOptions(settings);
        Checkpoint start = restored != null ? restored : init;
        ModelConfig config = start != null ? start.config() : modelConfig(settings, tok);
        boolean blocks = settings.get("objective").equals("bd3");
        if (init != null && (blocks || config.blockCausal())) config = blockModelFromInit(config, settings);
        else if (init != null && config.causal() && !settings.get("objective").equals("ar")) {
            config = config.adaptedToDiffusion();
            err.println("adapting the causal model of --init-from to masked diffusion (as Dream and DiffuLLaMA did):"
                    + " attention becomes bidirectional and each position's logits are read from the hidden state before it");
        }
        if (integer(settings, "seq") > config.contextLength()) {
            throw new IllegalArgumentException("--seq " + settings.get("seq") + " is larger than the model's context length "
                    + config.contextLength() + "; use --seq ≤ " + config.contextLength() + " or a larger --context");
        }
        if (config.causal() != settings.get("objective").equals("ar")) {
            throw new IllegalArgumentException("--objective " + settings.get("objective") + " does not fit the " + (config.causal() ? "causal" : "bidirectional")
                    + " model of --init-from; a masked-diffusion model does not become causal again, use mdlm, sedd, llada, bd3 or uniform");
        }
        Transformer model = new Transformer(config, start != null ? start.parameters() : Transformer.initialized(config, options.seed()).parameters());
        Objective obj = objective(settings, tok, config);
        if (sftRun) return trainSft(model, obj, options, settings, tok, config, restored);

        try (TokenFile train = TokenFile.open(trainTokens);
             TokenFile valFile = Files.exists(valTokens) ? TokenFile.open(valTokens) : null) {
            int L = options.seqLen();
            DataSplit split = valFile != null ? DataSplit.all(train.size()) : DataSplit.lastFraction(train.size(), L, number(settings, "val_fraction"));
            SequenceSampler trainBatches = new SequenceSampler(train, split.train(), L, options.seed(), true);
            SequenceSampler valBatches = valFile != null ? new SequenceSampler(valFile, DataSplit.all(valFile.size()).train(), L, options.seed(), false)
                    : split.validation() != null ? new SequenceSampler(train, split.validation(), L, options.seed(), false) : null;

            Trainer trainer = new Trainer(model, obj, options);
            if (restored != null) trainer.restore(integer(settings, "completed_steps"), restored.adamM(), restored.adamV(), restored.ema());
            writeConfig(config, settings);
            err.printf(Locale.ROOT, "%s %s model: %,d parameters (%d layers, d=%d, %d heads), %s tokenizer, %s objective%n",
                    resume ? "Resuming" : "Training", attentionName(config), model.parameters().length,
                    config.layers(), config.dim(), config.heads(), tok.name(), obj.name());
            err.printf(Locale.ROOT, "data: %,d training tokens (%,d sequences of %d)%s; %d threads%s%n", split.train().length(),
                    trainBatches.windows(), L, valBatches == null ? ", no validation" : String.format(Locale.ROOT, ", %,d validation sequences", valBatches.windows()),
                    ThreadPool.shared().threads(), ThreadPool.shared().pinned() ? " (pinned)" : "");
            return runTraining(trainer, trainBatches, valBatches, settings, tok, config, options);
        }
    }

    /** Fine-tuning on prompt/response pairs: the rows are built in memory (SFT sets are small). */
    private int trainSft(Transformer model, Objective obj, TrainingOptions options, Map<String, Object> settings,
                         Tokenizer tok, ModelConfig config, Checkpoint restored) throws IOException {
        SftDataset train = SftDataset.read(Path.of((String) settings.get("data")), tok, options.seqLen(), options.seed(), true);
        SftDataset validation = settings.get("val") == null ? null
                : SftDataset.read(Path.of((String) settings.get("val")), tok, options.seqLen(), options.seed(), false);
        Trainer trainer = new Trainer(model, obj, options);
        if (restored != null) trainer.restore(integer(settings, "completed_steps"), restored.adamM(), restored.adamV(), restored.ema());
        writeConfig(config, settings);
        err.printf(Locale.ROOT, "SFT of a %s model: %,d parameters; %d examples (%d responses cut to --seq %d)%s%n",
                attentionName(config), model.parameters().length, train.size(), train.truncated(),
                options.seqLen(), validation == null ? ", no validation" : ", " + validation.size() + " validation examples");
        return runTraining(trainer, train, validation, settings, tok, config, options);
    }

    /**
     * The run's tokenizer: the stored one when resuming; with --init-from, the starting model's (which
     * must be the one asked for); a bpe:N vocabulary learned from --data; otherwise the named one.
     */
    private Tokenizer runTokenizer(Map<String, Object> settings, Checkpoint restored, Checkpoint init) throws IOException {
        if (restored != null) return Tokenizers.fromSpec(TokenizerSpec.fromJson(restored.tokenizer()));
        String name = (String) settings.get("tokenizer");
        if (init != null && init.tokenizer() != null) {
            return initTokenizer((String) settings.get("init_from"), TokenizerSpec.fromJson(init.tokenizer()), name);
        }
        if (!Tokenizers.isLearned(name)) return Tokenizers.byName(name);
        if (Boolean.TRUE.equals(settings.get("sft"))) {
            throw new IllegalArgumentException("--sft --tokenizer " + name + ": a vocabulary is learned from plain text, not from SFT pairs;"
                    + " fine-tune a model trained with it (--init-from), which brings its vocabulary");
        }
        long t0 = System.nanoTime();
        Corpus corpus = Corpus.open(Path.of((String) settings.get("data")), replaceMalformed);
        List<String> docs = new ArrayList<>();
        long chars = 0;
        for (int i = 0; i < corpus.files().size() && chars < BPE_SAMPLE_CHARS; i++) {
            String d = corpus.read(i);
            if (chars + d.length() > BPE_SAMPLE_CHARS) d = d.substring(0, (int) (BPE_SAMPLE_CHARS - chars));
            docs.add(d);
            chars += d.length();
        }
        err.printf(Locale.ROOT, "learning a %s vocabulary from %,d characters of %s...%n", name, chars, corpus.root());
        BpeTokenizer tok = BpeTrainer.train(docs, Tokenizers.learnedSize(name));
        Files.createDirectories(out);
        TokenizerJsonExport.write(tok, out.resolve("tokenizer.json"));
        err.printf(Locale.ROOT, "  %,d ids in %.1fs -> %s%n", tok.vocabSize(), (System.nanoTime() - t0) / 1e9, out.resolve("tokenizer.json"));
        return tok;
    }

    /** The --init-from model's tokenizer, when it is the one --tokenizer asks for. */
    private static Tokenizer initTokenizer(String from, TokenizerSpec have, String name) {
        // A learned vocabulary is the starting model's, whatever N says (learning may stop short of N).
        boolean learned = have.type().equals(BpeTokenizer.NAME);
        boolean same = learned ? Tokenizers.isLearned(name) : !Tokenizers.isLearned(name) && have.equals(Tokenizers.byName(name).spec());
        if (!same) {
            String flag = learned ? "bpe:" + have.vocabSize() + " (its learned vocabulary is reused)"
                    : have.type().equals("byte") ? "bytes" : have.type();
            throw new IllegalArgumentException("--init-from " + from + " was trained with the " + have + " tokenizer; pass --tokenizer " + flag);
        }
        return Tokenizers.fromSpec(have);
    }

    /** The checkpoint named by --init-from (a run directory or a file); {@link #runTokenizer} checks its tokenizer. */
    private static Checkpoint initCheckpoint(Map<String, Object> settings) {
        Path from = Path.of((String) settings.get("init_from"));
        return Checkpoint.load(Files.isDirectory(from) ? from.resolve(Checkpoint.FILE_NAME) : from);
    }

    /** A bpe:N vocabulary is learned from at most this much of the training text (the start of it). */
    static final long BPE_SAMPLE_CHARS = 64L << 20;

    private int runTraining(Trainer trainer, BatchSource train, BatchSource validation, Map<String, Object> settings,
                            Tokenizer tok, ModelConfig config, TrainingOptions options) throws IOException {
        Path metrics = out.resolve("metrics.jsonl");
        List<LossCurvePlot.Point> trainCurve = new ArrayList<>(), valCurve = new ArrayList<>();
        readCurves(metrics, trainCurve, valCurve, trainer.completedSteps());
        ProgressBar progress = new ProgressBar(options.steps());
        int startedAt = trainer.completedSteps();
        double[] lastVal = {Double.NaN};
        double[] smoothed = {Double.NaN};
        boolean keepsBest = Boolean.TRUE.equals(settings.get("keep_best")); // the option, or the resumed run's
        Path bestFile = out.resolve(BEST);
        double[] best = {keepsBest ? bestLoss(bestFile) : Double.NaN};
        int[] bestStep = {-1};
        Trainer.Listener listener = new Trainer.Listener() {
            @Override public void onStep(Trainer.StepMetrics m) {
                smoothed[0] = Double.isNaN(smoothed[0]) ? m.loss() : 0.95 * smoothed[0] + 0.05 * m.loss();
                trainCurve.add(new LossCurvePlot.Point(m.step(), m.loss()));
                appendMetrics(metrics, String.format(Locale.ROOT,
                        "{\"step\":%d,\"loss\":%.6f,\"lr\":%.6g,\"grad_norm\":%.5g,\"tokens_per_s\":%.1f,\"seconds\":%.4f}",
                        m.step(), m.loss(), m.lr(), m.gradNorm(), m.tokensPerSecond(), m.seconds()));
                progress.update(m.step(), startedAt, String.format(Locale.ROOT, "loss %.4f%s | %,.0f tok/s", smoothed[0],
                        Double.isNaN(lastVal[0]) ? "" : String.format(Locale.ROOT, " val %.4f", lastVal[0]), m.tokensPerSecond()));
                if (m.step() % 50 == 0) writePlot(trainCurve, valCurve, config, settings);
            }
            @Override public void onValidation(int step, double loss) {
                lastVal[0] = loss;
                valCurve.add(new LossCurvePlot.Point(step, loss));
                appendMetrics(metrics, String.format(Locale.ROOT, "{\"step\":%d,\"val_loss\":%.6f}", step, loss));
                writePlot(trainCurve, valCurve, config, settings);
                if (keepsBest && loss < best[0]) {
                    best[0] = loss;
                    bestStep[0] = step;
                    Map<String, Object> state = new LinkedHashMap<>(settings);
                    state.put("completed_steps", (long) step);
                    state.put(BEST_LOSS, loss);
                    save(new Checkpoint(config, trainer.model().parameters(), tok.spec().toJson(), Json.write(state),
                            null, null, trainer.emaParameters()), bestFile);
                }
            }
            @Override public void onCheckpoint(int completed) {
                settings.put("completed_steps", (long) completed);
                save(new Checkpoint(config, trainer.model().parameters(), tok.spec().toJson(), Json.write(settings),
                        trainer.optimizer().firstMoment(), trainer.optimizer().secondMoment(), trainer.emaParameters()), out.resolve(Checkpoint.FILE_NAME));
            }
        };
        try {
            trainer.run(train, validation, listener);
        } catch (NonFiniteLossException e) {
            err.println();
            err.println("jdlm train: " + e.getMessage());
            err.println("The last good checkpoint is " + out.resolve(Checkpoint.FILE_NAME) + " (if one was written before step " + e.step() + ").");
            return 3;
        }
        writePlot(trainCurve, valCurve, config, settings);
        err.printf(Locale.ROOT, "done: %d steps; last validation loss %s nats/token (%s bits/token)%n", trainer.completedSteps(),
                Double.isNaN(lastVal[0]) ? "n/a" : String.format(Locale.ROOT, "%.4f", lastVal[0]),
                Double.isNaN(lastVal[0]) ? "n/a" : String.format(Locale.ROOT, "%.4f", lastVal[0] / Math.log(2)));
        err.println("checkpoint: " + out.resolve(Checkpoint.FILE_NAME) + "   plot: " + out.resolve("loss.svg") + "   log: " + metrics);
        if (keepsBest) {
            err.println(bestStep[0] >= 0
                    ? String.format(Locale.ROOT, "best: %s, validation loss %.4f nats/token at step %d", bestFile, best[0], bestStep[0])
                    : Files.exists(bestFile) ? String.format(Locale.ROOT, "best: %s is still the best (validation loss %.4f nats/token)", bestFile, best[0])
                    : "best: none kept (this run never validated; see --eval-every)");
        }
        return 0;
    }

    private static void save(Checkpoint c, Path file) {
        try {
            c.save(file, DType.F32);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("could not write " + file, e);
        }
    }

    /** The validation loss best.safetensors was kept for, or +∞ when there is none yet (or it says none). */
    private static double bestLoss(Path file) {
        if (!Files.exists(file)) return Double.POSITIVE_INFINITY;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Object loss = Json.parseObject(f.metadata().getOrDefault("jdlm.training", "{}"), 1 << 20).get(BEST_LOSS);
            return loss instanceof Number n ? n.doubleValue() : Double.POSITIVE_INFINITY;
        }
    }

    private Map<String, Object> settingsFromOptions() {
        ModelPreset p = ModelPreset.named(preset);
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("data", data.toAbsolutePath().toString());
        s.put("val", val == null ? null : val.toAbsolutePath().toString());
        s.put("val_fraction", val == null ? valFraction : 0.0);
        s.put("objective", objective);
        s.put("schedule", schedule);
        s.put("block_size", objective.equals("bd3") ? (long) blockSize : null);
        s.put("diffusion_steps", objective.equals("uniform") ? (long) diffusionSteps : null);
        s.put("tokenizer", tokenizer.equals("bytes") ? "byte" : tokenizer);
        s.put("layers", (long) (layers != null ? layers : p.layers));
        s.put("dim", (long) (dim != null ? dim : p.dim));
        s.put("heads", (long) (heads != null ? heads : p.heads));
        s.put("kv_heads", kvHeads == null ? null : (long) (int) kvHeads);
        s.put("hidden", (long) (hidden != null ? hidden : p.hidden));
        s.put("context", (long) (context != null ? context : p.context));
        int n = steps != null ? steps : 1000;
        s.put("steps", (long) n);
        s.put("batch", (long) batch);
        s.put("seq", (long) seq);
        s.put("accumulate", (long) accumulate);
        s.put("lr", lr);
        s.put("min_lr", minLr != null ? minLr : lr / 10);
        s.put("warmup", (long) (warmup != null ? warmup : Math.min(200, n / 10)));
        s.put("lr_schedule", lrSchedule);
        s.put("decay_fraction", decayFraction);
        s.put("clip", clip);
        s.put("weight_decay", weightDecay);
        s.put("beta2", beta2);
        s.put("ema", ema);
        s.put("crop_probability", cropProbability);
        s.put("eval_every", (long) evalEvery);
        s.put("eval_batches", (long) evalBatches);
        s.put("checkpoint_every", (long) checkpointEvery);
        s.put("seed", seed);
        s.put("sft", sft);
        s.put("init_from", initFrom == null ? null : initFrom.toAbsolutePath().toString());
        s.put("keep_best", keepBest);
        s.put("completed_steps", 0L);
        // Fail on bad names now, before minutes of tokenising.
        objectiveKind(objective);
        if (!objective.equals("ar") && !objective.equals("llada")) NoiseSchedule.named(schedule);
        if (objective.equals("uniform") && diffusionSteps < 1) throw new IllegalArgumentException("--diffusion-steps must be at least 1, got " + diffusionSteps);
        if (objective.equals("bd3") && (blockSize < 1 || blockSize > seq)) {
            throw new IllegalArgumentException("--block-size must be in [1, --seq " + seq + "], got " + blockSize);
        }
        if (Tokenizers.isLearned((String) s.get("tokenizer"))) Tokenizers.learnedSize((String) s.get("tokenizer"));
        else Tokenizers.byName((String) s.get("tokenizer"));
        return s;
    }

    private static String objectiveKind(String name) {
        if (!List.of("mdlm", "sedd", "llada", "bd3", "uniform", "ar").contains(name)) {
            throw new IllegalArgumentException("unknown --objective '" + name + "'; expected mdlm, sedd, llada, bd3, uniform or ar");
        }
        return name;
    }

    static double number(Map<String, Object> s, String key) {
        return ((Number) s.get(key)).doubleValue();
    }

    private static int integer(Map<String, Object> s, String key) {
        return (int) ((Number) s.get(key)).longValue();
    }

    private static TrainingOptions trainingOptions(Map<String, Object> s) {
        int n = integer(s, "steps");
        LearningRateSchedule.Kind kind = switch ((String) s.get("lr_schedule")) {
            case "cosine" -> LearningRateSchedule.Kind.COSINE;
            case "wsd" -> LearningRateSchedule.Kind.WSD;
            case "constant" -> LearningRateSchedule.Kind.CONSTANT;
            default -> throw new IllegalArgumentException("unknown --lr-schedule '" + s.get("lr_schedule") + "'; expected cosine, wsd or constant");
        };
        LearningRateSchedule lr = new LearningRateSchedule(kind, number(s, "lr"), number(s, "min_lr"), integer(s, "warmup"), n, number(s, "decay_fraction"));
        return new TrainingOptions(n, integer(s, "batch"), integer(s, "seq"), integer(s, "accumulate"), lr, number(s, "clip"),
                number(s, "weight_decay"), 0.9, number(s, "beta2"), number(s, "ema"), integer(s, "eval_every"),
                integer(s, "eval_batches"), integer(s, "checkpoint_every"), ((Number) s.get("seed")).longValue());
    }

    /**
     * The block-diffusion model trained from --init-from: a masked model or a block model of any
     * block size becomes block-causal with --block-size (BD3-LM fine-tuned MDLM to blocks); a causal
     * one is adapted as Dream adapted to masked diffusion, its logits read from the state before
     * (a block's first token from the committed block before it). A block model trained on with
     * another objective is refused.
     */
    private ModelConfig blockModelFromInit(ModelConfig init, Map<String, Object> s) {
        String objective = (String) s.get("objective");
        if (!objective.equals("bd3")) {
            throw new IllegalArgumentException("the model of --init-from is a block-diffusion model (blocks of " + init.blockSize()
                    + "); it trains with --objective bd3, not " + objective);
        }
        int size = integer(s, "block_size");
        if (init.causal()) {
            err.println("adapting the causal model of --init-from to block diffusion with blocks of " + size
                    + ": attention becomes block-causal and each position's logits are read from the hidden state before it");
        } else if (init.blockSize() != size) {
            err.println("the model of --init-from becomes block-causal with blocks of " + size
                    + (init.blockCausal() ? " (it had " + init.blockSize() + ")" : " (it was bidirectional)"));
        }
        return init.withBlocks(size);
    }

    private static String attentionName(ModelConfig c) {
        return c.causal() ? "causal" : c.blockCausal() ? "block-causal (blocks of " + c.blockSize() + ")" : "bidirectional";
    }

    private static ModelConfig modelConfig(Map<String, Object> s, Tokenizer tok) {
        int h = integer(s, "heads"), d = integer(s, "dim");
        if (d % h != 0) throw new IllegalArgumentException("--dim " + d + " must be divisible by --heads " + h);
        int kv = s.get("kv_heads") == null ? h : integer(s, "kv_heads");
        ModelConfig.AttentionMode mode = s.get("objective").equals("ar") ? ModelConfig.AttentionMode.CAUSAL : ModelConfig.AttentionMode.BIDIRECTIONAL;
        ModelConfig c = new ModelConfig(integer(s, "layers"), d, h, kv, d / h, integer(s, "hidden"), tok.vocabSize(),
                integer(s, "context"), 10000.0, 1e-5f, mode, jdlm.tensor.Rope.Style.ADJACENT_PAIRS);
        return s.get("objective").equals("bd3") ? c.withBlocks(integer(s, "block_size")) : c;
    }

    private static Objective objective(Map<String, Object> s, Tokenizer tok, ModelConfig config) {
        return switch (objectiveKind((String) s.get("objective"))) {
            case "mdlm" -> new MaskedDiffusionObjective(NoiseSchedule.named((String) s.get("schedule")), tok.maskId(), 1e-3);
            case "sedd" -> new ScoreEntropyObjective(NoiseSchedule.named((String) s.get("schedule")), tok.maskId(), 1e-3);
            case "uniform" -> new UniformDiffusionObjective(NoiseSchedule.named((String) s.get("schedule")), tok.vocabSize(), tok.maskId(),
                    integer(s, "diffusion_steps"));
            case "bd3" -> new BlockDiffusionObjective(NoiseSchedule.named((String) s.get("schedule")), tok.maskId(), 1e-3, config.blockSize());
            case "llada" -> new LladaObjective(tok.maskId(), 1e-3, number(s, "crop_probability"));
            default -> new NextTokenObjective();
        };
    }

    private void tokenize(Path source, Tokenizer tok, Path target) throws IOException {
        long t0 = System.nanoTime();
        err.println("tokenizing " + source + " with the " + tok.name() + " tokenizer...");
        Corpus corpus = Corpus.open(source, replaceMalformed);
        TokenFile.write(corpus, tok, target);
        try (TokenFile f = TokenFile.open(target)) {
            err.printf(Locale.ROOT, "  %,d tokens from %d file(s) in %.1fs -> %s%n", f.size(), corpus.files().size(),
                    (System.nanoTime() - t0) / 1e9, target);
        }
    }

    private void writeConfig(ModelConfig config, Map<String, Object> settings) throws IOException {
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("model", config.toMap());
        all.put("training", settings);
        writeAtomically(out.resolve("config.json"), Json.writePretty(all) + "\n");
    }

    private void writePlot(List<LossCurvePlot.Point> trainCurve, List<LossCurvePlot.Point> valCurve, ModelConfig config, Map<String, Object> s) {
        String title = String.format(Locale.ROOT, "%s · %s · %d layers d=%d · %s", out.getFileName(), s.get("objective"), config.layers(), config.dim(), s.get("tokenizer"));
        try {
            writeAtomically(out.resolve("loss.svg"), LossCurvePlot.svg(title, trainCurve, valCurve));
        } catch (IOException e) {
            err.println("warning: could not write loss.svg: " + e.getMessage());
        }
    }

    private static void appendMetrics(Path metrics, String line) {
        try {
            Files.writeString(metrics, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("could not append to " + metrics, e);
        }
    }

    /** Re-reads the curve of a resumed run, dropping lines past the checkpoint (they will be redone). */
    private static void readCurves(Path metrics, List<LossCurvePlot.Point> train, List<LossCurvePlot.Point> val, int upTo) throws IOException {
        if (!Files.exists(metrics)) return;
        List<String> kept = new ArrayList<>();
        for (String line : Files.readAllLines(metrics)) {
            Map<String, Object> m;
            try {
                m = Json.parseObject(line, 10_000);
            } catch (RuntimeException e) {
                continue; // a line cut by a crash
            }
            long step = ((Number) m.get("step")).longValue();
            if (step > upTo) continue;
            kept.add(line);
            if (m.get("loss") instanceof Number l) train.add(new LossCurvePlot.Point(step, l.doubleValue()));
            if (m.get("val_loss") instanceof Number l) val.add(new LossCurvePlot.Point(step, l.doubleValue()));
        }
        writeAtomically(metrics, kept.isEmpty() ? "" : String.join("\n", kept) + "\n");
    }

    private static void writeAtomically(Path target, String text) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** For tests: the tokenizer spec a run stored. */
    static TokenizerSpec storedTokenizer(Path runDir) {
        return TokenizerSpec.fromJson(Checkpoint.load(runDir.resolve(Checkpoint.FILE_NAME)).tokenizer());
    }
}
