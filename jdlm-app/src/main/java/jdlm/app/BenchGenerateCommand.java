package jdlm.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import jdlm.LoadedModel;
import jdlm.eval.GenerativePerplexity;
import jdlm.format.Json;
import jdlm.model.ModelConfig;
import jdlm.model.Transformer;
import jdlm.noise.LinearSchedule;
import jdlm.sample.AncestralPolicy;
import jdlm.sample.AutoregressiveOptions;
import jdlm.sample.AutoregressiveSampler;
import jdlm.sample.BlockCache;
import jdlm.sample.Canvas;
import jdlm.sample.ConfidencePolicy;
import jdlm.sample.DiffusionSampler;
import jdlm.sample.GenerationResult;
import jdlm.sample.SamplerOptions;
import jdlm.sample.SpecialTokens;
import jdlm.sample.StepListener;
import jdlm.sample.ThresholdPolicy;
import jdlm.sample.TokenChooser;
import jdlm.sample.TransformerDenoiser;
import jdlm.tensor.ThreadPool;
import jdlm.tokenizer.ByteTokenizer;
import jdlm.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jdlm bench generate}: the field's headline comparison — tokens per second of diffusion
 * decoding against the autoregressive twin with its KV cache, on the same prompts and length, with
 * the quality of what each wrote: generative perplexity under the AR twin, always next to the
 * samples' entropy (repetitive text must not pass for good text).
 *
 * <p>With {@code --random-size} it instead times a large random-weight pair (speed only): on a CPU the
 * AR side streams every weight once per token (memory-bound) while a diffusion step multiplies the
 * whole canvas by every weight (compute-bound), so the trade-off moves with model size.
 */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Diffusion vs autoregressive generation: tokens/s, forward passes, generative perplexity and entropy.",
                "Example: ./jdlm bench generate --masked models/default --ar models/default-ar --json"})
final class BenchGenerateCommand implements Callable<Integer> {
    @Option(names = "--masked", paramLabel = "MODEL", description = "Masked- or block-diffusion model (default: models/default).")
    Path masked;
    @Option(names = "--ar", paramLabel = "MODEL", description = "Its autoregressive twin, also the judge of quality (default: models/default-ar).")
    Path ar;
    @Option(names = "--length", defaultValue = "256", description = "Tokens generated per prompt, n (default: ${DEFAULT-VALUE}).")
    int length;
    @Option(names = "--prompts", defaultValue = "4", description = "Number of prompts (default: ${DEFAULT-VALUE}).")
    int prompts;
    @Option(names = "--prompt-tokens", defaultValue = "32", description = "Tokens per prompt, cut from --data (default: ${DEFAULT-VALUE}).")
    int promptTokens;
    @Option(names = "--data", paramLabel = "PATH", description = "Text the prompts are cut from (default: ../shared/data/austen_valid.txt when present).")
    Path data;
    @Option(names = "--block", defaultValue = "32", description = "Block length of the semi-autoregressive rows (default: ${DEFAULT-VALUE}).")
    int block;
    @Option(names = "--temperature", defaultValue = "1.0", description = "Sampling temperature of both sides (default: ${DEFAULT-VALUE}).")
    double temperature;
    @Option(names = "--random-size", paramLabel = "PARAMS", description = "Speed only, on a random-weight pair of about this many parameters, e.g. 150M.")
    String randomSize;
    @Option(names = "--plot", paramLabel = "SVG", description = "Where to draw the speed/quality plot (default: bench-generate.svg).")
    Path plot = Path.of("bench-generate.svg");
    @Option(names = "--json", description = "Print one JSON object instead of the table.")
    boolean json;
    @Option(names = "--seed", defaultValue = "0", description = "Sampling seed (default: ${DEFAULT-VALUE}).")
    long seed;
    @Spec CommandSpec spec;

    /** One decoding configuration's aggregate over the prompts. */
    record Row(String name, String kind, int steps, double tokensPerSecond, double forwardPasses, double perplexity, double entropy) {}

