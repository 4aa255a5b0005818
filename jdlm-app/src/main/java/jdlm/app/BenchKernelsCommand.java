package jdlm.app;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import java.util.function.IntConsumer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import jdlm.app.bench.GemmReference;
import jdlm.app.bench.ModelBenchmark;
import jdlm.format.Json;
import jdlm.model.ModelConfig;
import jdlm.tensor.Gemm;
import jdlm.tensor.QuantType;
import jdlm.tensor.Quantizer;
import jdlm.tensor.ThreadPool;
import jdlm.tensor.WeightMatmul;
import jdlm.tensor.WeightTensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jdlm bench kernels}: GEMM and matrix-vector throughput at transformer shapes, each next to
 * references measured in the same run: the machine's FP32 peak (a dependent-chain-free FMA loop),
 * its read bandwidth (a streaming sum), and OpenBLAS SGEMM when the bench jar provides it; and the
 * stored-weight products ({@link WeightMatmul}) of every {@link QuantType}, against that bandwidth
 * and the f32 Gemm.
 */
@Command(name = "kernels",
        mixinStandardHelpOptions = true,
        description = "GEMM GFLOP/s and matvec GB/s vs measured peak, bandwidth and OpenBLAS.")
public final class BenchKernelsCommand implements Callable<Integer> {
    @Option(names = "--json", description = "Print one JSON object instead of the table.")
    boolean json;

    @Option(names = "--threads", split = ",", defaultValue = "1,2", description = "Thread counts (default: ${DEFAULT-VALUE}).")
    int[] threads;

    @Option(names = "--quick", description = "Shorter warm-up and fewer repetitions (noisier).")
    boolean quick;

    @Option(names = "--no-model", description = "Skip the end-to-end model forward and training-step figures.")
    boolean noModel;

    @Option(names = "--no-weights", description = "Skip the stored-weight (F16, BF16, GGML quantised) products.")
    boolean noWeights;

    @Option(names = "--weights-only", description = "Run only the read bandwidth and the stored-weight products.")
    boolean weightsOnly;
    @Option(names = "--plot", paramLabel = "SVG", description = "Also draw the stored-weight matrix-vector GB/s against the read"
            + " bandwidth (out of cache and in cache, the most threads of the run) into this SVG file.")
    Path plot;

    @Option(names = "--rows-of-x", split = ",", paramLabel = "N", defaultValue = "256",
            description = "Rows of x in the stored-weight product y[N,4096] = x·Wᵀ, each against the f32 GEMM "
                    + "on the same shape (default: ${DEFAULT-VALUE}: a denoising step over a 256-token canvas). "
                    + "Below 32 rows the weights take register tiles, from 32 on the packed GEMM path; "
                    + "JDLM_JAVA_OPTS=-Djdlm.weightGemmMinRows=R moves that crossover to R, to compare the two.")
    int[] rowsOfX;

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** GEMM shapes as {M, K, N}: y[M,N] = x[M,K] · W[N,K]ᵀ. */
    private static final int[][] SHAPES = {{256, 512, 2048}, {256, 2048, 512}, {1024, 1024, 1024}};
    private static final int MATVEC = 4096;
    /** Stored-weight types in the order the table lists them. */
    private static final QuantType[] WEIGHT_TYPES = {QuantType.F32, QuantType.BF16, QuantType.F16, QuantType.Q8_0,
            QuantType.Q4_0, QuantType.Q4_K, QuantType.Q6_K};
    /**
     * Stored-weight matrix-vector shapes {rows, cols}, each past the 32 MiB L3 in every type (Q4_0:
     * 72 and 54 MiB): narrow rows of 4096 (the width of LLaDA-8B's attention, FFN gate/up and output
     * head, whose x fits L1) and wide rows of 12288 (its FFN down projection).
     */
    private static final int[][] WEIGHT_MATVECS = {{32768, 4096}, {8192, 12288}};
    /** Stored-weight product y[M,N] = x[M,K]·Wᵀ at N = K = this, M from --rows-of-x. */
    private static final int WEIGHT_GEMM = 4096;
    /** The in-cache matrix-vector product: rows of this many columns, about this many bytes per thread. */
    private static final int IN_CACHE_COLS = 4096;
    private static final long IN_CACHE_BYTES_PER_THREAD = 768 << 10;
    private static volatile double sink;

    private double warmSeconds, repSeconds;
    private int reps;

