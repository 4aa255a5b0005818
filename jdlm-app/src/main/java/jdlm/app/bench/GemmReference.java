package jdlm.app.bench;

/**
 * A reference SGEMM from outside jdlm (OpenBLAS), found with {@link java.util.ServiceLoader}.
 * The app itself has no native code: only the bench jar ({@code ./jdlm bench}) provides one.
 */
public interface GemmReference {
    /** e.g. "OpenBLAS 0.3.31". */
    String name();

    /** The kernel family the library chose for this CPU (OpenBLAS: {@code openblas_get_corename()}). */
    String coreName();

    void setThreads(int threads);

    /**
     * Copies {@code x[M,K]} and {@code W[N,K]} into the library's memory once, so that timing
     * {@link Job#run()} measures the multiply and not the copies.
     */
    Job prepareNT(int m, int n, int k, float[] x, float[] w);

    /** One prepared {@code y[M,N] = x[M,K] · W[N,K]ᵀ}. */
    interface Job extends AutoCloseable {
        void run();

        /** Copies the last result into {@code y[M*N]}. */
        void result(float[] y);

        @Override
        void close();
    }
}