    @Override
    public Integer call() throws IOException {
        if (length < 8 || length % 8 != 0) throw new IllegalArgumentException("--length must be a positive multiple of 8 (K runs down to n/8), got " + length);
        Transformer maskedModel, arModel;
        Tokenizer tok;
        String what;
        if (randomSize != null) {
            ModelConfig c = randomConfig(parseParameterCount("--random-size", randomSize), promptTokens + length);
            Transformer t = Transformer.initialized(c, 7);
            maskedModel = t;
            arModel = new Transformer(c.withAttention(ModelConfig.AttentionMode.CAUSAL), t.parameters()); // same weights
            tok = new ByteTokenizer();
            what = String.format(Locale.ROOT, "random-weight pair, %,d parameters (%d layers, d=%d)", t.parameters().length, c.layers(), c.dim());
        } else {
            LoadedModel m = LoadedModel.open(masked != null ? masked : ModelOptions.bundledDefault(), false, spec.commandLine().getErr()::println);
            LoadedModel a = LoadedModel.open(ar != null ? ar : ModelOptions.bundledDefault().resolveSibling("default-ar"), false, spec.commandLine().getErr()::println);
            if (m.causal() || !a.causal()) throw new IllegalArgumentException("--masked must be a masked-diffusion model and --ar a causal one");
            if (m.uniform()) throw new IllegalArgumentException("--masked " + m.file() + " is a uniform-diffusion model; bench generate compares masked and block diffusion with the AR twin");
            if (!m.tokenizer().spec().equals(a.tokenizer().spec())) throw new IllegalArgumentException("--masked and --ar use different tokenizers");
            maskedModel = m.model();
            arModel = a.model();
            tok = m.tokenizer();
            what = String.format(Locale.ROOT, "trained pair %s (%,d parameters) and %s", m.file(), maskedModel.parameters().length, a.file());
        }
        // a block-diffusion model decodes in its own blocks, always with its exact KV cache
        int modelBlock = maskedModel.config().blockSize(), blockLength = modelBlock > 0 ? modelBlock : block;
        if (length % blockLength != 0) {
            throw new IllegalArgumentException("--length " + length + " must be divisible by " + (modelBlock > 0 ? "the model's blocks of " : "--block ") + blockLength);
        }
        int context = Math.min(maskedModel.config().contextLength(), arModel.config().contextLength());
        if (promptTokens + length > context) {
            throw new IllegalArgumentException("--prompt-tokens " + promptTokens + " plus --length " + length + " exceed the models' context length "
                    + context + "; lower --length (a multiple of 8) or --prompt-tokens");
        }
        int[][] promptIds = prompts(tok);
        List<Row> rows = new ArrayList<>();
        GenerativePerplexity judge = randomSize == null ? new GenerativePerplexity(arModel) : null;

        // the autoregressive twin with its KV cache
        rows.add(run("AR + KV cache", "ar", length, promptIds, judge, p -> new AutoregressiveSampler(arModel)
                .generate(p, new AutoregressiveOptions(length, chooser(), -1, seed), StepListener.NONE)));
        DiffusionSampler sampler = new DiffusionSampler(new TransformerDenoiser(maskedModel), new SpecialTokens(tok.maskId(), tok.eosId(), tok.padId()));
        int n = length;
        int[] stepCounts = randomSize != null ? new int[] {n / 4, n / 8} : new int[] {n, n / 2, n / 4, n / 8};
        for (int k : stepCounts) {
            for (int b : modelBlock > 0 ? new int[] {modelBlock} : new int[] {n, block}) {
                if (k % (n / b) != 0) continue;
                SamplerOptions o = SamplerOptions.of(k, modelBlock > 0 ? 0 : b).withTokens(chooser()).withPolicy(new ConfidencePolicy())
                        .withEos(false, false, false, false).withSeed(seed);
                if (modelBlock > 0) {
                    SamplerOptions kv = o.withBlockCache(true);
                    rows.add(run("block diffusion K=" + k + ", blocks of " + b + ", KV cache", "diffusion", k, promptIds, judge,
                            p -> sampler.generate(Canvas.completion(new int[][] {p}, n, tok.maskId()), kv, StepListener.NONE)));
                    continue;
                }
                String name = "diffusion K=" + k + (b == n ? "" : ", blocks of " + b);
                rows.add(run(name, "diffusion", k, promptIds, judge, p -> sampler.generate(Canvas.completion(new int[][] {p}, n, tok.maskId()), o, StepListener.NONE)));
                if (b != n && k > n / b) { // Fast-dLLM's caches: they pay off when a block takes several steps
                    for (BlockCache kind : new BlockCache[] {BlockCache.PREFIX, BlockCache.DUAL}) {
                        SamplerOptions cached = o.withBlockCache(kind);
                        rows.add(run(name + ", " + kind.name().toLowerCase(Locale.ROOT) + " cache", "diffusion", k, promptIds, judge,
                                p -> sampler.generate(Canvas.completion(new int[][] {p}, n, tok.maskId()), cached, StepListener.NONE)));
                    }
                }
            }
        }
        if (randomSize == null) { // random weights are never confident: threshold would commit one token per step
            SamplerOptions thr = SamplerOptions.of(n, modelBlock > 0 ? 0 : block).withTokens(chooser()).withPolicy(new ThresholdPolicy(0.9))
                    .withEos(false, false, false, false).withSeed(seed);
            if (modelBlock == 0) {
                rows.add(run("threshold τ=0.9, blocks of " + block, "diffusion", n, promptIds, judge,
                        p -> sampler.generate(Canvas.completion(new int[][] {p}, n, tok.maskId()), thr, StepListener.NONE)));
            }
            SamplerOptions thrCached = thr.withBlockCache(true);
            rows.add(run("threshold τ=0.9, blocks of " + blockLength + (modelBlock > 0 ? ", KV cache" : ", dual cache"), "diffusion", n, promptIds, judge,
                    p -> sampler.generate(Canvas.completion(new int[][] {p}, n, tok.maskId()), thrCached, StepListener.NONE)));
        }
        if (randomSize == null && modelBlock == 0) { // MDLM's ancestral sampler decodes the canvas as one block
            SamplerOptions anc = SamplerOptions.of(n, n).withTokens(chooser()).withPolicy(new AncestralPolicy(new LinearSchedule(1e-3)))
                    .withEos(false, false, false, false).withSeed(seed);
            rows.add(run("MDLM ancestral K=" + n, "diffusion", n, promptIds, judge,
                    p -> sampler.generate(Canvas.completion(new int[][] {p}, n, tok.maskId()), anc, StepListener.NONE)));
        }
        report(what, rows);
        spec.commandLine().getOut().flush();
        return 0;
    }