    @Override
    public Integer call() {
        for (int m : rowsOfX) {
            if (m < 1 || m > 4096) throw new IllegalArgumentException("--rows-of-x takes rows of x from 1 to 4096, got " + m);
        }
        warmSeconds = quick ? 0.3 : 1.0;
        repSeconds = quick ? 0.05 : 0.15;
        reps = quick ? 5 : 7;
        Map<String, Object> out = new LinkedHashMap<>();
        List<String> notes = new ArrayList<>();
        boolean pinRequested = !"false".equalsIgnoreCase(System.getProperty("jdlm.pin", "true"));

        GemmReference ref = null;
        String refStatus;
        try {
            Optional<GemmReference> found = ServiceLoader.load(GemmReference.class).findFirst();
            ref = found.orElse(null);
            refStatus = ref == null ? "not available (run via ./jdlm bench, which uses the bench jar)" : ref.name();
        } catch (Throwable t) { // a broken native library must not take the benchmark down
            refStatus = "not available (" + t + ")";
        }
        String core = ref == null ? "n/a" : ref.coreName();
        out.put("openblas", refStatus);
        out.put("openblas_corename", core);
        out.put("openblas_coretype_env", Optional.ofNullable(System.getenv("OPENBLAS_CORETYPE")).orElse(""));
        if (ref != null && !isAvx512Core(core)) {
            notes.add("WARNING: OpenBLAS uses the '" + core + "' kernels, not an AVX-512 (SkylakeX/Zen-class) one,"
                    + " so it runs at about half speed. Fix: OPENBLAS_CORETYPE=SkylakeX ./jdlm bench kernels");
        }
        out.put("vector_bits", S.vectorBitSize());
        out.put("cpu", cpuModel());
        out.put("cpuinfo_mhz", cpuMhz());

        ThreadPool[] pools = new ThreadPool[threads.length];
        for (int i = 0; i < threads.length; i++) {
            int t = threads[i];
            pools[i] = t == ThreadPool.shared().threads() ? ThreadPool.shared() : new ThreadPool(t, pinRequested);
            out.put("pinned_t" + t, t == 1 ? "n/a (caller only)" : pools[i].pinned());
        }

        // references: FP32 peak and read bandwidth, per thread count
        double[] peak = new double[threads.length], bw = new double[threads.length];
        for (int i = 0; i < threads.length; i++) {
            int t = threads[i];
            if (!weightsOnly) {
                progress("peak FMA rate, " + t + " thread(s)");
                peak[i] = measurePeak(pools[i]);
                out.put("peak_gflops_t" + t, peak[i]);
                double mhz = cpuMhz();
                if (mhz > 0) out.put("peak_nominal_gflops_t" + t, t * mhz / 1000 * 2 * S.length() * 2);
            }
            progress("read bandwidth, " + t + " thread(s)");
            bw[i] = measureBandwidth(pools[i]);
            out.put("bandwidth_gbps_t" + t, bw[i]);
        }

        if (!weightsOnly) {
            // Warm the JIT on every shape first: Vector API code runs ~100x slower until C2 compiles it,
            // and the first shape timed would otherwise pay for the compilation of every kernel.
            progress("JIT warm-up");
            for (int[] shape : SHAPES) {
                int m = shape[0], k = shape[1], n = shape[2];
                float[] x = random(m * k, 1), w = random(n * k, 2), y = new float[m * n];
                ThreadPool pool = pools[0];
                long end = System.nanoTime() + (long) (2 * warmSeconds * 1e9);
                while (System.nanoTime() < end) Gemm.gemm(pool, false, true, m, n, k, x, 0, k, w, 0, k, y, 0, n, false);
            }

            for (int[] shape : SHAPES) {
                int m = shape[0], k = shape[1], n = shape[2];
                String key = "gemm_" + m + "x" + k + "x" + n;
                float[] x = random(m * k, 1), w = random(n * k, 2), y = new float[m * n];
                double flops = 2.0 * m * n * k;
                GemmReference.Job job = ref == null ? null : ref.prepareNT(m, n, k, x, w);
                for (int i = 0; i < threads.length; i++) {
                    int t = threads[i];
                    ThreadPool pool = pools[i];
                    progress(key + ", jdlm, " + t + " thread(s)");
                    double ours = flops / time(() -> Gemm.gemm(pool, false, true, m, n, k, x, 0, k, w, 0, k, y, 0, n, false)) / 1e9;
                    out.put(key + "_t" + t + "_gflops", ours);
                    if (job != null) {
                        progress(key + ", OpenBLAS, " + t + " thread(s)");
                        ref.setThreads(t);
                        double theirs = flops / time(job::run) / 1e9;
                        out.put(key + "_t" + t + "_openblas_gflops", theirs);
                        out.put(key + "_t" + t + "_vs_openblas", ours / theirs);
                        if (i == 0) out.put(key + "_max_rel_diff_vs_openblas", maxRelDiff(job, y));
                    }
                }
                if (job != null) job.close();
            }

            // matrix-vector: y[1,N] = x[1,K] · W[N,K]ᵀ streams W once: bandwidth-bound
            {
                int n = MATVEC, k = MATVEC;
                String key = "matvec_" + MATVEC;
                float[] x = random(k, 3), w = random(n * k, 4), y = new float[n];
                double bytes = 4.0 * ((double) n * k + n + k);
                GemmReference.Job job = ref == null ? null : ref.prepareNT(1, n, k, x, w);
                for (int i = 0; i < threads.length; i++) {
                    int t = threads[i];
                    ThreadPool pool = pools[i];
                    progress(key + ", jdlm, " + t + " thread(s)");
                    double ours = bytes / time(() -> Gemm.gemm(pool, false, true, 1, n, k, x, 0, k, w, 0, k, y, 0, n, false)) / 1e9;
                    out.put(key + "_t" + t + "_gbps", ours);
                    if (job != null) {
                        progress(key + ", OpenBLAS, " + t + " thread(s)");
                        ref.setThreads(t);
                        double theirs = bytes / time(job::run) / 1e9;
                        out.put(key + "_t" + t + "_openblas_gbps", theirs);
                        out.put(key + "_t" + t + "_vs_openblas", ours / theirs);
                    }
                }
                if (job != null) job.close();
            }
        }

        // Stored weights (what imported models run on): matrix-vector GB/s of the stored bytes, and the
        // products with --rows-of-x rows of x against the f32 Gemm on the same shapes.
        if (!noWeights) {
            try (Arena arena = Arena.ofShared()) { // the pool's workers read the weights
                int n = WEIGHT_GEMM, k = WEIGHT_GEMM, maxM = java.util.Arrays.stream(rowsOfX).max().orElse(1);
                float[] x = random(maxM * k, 6), y = new float[maxM * n];
                float[] wf = random(n * k, 7), yRef = new float[maxM * n];
                for (int m : rowsOfX) {
                    for (int i = 0; i < threads.length; i++) {
                        int t = threads[i];
                        ThreadPool pool = pools[i];
                        progress("weights: f32 Gemm " + m + "x" + k + "x" + n + ", " + t + " thread(s)");
                        out.put("weights_n" + m + "_gemm_f32_t" + t + "_gflops",
                                2.0 * m * n * k / time(() -> Gemm.gemm(pool, false, true, m, n, k, x, 0, k, wf, 0, k, yRef, 0, n, false)) / 1e9);
                    }
                }
                // every type's decoder and all three paths (fused, tiles, packed), on narrow and wide rows, compiled before anything is timed
                progress("weights: JIT warm-up");
                float[] wx = random(64 * 1024, 10), wy = new float[64 * 512];
                for (QuantType type : WEIGHT_TYPES) {
                    WeightTensor small = replicatedWeights(type, 512, 1024, arena), wide = replicatedWeights(type, 64, 8192, arena);
                    long end = System.nanoTime() + (long) (2 * warmSeconds * 1e9 / WEIGHT_TYPES.length);
                    while (System.nanoTime() < end) {
                        WeightMatmul.multiply(pools[0], small, wx, 0, 1, wy, 0, false);
                        WeightMatmul.multiply(pools[0], wide, wx, 0, 1, wy, 0, false);
                        WeightMatmul.multiply(pools[0], small, wx, 0, 16, wy, 0, false);
                        WeightMatmul.multiply(pools[0], small, wx, 0, 64, wy, 0, false);
                    }
                }
                for (QuantType type : WEIGHT_TYPES) {
                    try (Arena typeArena = Arena.ofShared()) { // up to 0.9 GiB of F32 matrices, freed per type
                        WeightTensor sq = replicatedWeights(type, n, k, typeArena);
                        String key = "weights_" + type.name().toLowerCase(Locale.ROOT);
                        for (int[] shape : WEIGHT_MATVECS) {
                            WeightTensor mv = replicatedWeights(type, shape[0], shape[1], typeArena);
                            float[] xv = random(shape[1], 8), yv = new float[shape[0]];
                            for (int i = 0; i < threads.length; i++) {
                                int t = threads[i];
                                ThreadPool pool = pools[i];
                                progress(key + " matvec " + shape[0] + "x" + shape[1] + ", " + t + " thread(s)");
                                out.put(key + "_matvec_" + shape[0] + "x" + shape[1] + "_t" + t + "_gbps", mv.data().byteSize()
                                        / time(() -> WeightMatmul.multiply(pool, mv, xv, 0, 1, yv, 0, false)) / 1e9);
                            }
                        }
                        // The same product on a matrix that stays in the caches (L2, or the shared L3 when threads swap rows): the kernel's own
                        // speed, with no memory traffic. Below 0.8 of the bandwidth, no prefetching can bring
                        // the out-of-cache product to 0.8 of it: the kernel is bound by the core.
                        for (int i = 0; i < threads.length; i++) {
                            int t = threads[i];
                            ThreadPool pool = pools[i];
                            long rowBytes = type.bytesFor(IN_CACHE_COLS);
                            int rows = (int) Math.max(16, IN_CACHE_BYTES_PER_THREAD * t / rowBytes);
                            WeightTensor hot = replicatedWeights(type, rows, IN_CACHE_COLS, typeArena);
                            float[] xv = random(IN_CACHE_COLS, 8), yv = new float[rows];
                            progress(key + " matvec in cache " + rows + "x" + IN_CACHE_COLS + ", " + t + " thread(s)");
                            out.put(key + "_matvec_in_cache_t" + t + "_gbps", hot.data().byteSize()
                                    / time(() -> WeightMatmul.multiply(pool, hot, xv, 0, 1, yv, 0, false)) / 1e9);
                        }
                        for (int i = 0; i < threads.length; i++) {
                            int t = threads[i];
                            ThreadPool pool = pools[i];
                            for (int m : rowsOfX) {
                                progress(key + " n=" + m + ", " + t + " thread(s)");
                                double gf = 2.0 * m * n * k / time(() -> WeightMatmul.multiply(pool, sq, x, 0, m, y, 0, false)) / 1e9;
                                out.put(key + "_n" + m + "_t" + t + "_gflops", gf);
                                out.put(key + "_n" + m + "_t" + t + "_vs_gemm_f32", gf / (Double) out.get("weights_n" + m + "_gemm_f32_t" + t + "_gflops"));
                            }
                        }
                    }
                }
            }
        }

        // End to end: the reference model's forward (one denoising step) and training step on the shared pool.
        List<ModelBenchmark.Result> modelResults = new ArrayList<>();
        if (!noModel && !weightsOnly) {
            ModelBenchmark mb = new ModelBenchmark(ModelBenchmark.referenceConfig(), quick ? 3 : 5);
            progress("model forward, batch 1");
            modelResults.add(mb.forward(1, 256));
            progress("model forward, batch 8");
            modelResults.add(mb.forward(8, 256));
            progress("model training step, batch 8");
            modelResults.add(mb.trainingStep(8, 256));
            for (ModelBenchmark.Result m : modelResults) {
                String key = "model_" + (m.what().equals("forward") ? "forward" : "train_step") + "_b" + m.batch();
                out.put(key + "_tokens_per_s", m.tokensPerSecond());
                out.put(key + "_gflops", m.gflops());
            }
        }

        // The machine is shared: measure the references again at the end and keep the higher, so a
        // neighbour's burst during the first measurement cannot flatter the ratios.
        for (int i = 0; i < threads.length; i++) {
            int t = threads[i];
            progress("peak FMA rate and bandwidth again, " + t + " thread(s)");
            if (!weightsOnly) peak[i] = Math.max(peak[i], measurePeak(pools[i]));
            bw[i] = Math.max(bw[i], measureBandwidth(pools[i]));
            out.put("peak_gflops_t" + t, peak[i]);
            out.put("bandwidth_gbps_t" + t, bw[i]);
            for (int[] shape : SHAPES) {
                String key = "gemm_" + shape[0] + "x" + shape[1] + "x" + shape[2] + "_t" + t;
                if (out.get(key + "_gflops") instanceof Double d) out.put(key + "_vs_peak", d / peak[i]);
                if (out.get(key + "_openblas_gflops") instanceof Double d) out.put(key + "_openblas_vs_peak", d / peak[i]);
            }
            String key = "matvec_" + MATVEC + "_t" + t;
            if (out.get(key + "_gbps") instanceof Double d) out.put(key + "_vs_bandwidth", d / bw[i]);
            for (QuantType type : WEIGHT_TYPES) {
                for (int[] shape : WEIGHT_MATVECS) {
                    String wk = "weights_" + type.name().toLowerCase(Locale.ROOT) + "_matvec_" + shape[0] + "x" + shape[1] + "_t" + t;
                    if (out.get(wk + "_gbps") instanceof Double d) out.put(wk + "_vs_bandwidth", d / bw[i]);
                }
                String ck = "weights_" + type.name().toLowerCase(Locale.ROOT) + "_matvec_in_cache_t" + t;
                if (out.get(ck + "_gbps") instanceof Double d) out.put(ck + "_vs_bandwidth", d / bw[i]);
            }
        }
        int shared = ThreadPool.shared().threads();
        double sharedPeak = 0;
        for (int i = 0; i < threads.length; i++) if (threads[i] == shared) sharedPeak = peak[i];
        for (ModelBenchmark.Result m : modelResults) {
            String key = "model_" + (m.what().equals("forward") ? "forward" : "train_step") + "_b" + m.batch();
            if (sharedPeak > 0) out.put(key + "_vs_peak", m.gflops() / sharedPeak);
        }
        out.put("notes", String.join(" | ", notes));

        if (plot != null && !noWeights) writePlot(out);
        if (json) {
            System.out.println(Json.write(out));
        } else {
            printTable(out, peak, bw, refStatus, core, notes);
            printWeights(out);
            printModel(out, modelResults, shared);
        }
        return 0;
    }

