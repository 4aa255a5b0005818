package jdlm.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

import jdlm.app.bench.TorchTrainReference;
import jdlm.format.Json;
import jdlm.model.ModelConfig;
import jdlm.model.Transformer;
import jdlm.noise.LinearSchedule;
import jdlm.tensor.ThreadPool;
import jdlm.train.BatchSource;
import jdlm.train.LearningRateSchedule;
import jdlm.train.MaskedDiffusionObjective;
import jdlm.train.Trainer;
import jdlm.train.TrainingOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jdlm bench train}: training throughput (tokens/s) of one full step — random batch, MDLM
 * corruption, forward, weighted cross-entropy, backward, gradient clipping, AdamW — and, with
 * {@code --vs-torch}, the same step in PyTorch on the same machine, in interleaved rounds of the
 * same command (alternating which side goes first), each side's figure the median over its steps.
 */
@Command(name = "train",
        mixinStandardHelpOptions = true,
        description = "Training-step tokens/s of jdlm, optionally against PyTorch (fp32, same model and batch).")
public final class BenchTrainCommand implements Callable<Integer> {
    @Option(names = "--vs-torch", description = "Also time PyTorch (python3 + torch, launched as a separate process).")
    boolean vsTorch;

    @Option(names = "--json", description = "Print one JSON object instead of the table.")
    boolean json;

    @Option(names = "--layers", defaultValue = "6", description = "Blocks (default: ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--dim", defaultValue = "384", description = "Model width (default: ${DEFAULT-VALUE}).")
    int dim;

    @Option(names = "--heads", defaultValue = "6", description = "Attention heads (default: ${DEFAULT-VALUE}).")
    int heads;

    @Option(names = "--hidden", defaultValue = "1024", description = "SwiGLU inner width (default: ${DEFAULT-VALUE}).")
    int hidden;

    @Option(names = "--vocab", defaultValue = "259", description = "Vocabulary; the last id is MASK (default: ${DEFAULT-VALUE}).")
    int vocab;

    @Option(names = "--seq", defaultValue = "256", description = "Tokens per sequence (default: ${DEFAULT-VALUE}).")
    int seq;

    @Option(names = "--batch", defaultValue = "8", description = "Sequences per step (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--steps", defaultValue = "2", description = "Timed steps per side in each round (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--rounds", defaultValue = "6", description = "Interleaved rounds (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--warmup", defaultValue = "3", description = "Untimed steps per side first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--python", description = "Python interpreter with torch (default: /usr/bin/python3 if present, else python3).")
    String python;

    @Option(names = "--torch-env", paramLabel = "KEY=VALUE",
            description = "Set a variable in the torch process only, over jdlm's choices (e.g. OMP_WAIT_POLICY=ACTIVE,"
                    + " LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp). Repeatable.")
    Map<String, String> torchEnv = new LinkedHashMap<>();

    @Override
    public Integer call() {
        if (layers < 1 || dim < 1 || heads < 1 || hidden < 1 || vocab < 3 || seq < 2 || batch < 1 || steps < 1 || rounds < 1 || warmup < 0) {
            System.err.println("bench train: sizes must be positive (vocab ≥ 3, seq ≥ 2, warmup ≥ 0)");
            return 2;
        }
        if (dim % heads != 0 || (dim / heads) % 2 != 0) {
            System.err.println("bench train: --dim (" + dim + ") must be a multiple of --heads (" + heads + ") with an even head size");
            return 2;
        }
        ModelConfig config = ModelConfig.of(layers, dim, heads, hidden, vocab, seq, ModelConfig.AttentionMode.BIDIRECTIONAL);
        int threads = ThreadPool.shared().threads();
        String loadBefore = loadAverage();

        TorchTrainReference torch = null;
        if (vsTorch) {
            progress("starting PyTorch (" + (python == null ? TorchTrainReference.defaultPython() : python) + ")");
            try {
                torch = TorchTrainReference.start(python == null ? TorchTrainReference.defaultPython() : python,
                        new TorchTrainReference.Shape(layers, dim, heads, hidden, vocab, seq, batch), threads, torchEnv);
            } catch (TorchTrainReference.UnavailableException e) {
                System.err.println("bench train --vs-torch: " + e.getMessage());
                return 1;
            }
        }
        try {
            return measure(config, threads, loadBefore, torch);
        } finally {
            if (torch != null) torch.close();
        }
    }

