package jdlm.app;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

import jdlm.LoadedModel;
import jdlm.eval.Estimate;
import jdlm.eval.LikelihoodEvaluator;
import jdlm.format.Json;
import jdlm.noise.NoiseSchedule;
import jdlm.tokenizer.Tokenizer;
import jdlm.train.data.Corpus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jdlm eval}: likelihood of a text under a model (DESIGN.md §4), in bits per token and bits per
 * byte. A masked-diffusion model gets three upper bounds on its NLL — the continuous NELBO (Monte
 * Carlo over t, antithetic), the LLaDA bound and the discrete T-step NELBO — each with its standard
 * error; a causal model gets its exact NLL. With {@code --left-to-right} a masked model also gets the
 * exact NLL of reading each window in order, one token at a time (L forward passes per window).
 *
 * <p>The text is tokenised like training data (documents joined by EOS) and cut into consecutive
 * windows of L tokens; the tail shorter than a window is left out.
 */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Likelihood of a text under a model, in bits per token and bits per byte.",
                "Masked models: continuous NELBO, LLaDA bound and discrete-T NELBO (upper bounds on the NLL, with standard errors;"
                        + " block-diffusion models: the same, block by block); causal models: the exact NLL.",
                "Example: ./jdlm eval --model runs/austen --data ../shared/data/austen_valid.txt --max-sequences 64"})
final class EvalCommand implements Callable<Integer> {
    @Mixin ModelOptions modelOptions;
    @Option(names = "--data", required = true, paramLabel = "PATH", description = "Text to evaluate: a UTF-8 file or a directory of them.")
    Path data;
    @Option(names = "--seq", paramLabel = "L", description = "Tokens per window (default: the model's training --seq if recorded, else min(256, context)).")
    Integer seq;
    @Option(names = "--batch", defaultValue = "8", paramLabel = "B", description = "Windows per forward pass (default: ${DEFAULT-VALUE}).")
    int batch;
    @Option(names = "--samples", defaultValue = "4", paramLabel = "N", description = "Monte-Carlo samples per window for each bound (default: ${DEFAULT-VALUE}).")
    int samples;
    @Option(names = "--steps", paramLabel = "T", description = "T of the discrete-time NELBO (default: 64; a uniform-diffusion model: the T it was trained with).")
    Integer stepsOption;
    private int steps; // --steps, or its default for the model
    @Option(names = "--schedule", paramLabel = "NAME", description = "Masking schedule of the bounds: linear, cosine, polyK (default: the one the model was trained with, else linear).")
    String schedule;
    @Option(names = "--max-sequences", paramLabel = "N", description = "Evaluate at most the first N windows (default: all).")
    Integer maxSequences;
    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Seed of the Monte-Carlo masks and times (default: ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--left-to-right", description = "Masked models: also the exact NLL of reading each window left to right, one token"
            + " at a time, in the order generate --block 1 decodes: a likelihood, not a bound; L forward passes per window.")
    boolean leftToRight;
    @Option(names = "--mask-rates", paramLabel = "N", description = "Masked models: also the cross-entropy per masked token at N masking rates"
            + " (1/2N, 3/2N, ..., 1 - 1/2N of each window masked), beside the evaluated text's own unigram entropy: whether the model uses"
            + " its context (one that ignores it scores about the unigram entropy at every rate).")
    Integer maskRates;
    @Option(names = "--replace-malformed", description = "Replace invalid UTF-8 with U+FFFD instead of stopping.")
    boolean replaceMalformed;
    @Option(names = "--json", description = "Print one JSON object instead of the table.")
    boolean json;
    @Spec CommandSpec spec;

    /** Windows per evaluator call: small enough for a live progress bar, a multiple of the batch (antithetic t). */
    private static final int CHUNK_BATCHES = 4;

    /** Estimates of a masked model, in order: the three bounds, then (with --left-to-right) the exact left-to-right NLL. */
    private static final int CONTINUOUS = 0, LLADA = 1, DISCRETE = 2, LEFT_TO_RIGHT = 3;