    private void printTable(Map<String, Object> r, double[] peak, double[] bw, String refStatus, String core,
                            List<String> notes) {
        System.out.printf(Locale.ROOT, "jdlm bench kernels  (%s, %d-bit vectors, cpuinfo %.0f MHz)%n",
                r.get("cpu"), S.vectorBitSize(), cpuMhz());
        System.out.println("OpenBLAS: " + refStatus + (core.equals("n/a") ? "" : ", core " + core
                + ", OPENBLAS_CORETYPE=" + r.get("openblas_coretype_env")));
        if (weightsOnly) {
            for (int i = 0; i < threads.length; i++) {
                System.out.printf(Locale.ROOT, "t=%d: pinned=%s  read bandwidth %.1f GB/s%n", threads[i], r.get("pinned_t" + threads[i]), bw[i]);
            }
            return;
        }
        for (int i = 0; i < threads.length; i++) {
            int t = threads[i];
            System.out.printf(Locale.ROOT,
                    "t=%d: pinned=%s  measured FP32 peak %.1f GFLOP/s (12 independent FMA chains of %d lanes per thread;"
                            + " implies %.2f GHz at 2 FMA pipes)  read bandwidth %.1f GB/s%n",
                    t, r.get("pinned_t" + t), peak[i], S.length(), peak[i] / t / (2 * 2 * S.length()), bw[i]);
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "%-22s %3s %12s %12s %9s %9s %9s%n",
                "GEMM y=x·Wᵀ (M,K,N)", "thr", "jdlm GF/s", "OpenBLAS", "vs OBLAS", "vs peak", "OBLAS/pk");
        for (int[] s : SHAPES) {
            String key = "gemm_" + s[0] + "x" + s[1] + "x" + s[2];
            for (int t : threads) {
                String p = key + "_t" + t;
                System.out.printf(Locale.ROOT, "%-22s %3d %12s %12s %9s %9s %9s%n",
                        "(" + s[0] + "," + s[1] + "," + s[2] + ")", t, fmt(r.get(p + "_gflops"), "%.1f"),
                        fmt(r.get(p + "_openblas_gflops"), "%.1f"), fmt(r.get(p + "_vs_openblas"), "%.2fx"),
                        fmt(r.get(p + "_vs_peak"), "%.2fx"), fmt(r.get(p + "_openblas_vs_peak"), "%.2fx"));
            }
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "%-22s %3s %12s %12s %9s %9s%n",
                "matvec (1,K,N)", "thr", "jdlm GB/s", "OpenBLAS", "vs OBLAS", "vs bw");
        for (int t : threads) {
            String p = "matvec_" + MATVEC + "_t" + t;
            System.out.printf(Locale.ROOT, "%-22s %3d %12s %12s %9s %9s%n",
                    "(1," + MATVEC + "," + MATVEC + ")", t, fmt(r.get(p + "_gbps"), "%.1f"),
                    fmt(r.get(p + "_openblas_gbps"), "%.1f"), fmt(r.get(p + "_vs_openblas"), "%.2fx"),
                    fmt(r.get(p + "_vs_bandwidth"), "%.2fx"));
        }
        for (String note : notes) System.out.println(note);
    }