    private TokenChooser chooser() {
        return new TokenChooser(temperature, 0, 1.0);
    }

    private interface Generation {
        GenerationResult generate(int[] prompt);
    }

    private Row run(String name, String kind, int steps, int[][] promptIds, GenerativePerplexity judge, Generation g) {
        spec.commandLine().getErr().println("bench generate: " + name + "...");
        // JIT warm-up: up to 3 calls within 2 s (a first call of a large model already runs compiled code for most of its time)
        long warmEnd = System.nanoTime() + 2_000_000_000L;
        for (int i = 0; i < 3 && System.nanoTime() < warmEnd; i++) g.generate(promptIds[i % promptIds.length]);
        long nanos = 0, tokens = 0, passes = 0;
        int[][] samples = new int[promptIds.length][];
        for (int i = 0; i < promptIds.length; i++) {
            GenerationResult r = g.generate(promptIds[i]);
            nanos += r.wallNanos();
            tokens += r.answers()[0].length;
            passes += r.forwardPasses();
            int[] answer = r.answers()[0];
            samples[i] = new int[promptIds[i].length + answer.length];
            System.arraycopy(promptIds[i], 0, samples[i], 0, promptIds[i].length);
            System.arraycopy(answer, 0, samples[i], promptIds[i].length, answer.length);
        }
        double ppl = Double.NaN, entropy = Double.NaN;
        if (judge != null) {
            GenerativePerplexity.Result q = judge.score(samples, promptTokens);
            ppl = q.perplexity();
            entropy = q.entropy();
        }
        return new Row(name, kind, steps, tokens / (nanos / 1e9), (double) passes / promptIds.length, ppl, entropy);
    }

    private int[][] prompts(Tokenizer tok) throws IOException {
        Path source = data != null ? data : Path.of("../shared/data/austen_valid.txt");
        int[] ids;
        if (Files.isRegularFile(source)) {
            ids = tok.encode(Files.readString(source, StandardCharsets.UTF_8));
        } else if (data != null) {
            throw new IllegalArgumentException("--data " + data + " is not a file");
        } else {
            ids = tok.encode("It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife. ".repeat(prompts + 1));
        }
        if (ids.length < prompts * promptTokens) throw new IllegalArgumentException("the prompt text is too short for " + prompts + " prompts of " + promptTokens + " tokens");
        int[][] out = new int[prompts][];
        long stride = ids.length / prompts;
        for (int i = 0; i < prompts; i++) out[i] = java.util.Arrays.copyOfRange(ids, (int) (i * stride), (int) (i * stride) + promptTokens);
        return out;
    }