    private int measure(ModelConfig config, int threads, String loadBefore, TorchTrainReference torch) {
        Trainer trainer = trainer(config);
        BatchSource data = randomTokens(vocab - 1); // never the MASK id, which is vocab − 1
        double[] ours = new double[rounds * steps], theirs = torch == null ? null : new double[rounds * steps];

        progress("warm-up: " + warmup + " step(s) per side");
        double jdlmFirstLoss = Double.NaN;
        for (int i = 0; i < warmup; i++) {
            double loss = trainer.step(data).loss();
            if (i == 0) jdlmFirstLoss = loss;
        }
        if (torch != null && warmup > 0) torch.run(warmup);
        double torchFirstLoss = torch == null ? Double.NaN : torch.lastLoss();

        double jdlmLoss = Double.NaN;
        for (int r = 0; r < rounds; r++) {
            progress("round " + (r + 1) + " of " + rounds + ": " + steps + " step(s) per side");
            boolean torchFirst = torch != null && r % 2 == 1; // alternate, so drift in the machine's load hits both sides
            if (torchFirst) System.arraycopy(torch.run(steps), 0, theirs, r * steps, steps);
            for (int i = 0; i < steps; i++) {
                Trainer.StepMetrics m = trainer.step(data);
                ours[r * steps + i] = m.seconds();
                jdlmLoss = m.loss();
            }
            if (torch != null && !torchFirst) System.arraycopy(torch.run(steps), 0, theirs, r * steps, steps);
        }

        double tokens = (double) batch * seq;
        double flopsPerStep = 3.0 * tokens * config.forwardFlopsPerToken(seq);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("layers", (long) layers);
        out.put("dim", (long) dim);
        out.put("heads", (long) heads);
        out.put("hidden", (long) hidden);
        out.put("vocab", (long) vocab);
        out.put("seq", (long) seq);
        out.put("batch", (long) batch);
        out.put("objective", "mdlm linear schedule, weighted cross-entropy, clip 1.0, AdamW");
        out.put("threads", (long) threads);
        out.put("pinned", ThreadPool.shared().pinned());
        out.put("load_before", loadBefore);
        out.put("load_after", loadAverage());
        double jdlmMedian = median(ours);
        out.put("jdlm_tokens_per_s", tokens / jdlmMedian);
        out.put("jdlm_step_seconds_median", jdlmMedian);
        out.put("jdlm_gflops", flopsPerStep / jdlmMedian / 1e9);
        out.put("jdlm_first_loss", finiteOrNull(jdlmFirstLoss));
        out.put("jdlm_last_loss", finiteOrNull(jdlmLoss));
        out.put("jdlm_step_seconds", toList(ours));
        if (torch != null) {
            double torchMedian = median(theirs);
            Map<String, Object> info = torch.info();
            out.put("torch_tokens_per_s", tokens / torchMedian);
            out.put("torch_step_seconds_median", torchMedian);
            out.put("torch_gflops", flopsPerStep / torchMedian / 1e9);
            out.put("torch_first_loss", finiteOrNull(torchFirstLoss));
            out.put("torch_last_loss", finiteOrNull(torch.lastLoss()));
            out.put("torch_step_seconds", toList(theirs));
            out.put("train_tokens_per_s_vs_torch", torchMedian / jdlmMedian);
            out.put("round_ratios", toList(roundRatios(ours, theirs)));
            out.put("torch_version", info.get("torch_version"));
            out.put("torch_python", info.get("python"));
            out.put("torch_threads", info.get("threads"));
            out.put("torch_attention", info.get("attention"));
            out.put("torch_blas_libraries", info.get("blas_libraries"));
            out.put("torch_openblas", info.get("openblas"));
            out.put("torch_openblas_coretype_env", info.get("openblas_coretype_env"));
            out.put("torch_env", new java.util.TreeMap<String, Object>(torch.environment()));
            out.put("torch_params", info.get("params"));
            out.put("torch_parallel_info", info.get("parallel_info"));
            out.put("torch_config", info.get("config_show"));
        }
        out.put("jdlm_params", (long) trainer.model().parameters().length);

        if (json) {
            System.out.println(Json.write(out));
        } else {
            printTable(out, torch != null);
        }
        return 0;
    }