    private void printWeights(Map<String, Object> r) {
        if (noWeights) return;
        System.out.println();
        System.out.printf(Locale.ROOT, "stored weights: matvec over rows x cols, GB/s of stored bytes; y[n,%d] = x·Wᵀ with K=%d GFLOP/s%n",
                WEIGHT_GEMM, WEIGHT_GEMM);
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-8s %3s", "type", "thr"));
        for (int[] shape : WEIGHT_MATVECS) head.append(String.format(Locale.ROOT, " %11s %6s", shape[0] + "x" + shape[1], "vs bw"));
        head.append(String.format(Locale.ROOT, " %11s %6s", "in cache", "vs bw"));
        for (int m : rowsOfX) head.append(String.format(Locale.ROOT, " %12s %12s", "n=" + m + " GF/s", "vs f32 Gemm"));
        System.out.println(head);
        for (int t : threads) {
            StringBuilder gemm = new StringBuilder(String.format(Locale.ROOT, "%-8s %3d", "(Gemm)", t));
            for (int i = 0; i <= WEIGHT_MATVECS.length; i++) gemm.append(String.format(Locale.ROOT, " %11s %6s", "", ""));
            for (int m : rowsOfX) gemm.append(String.format(Locale.ROOT, " %12s %12s", fmt(r.get("weights_n" + m + "_gemm_f32_t" + t + "_gflops"), "%.1f"), "1.00x"));
            System.out.println(gemm);
            for (QuantType type : WEIGHT_TYPES) {
                String key = "weights_" + type.name().toLowerCase(Locale.ROOT);
                StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-8s %3d", type, t));
                for (int[] shape : WEIGHT_MATVECS) {
                    String mk = key + "_matvec_" + shape[0] + "x" + shape[1] + "_t" + t;
                    line.append(String.format(Locale.ROOT, " %11s %6s", fmt(r.get(mk + "_gbps"), "%.1f"), fmt(r.get(mk + "_vs_bandwidth"), "%.2fx")));
                }
                String ck = key + "_matvec_in_cache_t" + t;
                line.append(String.format(Locale.ROOT, " %11s %6s", fmt(r.get(ck + "_gbps"), "%.1f"), fmt(r.get(ck + "_vs_bandwidth"), "%.2fx")));
                for (int m : rowsOfX) {
                    line.append(String.format(Locale.ROOT, " %12s %12s", fmt(r.get(key + "_n" + m + "_t" + t + "_gflops"), "%.1f"),
                            fmt(r.get(key + "_n" + m + "_t" + t + "_vs_gemm_f32"), "%.2fx")));
                }
                System.out.println(line);
            }
        }
        System.out.println("(weights: 64 random rows quantised, repeated to fill the matrix; off-heap like a mapped file;");
        System.out.printf(Locale.ROOT, " in cache: about %d KiB of rows of %d columns per thread, which stay in the caches — the kernel's own speed)%n",
                IN_CACHE_BYTES_PER_THREAD >> 10, IN_CACHE_COLS);
    }