    static final String BYTES_COUNTED = "UTF-8 bytes of the evaluated tokens' text: each token counts the bytes it decodes to,"
            + " special tokens (the EOS between documents) count 0";

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        if (batch < 1) throw new IllegalArgumentException("--batch must be at least 1, got " + batch);
        if (samples < 1) throw new IllegalArgumentException("--samples must be at least 1, got " + samples);
        if (stepsOption != null && stepsOption < 1) throw new IllegalArgumentException("--steps (T of the discrete bound) must be at least 1, got " + stepsOption);
        if (maxSequences != null && maxSequences < 1) throw new IllegalArgumentException("--max-sequences must be at least 1, got " + maxSequences);
        LoadedModel m = modelOptions.open(err::println);
        int context = m.config().contextLength();
        int len = seq != null ? seq : m.trainingSeq() > 0 && m.trainingSeq() <= context ? m.trainingSeq() : Math.min(256, context);
        if (len > context) throw new IllegalArgumentException("--seq " + len + " is larger than the model's context length " + context);
        if (len < 2) throw new IllegalArgumentException("--seq must be at least 2, got " + len);
        if (maskRates != null && m.causal()) {
            throw new IllegalArgumentException("--mask-rates is for masked models; " + m.file() + " is causal");
        }
        if (maskRates != null && (maskRates < 1 || maskRates > len)) {
            throw new IllegalArgumentException("--mask-rates must be in [1, " + len + "] (the window length), got " + maskRates);
        }
        if (m.uniform() && (maskRates != null || leftToRight)) {
            throw new IllegalArgumentException((leftToRight ? "--left-to-right" : "--mask-rates") + " is for masked models; " + m.file()
                    + " is a uniform-diffusion model, whose noise is random tokens, not MASK");
        }
        steps = stepsOption != null ? stepsOption : m.uniform() ? m.diffusionSteps() : 64;
        if (leftToRight && m.causal()) {
            throw new IllegalArgumentException("--left-to-right is for masked models; " + m.file() + " is causal, and its NLL is already exact left to right");
        }
        NoiseSchedule sched = schedule != null ? NoiseSchedule.named(schedule) : m.schedule();

        Tokenizer tok = m.tokenizer();
        Corpus corpus = Corpus.open(data, replaceMalformed);
        long limit = maxSequences != null ? (long) maxSequences * len : Long.MAX_VALUE;
        int[] stream = tokenize(corpus, tok, limit);
        int windows = stream.length / len;
        if (windows == 0) {
            throw new IllegalArgumentException("--data " + data + " has " + stream.length + " tokens, fewer than one window of --seq "
                    + len + "; give more text or a smaller --seq");
        }
        int[] tokens = Arrays.copyOf(stream, windows * len);

        List<Estimate> estimates = new ArrayList<>();
        List<Long> bytes = new ArrayList<>();
        LikelihoodEvaluator evaluator = new LikelihoodEvaluator(m.model(), tok.maskId(), batch);
        int chunk = batch * CHUNK_BATCHES;
        int bounds = m.causal() || m.uniform() ? 1 : leftToRight ? 4 : 3;
        long work = (long) windows * (m.causal() ? 1 : bounds * samples + (leftToRight ? len : 0) + (maskRates == null ? 0 : maskRates * samples));
        int rates = maskRates == null ? 0 : maskRates;
        // a model trained on SEDD's score entropy also gets that bound, on the continuous NELBO's draws
        boolean sedd = "sedd".equals(m.training().get("objective")) && !m.causal() && !m.uniform();
        int passes = bounds + rates + (sedd ? 1 : 0);
        ProgressBar progress = work >= 256 ? new ProgressBar((long) windows * passes) : null;
        SplittableRandom seeds = new SplittableRandom(seed);
        List<Long> continuousSeeds = new ArrayList<>();
        List<Estimate> profile = new ArrayList<>();
        for (int b = 0; b < bounds + rates; b++) { // the bounds, then (--mask-rates) one pass per masking rate
            PooledEstimate pooled = new PooledEstimate();
            int perCall = b == LEFT_TO_RIGHT && b < bounds ? 1 : chunk; // left to right: L passes per window, so the bar moves per window
            String label = b >= bounds ? "masking rate " + (b - bounds + 1) + "/" + rates
                    : (b == LEFT_TO_RIGHT ? "left to right" : "bound " + (b + 1)) + "/" + bounds;
            for (int first = 0; first < windows; first += perCall) {
                int count = Math.min(perCall, windows - first);
                int[] part = Arrays.copyOfRange(tokens, first * len, (first + count) * len);
                long chunkSeed = seeds.nextLong();
                if (b == CONTINUOUS) continuousSeeds.add(chunkSeed);
                pooled.add(b >= bounds ? evaluator.maskedCrossEntropyAt(part, count, len, rate(b - bounds, rates), samples, chunkSeed)
                        : switch (m.causal() ? -1 : m.uniform() ? -2 : b) {
                    case -1 -> evaluator.autoregressiveNll(part, count, len);
                    case -2 -> evaluator.uniformNelbo(part, count, len, sched, steps, samples, chunkSeed);
                    case CONTINUOUS -> evaluator.continuousNelbo(part, count, len, sched, samples, chunkSeed);
                    case LLADA -> evaluator.lladaBound(part, count, len, samples, chunkSeed);
                    case DISCRETE -> evaluator.discreteNelbo(part, count, len, sched, steps, samples, chunkSeed);
                    case LEFT_TO_RIGHT -> evaluator.leftToRightNll(part, count, len);
                    default -> throw new IllegalStateException("no estimate " + b);
                });
                if (progress != null) progress.update((long) b * windows + first + count, 0, label);
            }
            if (b >= bounds) {
                profile.add(pooled.result());
                continue;
            }
            estimates.add(pooled.result());
            // the causal model scores tokens 1..L-1 of each window (token 0 has no left context)
            bytes.add(textBytes(tok, tokens, len, m.causal() ? 1 : 0));
        }
        if (sedd) {
            PooledEstimate pooled = new PooledEstimate();
            for (int first = 0, c = 0; first < windows; first += chunk, c++) {
                int count = Math.min(chunk, windows - first);
                int[] part = Arrays.copyOfRange(tokens, first * len, (first + count) * len);
                pooled.add(evaluator.scoreEntropyBound(part, count, len, sched, samples, continuousSeeds.get(c)));
                if (progress != null) progress.update((long) (passes - 1) * windows + first + count, 0, "score entropy");
            }
            estimates.add(pooled.result());
            bytes.add(textBytes(tok, tokens, len, 0));
        }