    private void printTable(Map<String, Object> r, boolean withTorch) {
        System.out.printf(Locale.ROOT, "jdlm bench train: %d layers, d=%d, %d heads, SwiGLU %d, vocab %d, bidirectional; seq %d × batch %d;"
                + " MDLM loss + AdamW, fp32%n", layers, dim, heads, hidden, vocab, seq, batch);
        System.out.printf(Locale.ROOT, "%d rounds × %d steps per side after %d warm-up; threads %d (jdlm pinned=%s); load before %s, after %s%n",
                rounds, steps, warmup, r.get("threads"), r.get("pinned"), r.get("load_before"), r.get("load_after"));
        System.out.printf(Locale.ROOT, "%-20s %12s %12s %10s %10s %12s%n", "", "tokens/s", "step ms", "GFLOP/s", "first loss", "params");
        row("jdlm", r, "jdlm");
        if (withTorch) {
            row("torch " + r.get("torch_version"), r, "torch");
            System.out.printf(Locale.ROOT, "train_tokens_per_s_vs_torch = %.2fx  (per round: %s)%n", (Double) r.get("train_tokens_per_s_vs_torch"),
                    ((List<?>) r.get("round_ratios")).stream().map(x -> String.format(Locale.ROOT, "%.2f", (Double) x)).toList());
            System.out.println("torch: " + r.get("torch_threads") + " threads, attention " + r.get("torch_attention")
                    + ", python " + r.get("torch_python"));
            System.out.println("torch environment: " + r.get("torch_env"));
            System.out.println("torch BLAS: " + describeBlas(r));
        }
        System.out.println("(GFLOP/s counts a training step as 3 forwards; loss in nats/token, both start near ln(vocab−1))");
    }

    private static void row(String name, Map<String, Object> r, String key) {
        System.out.printf(Locale.ROOT, "%-20s %12.0f %12.1f %10.1f %10.3f %12s%n", name, (Double) r.get(key + "_tokens_per_s"),
                1000 * (Double) r.get(key + "_step_seconds_median"), (Double) r.get(key + "_gflops"),
                r.get(key + "_first_loss") instanceof Double d ? d : Double.NaN, r.get(key + "_params"));
    }

    /** Which BLAS torch has mapped, and OpenBLAS's kernel when it is OpenBLAS; warns on a slow one. */
    static String describeBlas(Map<String, Object> r) {
        Object libs = r.get("torch_blas_libraries");
        StringBuilder sb = new StringBuilder(String.valueOf(libs));
        if (r.get("torch_openblas") instanceof Map<?, ?> ob) {
            sb.append("; OpenBLAS core ").append(ob.get("corename")).append(" (OPENBLAS_CORETYPE=")
                    .append(r.get("torch_openblas_coretype_env")).append("), ").append(ob.get("threads")).append(" threads, ")
                    .append(ob.get("config"));
        } else if (libs instanceof List<?> l && l.stream().anyMatch(p -> String.valueOf(p).contains("/blas/"))) {
            sb.append("\nWARNING: torch uses the reference BLAS (about 50x slower than OpenBLAS); run"
                    + " scripts/install-torch-reference.sh or update-alternatives --config libblas.so.3-x86_64-linux-gnu");
        }
        return sb.toString();
    }

    private Trainer trainer(ModelConfig config) {
        int total = warmup + rounds * steps;
        TrainingOptions options = new TrainingOptions(total, batch, seq, 1,
                new LearningRateSchedule(LearningRateSchedule.Kind.CONSTANT, 3e-4, 0, 0, total, 0),
                1.0, 0.1, 0.9, 0.95, 0, 0, 0, 0, 1);
        return new Trainer(Transformer.initialized(config, 1234),
                new MaskedDiffusionObjective(new LinearSchedule(1e-3), vocab - 1, 1e-3), options);
    }

    /** Uniform random tokens in [0, bound); batch {@code index} is always the same. */
    private static BatchSource randomTokens(int bound) {
        return (index, out, b, len) -> {
            SplittableRandom rng = new SplittableRandom(index);
            for (int i = 0; i < b * len; i++) out[i] = rng.nextInt(bound);
        };
    }

    /** JSON has no NaN: a loss that is not finite is written as null. */
    private static Double finiteOrNull(double d) {
        return Double.isFinite(d) ? d : null;
    }

    /** jdlm's speed over torch's within each round (median step of each side): the spread shows the machine's noise. */
    private double[] roundRatios(double[] ours, double[] theirs) {
        double[] r = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            r[i] = median(Arrays.copyOfRange(theirs, i * steps, (i + 1) * steps)) / median(Arrays.copyOfRange(ours, i * steps, (i + 1) * steps));
        }
        return r;
    }

    private static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    private static List<Object> toList(double[] x) {
        return Arrays.stream(x).boxed().map(d -> (Object) d).toList();
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "n/a";
        }
    }

    private static void progress(String what) {
        System.err.println("bench train: " + what + "...");
    }
}