    /** The matrix-vector ratios of the run's largest thread count, drawn into --plot. */
    private void writePlot(Map<String, Object> r) {
        int t = Arrays.stream(threads).max().orElse(1);
        List<String> types = new ArrayList<>(), series = new ArrayList<>();
        Map<String, double[]> ratios = new LinkedHashMap<>();
        for (int[] shape : WEIGHT_MATVECS) series.add(shape[0] + " × " + shape[1] + " (out of cache)");
        series.add("in cache (the kernel's own speed)");
        for (QuantType type : WEIGHT_TYPES) {
            String key = "weights_" + type.name().toLowerCase(Locale.ROOT);
            double[] v = new double[series.size()];
            for (int i = 0; i < WEIGHT_MATVECS.length; i++) {
                v[i] = r.get(key + "_matvec_" + WEIGHT_MATVECS[i][0] + "x" + WEIGHT_MATVECS[i][1] + "_t" + t + "_vs_bandwidth") instanceof Double d ? d : Double.NaN;
            }
            v[WEIGHT_MATVECS.length] = r.get(key + "_matvec_in_cache_t" + t + "_vs_bandwidth") instanceof Double d ? d : Double.NaN;
            types.add(type.name());
            ratios.put(type.name(), v);
        }
        String title = String.format(Locale.ROOT, "stored-weight matrix-vector, %d thread(s): GB/s ÷ read bandwidth (%.1f GB/s)", t,
                r.get("bandwidth_gbps_t" + t) instanceof Double d ? d : Double.NaN);
        try {
            Files.writeString(plot, MatvecBandwidthPlot.svg(title, types, series, ratios));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write --plot " + plot + ": " + e.getMessage(), e);
        }
        System.err.println("plot: " + plot.toAbsolutePath());
    }

