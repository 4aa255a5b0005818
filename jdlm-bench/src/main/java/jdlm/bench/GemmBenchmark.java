package jdlm.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import jdlm.app.bench.GemmReference;
import jdlm.tensor.Gemm;
import jdlm.tensor.ThreadPool;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code y[M,N] = x[M,K] · W[N,K]ᵀ} at transformer shapes: jdlm's GEMM next to OpenBLAS in the same
 * fork. Run from the shaded jar, with OpenBLAS on its AVX-512 kernels:
 * <pre>
 * OPENBLAS_CORETYPE=SkylakeX java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *     -cp jdlm-bench/target/jdlm-bench.jar org.openjdk.jmh.Main GemmBenchmark
 * </pre>
 * Average time per call; GFLOP/s = 2·M·N·K / time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class GemmBenchmark {
    /** "M,K,N". */
    @Param({"256,512,2048", "256,2048,512", "1024,1024,1024", "1,4096,4096"})
    public String shape;

    @Param({"1", "2"})
    public int threads;

    private int m, k, n;
    private float[] x, w, y;
    private ThreadPool pool;
    private GemmReference.Job openblas;

    @Setup(Level.Trial)
    public void setup() {
        String[] s = shape.split(",");
        m = Integer.parseInt(s[0]);
        k = Integer.parseInt(s[1]);
        n = Integer.parseInt(s[2]);
        SplittableRandom rnd = new SplittableRandom(42);
        x = new float[m * k];
        w = new float[n * k];
        y = new float[m * n];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextDouble(-1, 1);
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextDouble(-1, 1);
        pool = threads == ThreadPool.shared().threads() ? ThreadPool.shared() : new ThreadPool(threads, true);
        OpenBlasSgemm ref = new OpenBlasSgemm();
        ref.setThreads(threads);
        openblas = ref.prepareNT(m, n, k, x, w);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        openblas.close();
    }

    @Benchmark
    public float[] jdlm() {
        Gemm.gemm(pool, false, true, m, n, k, x, 0, k, w, 0, k, y, 0, n, false);
        return y;
    }

    @Benchmark
    public void openblas() {
        openblas.run();
    }
}