        double bytesPerToken = (double) bytes.getFirst() / tokens.length; // masked models score every token
        if (json) {
            Map<String, Object> report = report(m, len, windows, tokens.length, sched, estimates, bytes);
            if (rates > 0) {
                List<Object> rows = new ArrayList<>();
                for (int k = 0; k < rates; k++) {
                    Estimate e = profile.get(k);
                    Map<String, Object> x = new LinkedHashMap<>();
                    x.put("rate", rate(k, rates));
                    x.put("masked", (long) LikelihoodEvaluator.maskedCount(rate(k, rates), len));
                    x.put("nats_per_token", e.natsPerToken());
                    x.put("nats_per_token_se", finiteOrNull(e.standardError()));
                    x.put("bits_per_byte", e.bitsPerByte(bytesPerToken));
                    rows.add(x);
                }
                report.put("mask_rate_profile", rows);
                report.put("unigram_entropy_nats", unigramEntropy(tokens, tok.vocabSize()));
            }
            out.println(Json.write(report));
        } else {
            printTable(out, m, len, windows, tokens.length, stream.length, corpus, sched, estimates, bytes);
            if (rates > 0) printProfile(out, profile, len, bytesPerToken, unigramEntropy(tokens, tok.vocabSize()));
        }
        out.flush();
        return 0;
    }

    /** Documents joined by one EOS, as training data is, stopping once {@code limit} tokens are in. */
    private static int[] tokenize(Corpus corpus, Tokenizer tok, long limit) {
        int[] all = new int[1024];
        int n = 0;
        for (int d = 0; d < corpus.files().size() && n < limit; d++) {
            int[] ids = tok.encode(corpus.read(d));
            if (ids.length == 0) continue;
            int need = n + ids.length + 1;
            if (need < 0) throw new IllegalArgumentException("--data has more than 2^31 tokens; use --max-sequences");
            if (need > all.length) all = Arrays.copyOf(all, (int) Math.min(Integer.MAX_VALUE - 8, Math.max(need, 2L * all.length)));
            if (n > 0) all[n++] = tok.eosId();
            System.arraycopy(ids, 0, all, n, ids.length);
            n += ids.length;
        }
        return Arrays.copyOf(all, (int) Math.min(n, limit));
    }

    /** The k-th of n masking rates: the midpoints (k + ½)/n of n equal slices of (0, 1). */
    private static double rate(int k, int n) {
        return (k + 0.5) / n;
    }

    /** Entropy in nats of the tokens' own frequencies: what a model that ignores all context can at best score on them. */
    static double unigramEntropy(int[] tokens, int vocab) {
        long[] counts = new long[vocab];
        for (int t : tokens) counts[t]++;
        double h = 0;
        for (long c : counts) {
            if (c == 0) continue;
            double p = (double) c / tokens.length;
            h -= p * Math.log(p);
        }
        return h;
    }

    private static void printProfile(PrintWriter out, List<Estimate> profile, int len, double bytesPerToken, double unigram) {
        out.printf(Locale.ROOT, "cross-entropy per masked token by masking rate (exactly that share of each window masked);%n"
                + "  a model that ignores context cannot beat the evaluated text's own unigram entropy, %.4f nats/token"
                + " (a floor, low when the text is short against the vocabulary); it scores alike at every rate%n", unigram);
        int n = profile.size();
        for (int k = 0; k < n; k++) {
            Estimate e = profile.get(k);
            double rate = rate(k, n);
            out.printf(Locale.ROOT, "  rate %.3f (%3d of %d masked) %8.4f ± %.4f nats/token  %7.4f bits/byte  %6.1f%% of the unigram entropy%n",
                    rate, LikelihoodEvaluator.maskedCount(rate, len), len, e.natsPerToken(), e.standardError(), e.bitsPerByte(bytesPerToken),
                    100 * e.natsPerToken() / unigram);
        }
    }

    /** UTF-8 bytes of the scored tokens: positions from {@code skip} to the end of every window. */
    private static long textBytes(Tokenizer tok, int[] tokens, int len, int skip) {
        int[] perToken = new int[tok.vocabSize()];
        Arrays.fill(perToken, -1);
        long total = 0;
        for (int i = 0; i < tokens.length; i++) {
            if (i % len < skip) continue;
            int t = tokens[i];
            if (perToken[t] < 0) perToken[t] = tok.tokenBytes(t).length;
            total += perToken[t];
        }
        return total;
    }

    private Map<String, Object> report(LoadedModel m, int len, int windows, int evaluated, NoiseSchedule sched,
                                       List<Estimate> estimates, List<Long> bytes) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("model", m.file().toString());
        j.put("ema", m.ema());
        j.put("kind", m.causal() ? "causal" : m.config().blockCausal() ? "block" : m.uniform() ? "uniform" : "masked");
        if (m.config().blockCausal()) j.put("block_size", (long) m.config().blockSize());
        j.put("data", data.toString());
        j.put("seq", (long) len);
        j.put("windows", (long) windows);
        j.put("tokens", (long) evaluated);
        j.put("bytes_counted", BYTES_COUNTED);
        j.put("samples_per_window", m.causal() ? null : (long) samples);
        j.put("schedule", m.causal() ? null : sched.name());
        j.put("discrete_steps", m.causal() ? null : (long) steps);
        j.put("seed", seed);
        List<Object> list = new ArrayList<>();
        for (int i = 0; i < estimates.size(); i++) {
            Estimate e = estimates.get(i);
            double bytesPerToken = (double) bytes.get(i) / e.tokens();
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("method", e.method());
            x.put("nats_per_token", e.natsPerToken());
            x.put("bits_per_token", e.bitsPerToken());
            x.put("bits_per_token_se", finiteOrNull(e.bitsPerTokenError()));
            x.put("bits_per_byte", e.bitsPerByte(bytesPerToken));
            x.put("bits_per_byte_se", finiteOrNull(e.bitsPerTokenError() / bytesPerToken));
            x.put("tokens", e.tokens());
            x.put("bytes", bytes.get(i));
            x.put("samples", e.samples());
            list.add(x);
        }
        j.put("estimates", list);
        return j;
    }

    private static Double finiteOrNull(double v) {
        return Double.isFinite(v) ? v : null;
    }

    private void printTable(PrintWriter out, LoadedModel m, int len, int windows, int evaluated, int read, Corpus corpus,
                            NoiseSchedule sched, List<Estimate> estimates, List<Long> bytes) {
        out.println("model: " + m.describe());
        out.printf(Locale.ROOT, "data:  %s (%d file(s)): %,d tokens read, %,d windows of %d evaluated (%,d tokens%s)%n", data,
                corpus.files().size(), read, windows, len, evaluated, read > evaluated ? "; the rest left out" : "");
        out.println("bytes: " + BYTES_COUNTED);
        if (m.causal()) {
            out.println("exact NLL of the causal model (token 0 of each window has no context and is not scored):");
        } else {
            out.printf(Locale.ROOT, "upper bounds on the NLL, %d Monte-Carlo sample(s) per window, seed %d%s%s:%n", samples, seed,
                    m.config().blockCausal() ? String.format(Locale.ROOT, "; block diffusion: each bound sums those of the window's blocks of %d,"
                            + " every block given the clean blocks before it", m.config().blockSize()) : "",
                    leftToRight ? "; then the exact NLL of reading each window left to right" : "");
        }
        for (int i = 0; i < estimates.size(); i++) {
            Estimate e = estimates.get(i);
            double bytesPerToken = (double) bytes.get(i) / e.tokens();
            out.printf(Locale.ROOT, "  %-42s %8.4f ± %.4f bits/token   %8.4f ± %.4f bits/byte%n", e.method(), e.bitsPerToken(),
                    e.bitsPerTokenError(), e.bitsPerByte(bytesPerToken), e.bitsPerTokenError() / bytesPerToken);
        }
    }
}