    /**
     * A rows×cols matrix of {@code type} off-heap: 64 random rows quantised (the K-quant search is slow
     * for a whole 8192² matrix) and their bytes repeated, which reads from memory like distinct rows.
     */
    private static WeightTensor replicatedWeights(QuantType type, int rows, int cols, Arena arena) {
        int distinct = Math.min(64, rows);
        WeightTensor few = Quantizer.quantize("distinct", type, random(distinct * cols, 9), 0, distinct, cols, arena);
        long rowBytes = few.rowBytes();
        MemorySegment all = arena.allocate(rowBytes * rows, 64);
        for (int r = 0; r < rows; r++) MemorySegment.copy(few.data(), (r % distinct) * rowBytes, all, r * rowBytes, rowBytes);
        return new WeightTensor(type + "_" + rows + "x" + cols, type, new long[] {rows, cols}, all);
    }

    private static void printModel(Map<String, Object> r, List<ModelBenchmark.Result> results, int threads) {
        if (results.isEmpty()) return;
        ModelConfig c = ModelBenchmark.referenceConfig();
        System.out.println();
        System.out.printf(Locale.ROOT, "model: %d layers, d=%d, %d heads, SwiGLU %d, vocab %d, bidirectional, seq 256; %d threads, pinned=%s%n",
                c.layers(), c.dim(), c.heads(), c.hiddenDim(), c.vocabSize(), threads, ThreadPool.shared().pinned());
        System.out.printf(Locale.ROOT, "%-28s %12s %12s %10s%n", "", "tokens/s", "GFLOP/s", "vs peak");
        for (ModelBenchmark.Result m : results) {
            String key = "model_" + (m.what().equals("forward") ? "forward" : "train_step") + "_b" + m.batch();
            System.out.printf(Locale.ROOT, "%-28s %12.0f %12.1f %10s%n", m.what() + ", batch " + m.batch(), m.tokensPerSecond(),
                    m.gflops(), fmt(r.get(key + "_vs_peak"), "%.2fx"));
        }
        System.out.println("(GFLOP/s counts 2 per weight multiply-add plus attention; a training step as 3 forwards)");
    }

