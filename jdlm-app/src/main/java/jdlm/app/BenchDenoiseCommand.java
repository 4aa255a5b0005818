package jdlm.app;

import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

import jdlm.format.Json;
import jdlm.model.ModelConfig;
import jdlm.model.ModelWeights;
import jdlm.model.TensorRole;
import jdlm.model.Transformer;
import jdlm.tensor.QuantType;
import jdlm.tensor.Quantizer;
import jdlm.tensor.Rope;
import jdlm.tensor.ThreadPool;
import jdlm.tensor.WeightTensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jdlm bench denoise}: one denoising step (a full bidirectional forward over the canvas) of
 * a LLaDA-shaped model with random weights, per storage type, the weights held as they would be
 * mapped from a GGUF. Reports seconds per step, canvas tokens per second and GFLOP/s. Random
 * weights are made by quantising 64 random rows per tensor and repeating them (the kernels do not
 * care what the numbers are, and quantising a billion weights would take longer than the timing).
 */
@Command(name = "denoise", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"One denoising step of a LLaDA-shaped random-weight model (about --params parameters) per weight type.",
                "Example: ./jdlm bench denoise --params 1B --types f32,bf16,q8_0,q4_0"})
public final class BenchDenoiseCommand implements Callable<Integer> {
    @Option(names = "--params", defaultValue = "1B", description = "Model size, e.g. 1B or 300M: width and depth scale, LLaDA's vocabulary (default: ${DEFAULT-VALUE}).")
    String params;
    @Option(names = "--types", defaultValue = "f32,bf16,f16,q8_0,q4_0,q4_k,q6_k", split = ",",
            description = "Weight types to time (default: ${DEFAULT-VALUE}).")
    List<String> types;
    @Option(names = "--canvas", defaultValue = "256", description = "Positions in the canvas (default: ${DEFAULT-VALUE}).")
    int canvas;
    @Option(names = "--repeats", defaultValue = "2", description = "Timed steps per type after one warm-up step (default: ${DEFAULT-VALUE}).")
    int repeats;
    @Option(names = "--json", description = "Print one JSON object instead of the table.")
    boolean json;
    @Spec CommandSpec spec;

    private static final int VOCAB = 126464; // LLaDA-8B's
    private static final int DISTINCT_ROWS = 64;

    /** LLaDA's proportions (head size 128, SwiGLU width 3d, its vocabulary) at about {@code target} parameters. */
    static ModelConfig config(long target, int context) {
        int dim = 256;
        for (int d = 256; d <= 8192; d += 128) { // LLaDA-8B: d = 4096, 32 layers, so layers = d / 128
            if (Math.abs(params(d) - target) < Math.abs(params(dim) - target)) dim = d;
        }
        return new ModelConfig(dim / 128, dim, dim / 128, dim / 128, 128, 3 * dim, VOCAB, context, 500000.0, 1e-5f,
                ModelConfig.AttentionMode.BIDIRECTIONAL, Rope.Style.HALVES);
    }

    /** Embedding and output 2·V·d, per layer 4d² (attention) + 9d² (SwiGLU of width 3d); gains left out. */
    private static long params(int d) {
        return 2L * VOCAB * d + (d / 128) * 13L * d * d;
    }

