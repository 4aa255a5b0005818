package jdlm.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import jdlm.app.bench.GemmReference;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;

/** OpenBLAS {@code cblas_sgemm} (row-major, B transposed) through JavaCPP: the SGEMM to match. */
public final class OpenBlasSgemm implements GemmReference {
    private static final Object LOCK = new Object();
    private static volatile boolean loaded;

    public OpenBlasSgemm() {
        synchronized (LOCK) {
            if (!loaded) {
                Loader.load(openblas_nolapack.class);
                loaded = true;
            }
        }
    }

    @Override
    public String name() {
        return "OpenBLAS 0.3.31 (bytedeco 1.5.13)";
    }

    /** {@code openblas_get_corename()} is not mapped by the preset: call it through FFM on the loaded library. */
    @Override
    public String coreName() {
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup lib = SymbolLookup.libraryLookup("libopenblas.so.0", Arena.global());
            MethodHandle h = linker.downcallHandle(lib.find("openblas_get_corename").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.ADDRESS));
            MemorySegment s = (MemorySegment) h.invokeExact();
            return s.reinterpret(256).getString(0);
        } catch (Throwable t) {
            return "unknown (" + t.getClass().getSimpleName() + ": " + t.getMessage() + ")";
        }
    }

    @Override
    public void setThreads(int threads) {
        openblas_nolapack.blas_set_num_threads(threads);
    }

    @Override
    public Job prepareNT(int m, int n, int k, float[] x, float[] w) {
        FloatPointer a = new FloatPointer((long) m * k).put(x, 0, m * k);
        FloatPointer b = new FloatPointer((long) n * k).put(w, 0, n * k);
        FloatPointer c = new FloatPointer((long) m * n);
        return new Job() {
            @Override
            public void run() {
                // y[M,N] = x[M,K] · W[N,K]ᵀ
                openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans,
                        openblas_nolapack.CblasTrans, m, n, k, 1f, a, k, b, k, 0f, c, n);
            }

            @Override
            public void result(float[] y) {
                c.get(y, 0, m * n);
            }

            @Override
            public void close() {
                a.close();
                b.close();
                c.close();
            }
        };
    }
}
