package jdlm.tensor;

/**
 * Single-precision general matrix multiply, BLAS style, on row-major float arrays:
 * {@code C[m,n] = op(A)[m,k] · op(B)[k,n]  (+ C if accumulate)}.
 *
 * <p>{@code op(X)} is X or Xᵀ. Every weight in jdlm is stored as {@code W[out,in]}, so the
 * model's forward is {@code gemm(false, true, ...)}: {@code y[M,N] = x[M,K] · W[N,K]ᵀ}.
 * Backward uses {@code dx = dy · W} (false, false) and {@code dW += dyᵀ · x} (true, false).
 *
 * <p>Leading dimensions are row strides: A is addressed {@code a[aOff + row*lda + col]} in its
 * stored (untransposed) shape, likewise B and C.
 *
 * <p>PLACEHOLDER: a plain reference loop; replaced by the register-blocked Vector API kernel.
 */
public final class Gemm {
    private Gemm() {}

    public static void gemm(boolean transA, boolean transB, int m, int n, int k,
                            float[] a, int aOff, int lda,
                            float[] b, int bOff, int ldb,
                            float[] c, int cOff, int ldc,
                            boolean accumulate) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0f;
                for (int p = 0; p < k; p++) {
                    float av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    float bv = transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                    s += av * bv;
                }
                int ci = cOff + i * ldc + j;
                c[ci] = accumulate ? c[ci] + s : s;
            }
        }
    }

    /** {@code y[M,N] = x[M,K] · W[N,K]ᵀ}, the layout of every weight: the model's forward. */
    public static void matmul(float[] y, float[] x, float[] w, int wOff, int m, int n, int k) {
        gemm(false, true, m, n, k, x, 0, k, w, wOff, k, y, 0, n, false);
    }
}