    /** A LLaDA-shaped model of about {@code params} parameters: d = 64·heads, 4d/3·2 SwiGLU, byte vocabulary. */
    static ModelConfig randomConfig(long params, int context) {
        int[][] shapes = {{8, 512, 8}, {12, 768, 12}, {12, 1024, 16}, {16, 1280, 20}, {20, 1536, 24}, {24, 2048, 32}};
        int[] best = shapes[0];
        for (int[] s : shapes) {
            long p = s[0] * (4L * s[1] * s[1] + 3L * s[1] * hidden(s[1]));
            if (p <= params * 1.2) best = s;
        }
        return ModelConfig.of(best[0], best[1], best[2], hidden(best[1]), ByteTokenizer.VOCAB_SIZE, context, ModelConfig.AttentionMode.BIDIRECTIONAL);
    }

    private static int hidden(int dim) {
        return (8 * dim / 3 + 63) / 64 * 64;
    }

    /** A parameter count such as 150M or 0.3B (decimal units); {@code option} names it in the error. */
    static long parseParameterCount(String option, String s) {
        String t = s.trim().toUpperCase(Locale.ROOT);
        double mult = t.endsWith("M") ? 1e6 : t.endsWith("B") ? 1e9 : t.endsWith("K") ? 1e3 : 1;
        try {
            return (long) (Double.parseDouble(mult == 1 ? t : t.substring(0, t.length() - 1)) * mult);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " '" + s + "' is not a parameter count; expected e.g. 150M or 0.3B");
        }
    }

    private void report(String what, List<Row> rows) throws IOException {
        java.io.PrintWriter out = spec.commandLine().getOut();
        double arSpeed = rows.get(0).tokensPerSecond();
        if (json) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("models", what);
            j.put("length", (long) length);
            j.put("prompts", (long) prompts);
            j.put("threads", (long) ThreadPool.shared().threads());
            j.put("pinned", ThreadPool.shared().pinned());
            List<Object> list = new ArrayList<>();
            for (Row r : rows) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", r.name());
                m.put("tokens_per_s", r.tokensPerSecond());
                m.put("vs_ar_speed", r.tokensPerSecond() / arSpeed);
                m.put("forward_passes", r.forwardPasses());
                if (!Double.isNaN(r.perplexity())) {
                    m.put("gen_perplexity", r.perplexity());
                    m.put("entropy", r.entropy());
                }
                list.add(m);
            }
            j.put("rows", list);
            out.println(Json.write(j));
        } else {
            out.printf(Locale.ROOT, "bench generate: %s; n=%d, %d prompts of %d tokens, temperature %.2f, %d threads (pinned=%s)%n",
                    what, length, prompts, promptTokens, temperature, ThreadPool.shared().threads(), ThreadPool.shared().pinned());
            out.printf(Locale.ROOT, "%-46s %10s %8s %9s %10s %8s%n", "", "tokens/s", "vs AR", "passes", "gen PPL", "entropy");
            for (Row r : rows) {
                out.printf(Locale.ROOT, "%-46s %10.1f %7.2fx %9.0f %10s %8s%n", r.name(), r.tokensPerSecond(), r.tokensPerSecond() / arSpeed,
                        r.forwardPasses(), Double.isNaN(r.perplexity()) ? "-" : String.format(Locale.ROOT, "%.2f", r.perplexity()),
                        Double.isNaN(r.entropy()) ? "-" : String.format(Locale.ROOT, "%.3f", r.entropy()));
            }
            out.println("(gen PPL: perplexity of the generated tokens under the AR twin; entropy: mean unigram entropy of each sample, nats)");
        }
        if (randomSize == null) {
            Files.writeString(plot, SpeedQualityPlot.svg("diffusion vs AR: speed and quality (n=" + length + ")", rows));
            spec.commandLine().getErr().println("plot: " + plot.toAbsolutePath());
        }
    }
}