    /** Median seconds per call: warm the JIT, size a repetition to repSeconds, take the median of reps. */
    private double time(Runnable r) {
        long end = System.nanoTime() + (long) (warmSeconds * 1e9);
        int calls = 0;
        long t0 = System.nanoTime();
        do {
            r.run();
            calls++;
        } while (System.nanoTime() < end);
        double perCall = (System.nanoTime() - t0) / 1e9 / calls;
        int iters = (int) Math.max(1, Math.min(1_000_000, repSeconds / perCall));
        double[] samples = new double[reps];
        for (int s = 0; s < reps; s++) {
            long a = System.nanoTime();
            for (int i = 0; i < iters; i++) r.run();
            samples[s] = (System.nanoTime() - a) / 1e9 / iters;
        }
        Arrays.sort(samples);
        return samples[reps / 2];
    }

    /** FP32 FLOP/s of {@code pool.threads()} threads each running 12 independent FMA chains (no memory traffic). */
    private double measurePeak(ThreadPool pool) {
        int t = pool.threads();
        int iters = 1 << 20;
        double sec = time(() -> pool.parallelFor(t, i -> sink += fmaChains(iters)));
        return (double) t * iters * 12 * S.length() * 2 / sec / 1e9;
    }

    private static float fmaChains(int iters) {
        FloatVector m = FloatVector.broadcast(S, 0.999999f), c = FloatVector.broadcast(S, 1e-6f);
        FloatVector a0 = FloatVector.broadcast(S, 0.10f), a1 = FloatVector.broadcast(S, 0.11f);
        FloatVector a2 = FloatVector.broadcast(S, 0.12f), a3 = FloatVector.broadcast(S, 0.13f);
        FloatVector a4 = FloatVector.broadcast(S, 0.14f), a5 = FloatVector.broadcast(S, 0.15f);
        FloatVector a6 = FloatVector.broadcast(S, 0.16f), a7 = FloatVector.broadcast(S, 0.17f);
        FloatVector a8 = FloatVector.broadcast(S, 0.18f), a9 = FloatVector.broadcast(S, 0.19f);
        FloatVector a10 = FloatVector.broadcast(S, 0.20f), a11 = FloatVector.broadcast(S, 0.21f);
        for (int i = 0; i < iters; i++) {
            a0 = a0.fma(m, c); a1 = a1.fma(m, c); a2 = a2.fma(m, c); a3 = a3.fma(m, c);
            a4 = a4.fma(m, c); a5 = a5.fma(m, c); a6 = a6.fma(m, c); a7 = a7.fma(m, c);
            a8 = a8.fma(m, c); a9 = a9.fma(m, c); a10 = a10.fma(m, c); a11 = a11.fma(m, c);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .reduceLanes(VectorOperators.ADD);
    }

    private float[] bandwidthArray;

    /** Read GB/s: a vectorised sum over 256 MiB (far beyond the caches), split across the pool. */
    private double measureBandwidth(ThreadPool pool) {
        if (bandwidthArray == null) bandwidthArray = random(64 << 20, 5);
        float[] data = bandwidthArray;
        int chunks = pool.threads() * 4, per = data.length / chunks;
        float[] partial = new float[chunks];
        IntConsumer sum = c -> {
            FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S), s2 = FloatVector.zero(S), s3 = FloatVector.zero(S);
            int L = S.length();
            for (int i = c * per, end = i + per; i < end; i += 4 * L) {
                s0 = s0.add(FloatVector.fromArray(S, data, i));
                s1 = s1.add(FloatVector.fromArray(S, data, i + L));
                s2 = s2.add(FloatVector.fromArray(S, data, i + 2 * L));
                s3 = s3.add(FloatVector.fromArray(S, data, i + 3 * L));
            }
            partial[c] = s0.add(s1).add(s2).add(s3).reduceLanes(VectorOperators.ADD);
        };
        double sec = time(() -> pool.parallelFor(chunks, sum));
        sink += partial[0];
        return 4.0 * per * chunks / sec / 1e9;
    }