    @Override
    public Integer call() {
        if (canvas < 1) throw new IllegalArgumentException("--canvas must be at least 1, got " + canvas);
        if (repeats < 1) throw new IllegalArgumentException("--repeats must be at least 1, got " + repeats);
        List<QuantType> list = new ArrayList<>();
        for (String t : types) {
            try {
                list.add(QuantType.valueOf(t.strip().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--types: unknown type '" + t + "'; expected some of f32, bf16, f16, q8_0, q4_0, q4_k, q6_k");
            }
        }
        ModelConfig c = config(BenchGenerateCommand.parseParameterCount("--params", params), canvas);
        long paramCount = paramCount(c);
        double flops = 2.0 * paramCount * canvas;
        PrintWriter err = spec.commandLine().getErr();
        err.printf(Locale.ROOT, "bench denoise: %,d parameters (%d layers, d=%d, %d heads, hidden %d, vocabulary %d), canvas %d, %d threads (pinned=%s)%n",
                paramCount, c.layers(), c.dim(), c.heads(), c.hiddenDim(), c.vocabSize(), canvas, ThreadPool.shared().threads(), ThreadPool.shared().pinned());
        int[] tokens = new SplittableRandom(1).ints(canvas, 0, VOCAB).toArray();
        List<Map<String, Object>> rows = new ArrayList<>();
        for (QuantType type : list) {
            err.println("bench denoise: " + type + ": making weights...");
            try (Arena arena = Arena.ofShared()) {
                Map<String, WeightTensor> weights = randomWeights(c, type, arena);
                Transformer model = new Transformer(c, ModelWeights.mapped(c, (role, layer) -> weights.get(role.name(layer))));
                err.println("bench denoise: " + type + ": timing...");
                model.logits(tokens, 1, canvas); // warm-up (JIT, page faults)
                long best = Long.MAX_VALUE;
                for (int r = 0; r < repeats; r++) {
                    long t0 = System.nanoTime();
                    model.logits(tokens, 1, canvas);
                    best = Math.min(best, System.nanoTime() - t0);
                }
                long bytes = 0;
                for (WeightTensor w : weights.values()) bytes += w.data().byteSize();
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("type", type.name());
                row.put("weight_bytes", bytes);
                row.put("seconds_per_step", best / 1e9);
                row.put("canvas_tokens_per_s", canvas / (best / 1e9));
                row.put("gflops", flops / best);
                rows.add(row);
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("parameters", paramCount);
            j.put("layers", (long) c.layers());
            j.put("dim", (long) c.dim());
            j.put("canvas", (long) canvas);
            j.put("threads", (long) ThreadPool.shared().threads());
            j.put("pinned", ThreadPool.shared().pinned());
            j.put("rows", rows);
            out.println(Json.write(j));
        } else {
            out.printf(Locale.ROOT, "one denoising step, %,d parameters, canvas %d (best of %d)%n", paramCount, canvas, repeats);
            out.printf(Locale.ROOT, "%-6s %12s %10s %14s %9s%n", "type", "weights GB", "s/step", "canvas tok/s", "GFLOP/s");
            for (Map<String, Object> r : rows) {
                out.printf(Locale.ROOT, "%-6s %12.2f %10.3f %14.1f %9.1f%n", r.get("type"), ((Long) r.get("weight_bytes")) / 1e9,
                        r.get("seconds_per_step"), r.get("canvas_tokens_per_s"), r.get("gflops"));
            }
        }
        out.flush();
        return 0;
    }

    static long paramCount(ModelConfig c) {
        long n = 0;
        for (TensorRole role : TensorRole.values()) {
            if (!role.presentIn(c)) continue;
            long[] s = role.shape(c);
            long e = 1;
            for (long d : s) e *= d;
            n += role.perLayer() ? e * c.layers() : e;
        }
        return n;
    }

    /** Every tensor of the config: matrices in {@code type} (64 random rows, repeated), gains in f32. */
    private static Map<String, WeightTensor> randomWeights(ModelConfig c, QuantType type, Arena arena) {
        Map<String, WeightTensor> out = new LinkedHashMap<>();
        SplittableRandom rng = new SplittableRandom(7);
        for (TensorRole role : TensorRole.values()) {
            if (!role.presentIn(c)) continue;
            for (int l = 0; l < (role.perLayer() ? c.layers() : 1); l++) {
                long[] shape = role.shape(c);
                String name = role.name(l);
                if (shape.length == 1) {
                    float[] g = new float[(int) shape[0]];
                    java.util.Arrays.fill(g, 1f);
                    MemorySegment seg = arena.allocate(4L * g.length, 64);
                    Quantizer.quantizeRow(QuantType.F32, g, 0, g.length, seg, 0);
                    out.put(name, new WeightTensor(name, QuantType.F32, shape, seg));
                    continue;
                }
                int rows = (int) shape[0], cols = (int) shape[1];
                int distinct = Math.min(rows, DISTINCT_ROWS);
                float[] src = new float[distinct * cols];
                for (int i = 0; i < src.length; i++) src[i] = (float) (rng.nextGaussian() * 0.02);
                long rowBytes = type.bytesFor(cols);
                MemorySegment seg = arena.allocate(rows * rowBytes, 64);
                MemorySegment block = arena.allocate(distinct * rowBytes, 64);
                for (int r = 0; r < distinct; r++) Quantizer.quantizeRow(type, src, r * cols, cols, block, r * rowBytes);
                for (long r = 0; r < rows; r += distinct) {
                    long n = Math.min(distinct, rows - r);
                    MemorySegment.copy(block, 0, seg, r * rowBytes, n * rowBytes);
                }
                out.put(name, new WeightTensor(name, type, shape, seg));
            }
        }
        return out;
    }
}