    private static double maxRelDiff(GemmReference.Job job, float[] ours) {
        float[] theirs = new float[ours.length];
        job.result(theirs);
        double maxRef = 0, maxDiff = 0;
        for (int i = 0; i < ours.length; i++) {
            maxRef = Math.max(maxRef, Math.abs(theirs[i]));
            maxDiff = Math.max(maxDiff, Math.abs(theirs[i] - ours[i]));
        }
        return maxDiff / maxRef;
    }

    private static float[] random(int n, long seed) {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
        return x;
    }

    private static boolean isAvx512Core(String core) {
        String c = core.toLowerCase(Locale.ROOT);
        return c.contains("skylakex") || c.contains("cooperlake") || c.contains("sapphire") || c.contains("zen");
    }

    private static String cpuModel() {
        return cpuinfo("model name").orElse(System.getProperty("os.arch"));
    }

    private static double cpuMhz() {
        return cpuinfo("cpu MHz").map(Double::parseDouble).orElse(0.0);
    }

    private static Optional<String> cpuinfo(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith(field)) return Optional.of(line.substring(line.indexOf(':') + 1).trim());
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: leave the field out
        }
        return Optional.empty();
    }

    private static void progress(String what) {
        System.err.println("bench kernels: " + what + "...");
    }

    private static String fmt(Object v, String f) {
        return v instanceof Double d ? String.format(Locale.ROOT, f, d) : "-";
    }
}
