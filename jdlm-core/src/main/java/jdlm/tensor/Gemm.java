package jdlm.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

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
 * <p>How (the Goto/BLIS scheme): C is cut into tiles that run in parallel on the {@link ThreadPool},
 * split between M and N so that the re-reading of A (once per column tile) and the packing of B (once
 * per row tile) cost least. Inside a tile, op(B) is packed in {@code NC×KC} blocks (L2) into slivers
 * of {@code NR} columns — packing absorbs the transpose of {@code W[N,K]}, 16×16 blocks at a time in
 * registers, and zero-pads the edges. For each block every {@code MR}-row micro-panel of op(A) (L1)
 * meets every sliver in the register-blocked micro-kernel. op(A) is never packed: a row-major A is
 * read as MR row streams, a transposed A as MR adjacent floats per step; edge rows repeat the last
 * valid row and are not stored.
 *
 * <p>Determinism: every element of C is one FMA chain per K block in a fixed order, added to C block
 * after block; the tiling depends only on the shape and the pool size, so the same call gives the
 * same bits, compiled or interpreted, on any pool of the same size.
 * One-row products ({@code m == 1}, AR decode) and one-column products skip packing: they are
 * memory-bound dot products streamed over the matrix rows.
 */
public final class Gemm {
    private Gemm() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Lanes per vector (16 with AVX-512). */
    private static final int L = S.length();
    /**
     * Micro-tile: MR rows of C by NR = 4 vectors of columns. 24 accumulators + 4 B vectors + 1
     * broadcast fit AVX-512's 32 registers, and each broadcast feeds 4 FMAs (an 8×2 tile feeds 2,
     * and the broadcasts then compete with the FMAs for issue slots).
     */
    private static final int MR = 6;
    private static final int NR = 4 * L;
    /** K block: an A micro-panel (MR×KC, 12 KiB) stays in L1, the packed B block (NC×KC) in L2. */
    private static final int KC = 512;
    /**
     * K block for a transposed A: its micro-panel touches one cache line per step (and a new page
     * every few steps), and 256 steps of it still fit L1 and the TLB.
     */
    private static final int KC_T = 256;
    /** Columns of a {@link RowSource}'s rows decoded at a time: a multiple of every GGML block (32, 256). */
    private static final int ROWS_KC = 256;
    /** Columns of op(B) packed per block (KC×NC floats, 512 KiB, in L2). */
    private static final int NC = 256;
    /** Lane l ↔ lane l^d, and the lanes with bit d set: the butterfly of the in-register transpose. */
    private static final VectorShuffle<Float> X8 = VectorShuffle.fromOp(S, l -> (l ^ 8) % L),
            X4 = VectorShuffle.fromOp(S, l -> (l ^ 4) % L), X2 = VectorShuffle.fromOp(S, l -> (l ^ 2) % L),
            X1 = VectorShuffle.fromOp(S, l -> (l ^ 1) % L);
    private static final VectorMask<Float> M8 = VectorMask.fromLong(S, 0xFF00L),
            M4 = VectorMask.fromLong(S, 0xF0F0L), M2 = VectorMask.fromLong(S, 0xCCCCL),
            M1 = VectorMask.fromLong(S, 0xAAAAL);
    /** Below this many multiply-adds a plain loop beats packing. */
    private static final long SMALL_MACS = 8 * 8 * 64;
    /** Below this many multiply-adds one thread beats handing work to the pool. */
    private static final long PARALLEL_MACS = 1L << 18;

    /** Per-thread packing buffers, reused across calls: no allocation per multiply. */
    private static final class Buffers {
        final float[] bp = new float[NC * KC];
        final float[] tmp = new float[MR * NR];
        /** One sliver of rows from a {@link RowSource} (NR×KC), allocated on first use. */
        float[] rows;
    }

    /**
     * The rows of a weight matrix {@code W[N,K]} handed over as floats on demand, for a W that is
     * not a float array (stored quantised, memory-mapped: {@link WeightMatmul}).
     */
    @FunctionalInterface
    interface RowSource {
        /** Elements [p0, p0+kc) of rows [j0, j0+nr) of W: row j0+r's element p0+i to {@code dst[r*ld + i]}. */
        void rows(int j0, int nr, int p0, int kc, float[] dst, int ld);
    }

    /** Packs op(B)[p0:p0+kc, j0:j0+nc] into {@code bp} as slivers (see {@link #packB}); runs on the tile's thread. */
    @FunctionalInterface
    private interface Packer {
        void pack(int j0, int nc, int p0, int kc, float[] bp);
    }

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    public static void gemm(boolean transA, boolean transB, int m, int n, int k,
                            float[] a, int aOff, int lda,
                            float[] b, int bOff, int ldb,
                            float[] c, int cOff, int ldc,
                            boolean accumulate) {
        gemm(ThreadPool.shared(), transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
    }

    /** {@link #gemm(boolean, boolean, int, int, int, float[], int, int, float[], int, int, float[], int, int, boolean)} on a given pool (benchmarks use pools of 1 and 2 threads). */
    public static void gemm(ThreadPool pool, boolean transA, boolean transB, int m, int n, int k,
                            float[] a, int aOff, int lda,
                            float[] b, int bOff, int ldb,
                            float[] c, int cOff, int ldc,
                            boolean accumulate) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("negative size: m=" + m + " n=" + n + " k=" + k);
        }
        if (m == 0 || n == 0) return;
        if (k == 0) { // empty sum: C = 0, or C unchanged when accumulating
            if (!accumulate) {
                for (int i = 0; i < m; i++) java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
            }
            return;
        }
        long macs = (long) m * n * k;
        ThreadPool par = parallel(pool, macs);
        if (m == 1) { // one row of op(A) against op(B): AR decode's matrix-vector product
            float[] x = a;
            int xOff = aOff;
            if (transA && lda != 1) { // the row of op(A) is a strided column of A: gather it
                x = gatherVector(a, aOff, lda, k);
                xOff = 0;
            }
            if (transB) {
                dotRows(b, bOff, ldb, n, x, xOff, k, c, cOff, 1, accumulate, par);
            } else {
                rowTimesMatrix(x, xOff, b, bOff, ldb, n, k, c, cOff, accumulate, par);
            }
            return;
        }
        if (n == 1 && !transA) { // rows of A against one column of op(B)
            float[] x = b;
            int xOff = bOff;
            if (!transB && ldb != 1) {
                x = gatherVector(b, bOff, ldb, k);
                xOff = 0;
            }
            dotRows(a, aOff, lda, m, x, xOff, k, c, cOff, ldc, accumulate, par);
            return;
        }
        if (macs <= SMALL_MACS) {
            naive(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
            return;
        }
        blocked(transA, m, n, k, a, aOff, lda, (j0, nc, p0, kc, bp) -> packB(transB, b, bOff, ldb, j0, nc, p0, kc, bp),
                c, cOff, ldc, accumulate, par);
    }

    /**
     * {@code C[m,n] (+)= A[m,k] · Wᵀ} with the rows of {@code W[n,k]} taken from a source, through the
     * packed path whatever the shape: each K block of each row sliver is asked for once per tile of
     * C's rows (once in all when m is small) and packed like a float W. Element (i, j) gets the bits
     * {@code gemm(false, true, ...)} gives on the decoded W where that takes the packed path (m and n
     * above 1, more than {@link #SMALL_MACS}), for any m and any pool.
     */
    static void gemmRows(ThreadPool pool, int m, int n, int k, float[] a, int aOff, int lda, RowSource w,
                         float[] c, int cOff, int ldc, boolean accumulate) {
        if (m <= 0 || n <= 0 || k <= 0) throw new IllegalArgumentException("gemmRows needs m, n, k > 0: " + m + ", " + n + ", " + k);
        ThreadPool par = parallel(pool, (long) m * n * k);
        blocked(false, m, n, k, a, aOff, lda, (j0, nc, p0, kc, bp) -> packRows(w, j0, nc, p0, kc, bp),
                c, cOff, ldc, accumulate, par);
    }

    /** The pool when a product of this many multiply-adds is worth handing to it, else null (the calling thread). */
    private static ThreadPool parallel(ThreadPool pool, long macs) {
        return macs >= PARALLEL_MACS && pool.threads() > 1 ? pool : null;
    }

    /** {@code y[M,N] = x[M,K] · W[N,K]ᵀ}, the layout of every weight: the model's forward. */
    public static void matmul(float[] y, float[] x, float[] w, int wOff, int m, int n, int k) {
        gemm(false, true, m, n, k, x, 0, k, w, wOff, k, y, 0, n, false);
    }

    /** The packed, register-blocked path; {@code pool == null} runs on the calling thread. */
    private static void blocked(boolean transA, int m, int n, int k, float[] a, int aOff, int lda, Packer packer,
                                float[] c, int cOff, int ldc, boolean accumulate, ThreadPool pool) {
        // C is cut into mTiles × nTiles tasks (4 per thread, so a core slowed by a neighbour hands
        // work to the other). Every N tile reads all of its rows of A and every M tile packs all of
        // its columns of B, so the split minimises that traffic, nTiles·m + mTiles·n: the forward
        // at M=256 splits N (each weight column packed once), dW with M=1408 splits M too.
        int threads = pool == null ? 1 : pool.threads();
        int want = threads == 1 ? 1 : 4 * threads;
        int maxM = ceilDiv(m, MR), maxN = ceilDiv(n, NR);
        int mTiles = 1, nTiles = Math.min(want, maxN);
        long best = Long.MAX_VALUE;
        for (int mt = 1; mt <= Math.min(want, maxM); mt++) {
            int nt = Math.min(ceilDiv(want, mt), maxN);
            long traffic = (long) nt * m + (long) mt * n;
            if (mt * nt >= Math.min(want, maxM * maxN) && traffic < best) {
                best = traffic;
                mTiles = mt;
                nTiles = nt;
            }
        }
        int mc = roundUp(ceilDiv(m, mTiles), MR), nc = roundUp(ceilDiv(n, nTiles), NR);
        mTiles = ceilDiv(m, mc);
        nTiles = ceilDiv(n, nc);
        final int tileM = mc, tileN = nc, tilesN = nTiles;
        java.util.function.IntConsumer tile = t -> {
            int i0 = (t / tilesN) * tileM, j0 = (t % tilesN) * tileN;
            blockedTile(transA, i0, Math.min(tileM, m - i0), j0, Math.min(tileN, n - j0), k,
                    a, aOff, lda, packer, c, cOff, ldc, accumulate, BUFFERS.get());
        };
        int tiles = mTiles * nTiles;
        if (pool == null || tiles == 1) {
            for (int t = 0; t < tiles; t++) tile.accept(t);
        } else {
            pool.parallelFor(tiles, tile);
        }
    }

    /**
     * One tile of C, rows [i0, i0+mt) and columns [j0, j0+nt): for each NC×KC block of op(B), pack it
     * once (L2), then for each MR-row micro-panel of op(A) (L1) run the micro-kernel over the
     * block's NR-column slivers.
     */
    private static void blockedTile(boolean transA, int i0, int mt, int j0, int nt, int k,
                                    float[] a, int aOff, int lda, Packer packer,
                                    float[] c, int cOff, int ldc, boolean accumulate, Buffers buf) {
        float[] bp = buf.bp, tmp = buf.tmp;
        // op(A) is read in place, row r and step p at a[aBase + r*rs + p*ks]: a row-major A gives MR
        // row streams, a transposed A MR adjacent floats per step
        int rs = transA ? 1 : lda, ks = transA ? lda : 1;
        // a transposed A's micro-panel touches one cache line (and every few steps one page) per
        // step: half the K block keeps those lines in L1
        int kcMax = transA ? KC_T : KC;
        for (int jc = 0; jc < nt; jc += NC) {
            int nb = Math.min(NC, nt - jc);
            for (int pc = 0; pc < k; pc += kcMax) {
                int kc = Math.min(kcMax, k - pc);
                packer.pack(j0 + jc, nb, pc, kc, bp);
                boolean acc = accumulate || pc > 0;
                for (int ir = 0; ir < mt; ir += MR) {
                    int i = i0 + ir, rows = Math.min(MR, mt - ir);
                    int aBase = aOff + (transA ? pc * lda + i : i * lda + pc);
                    int cRow = cOff + i * ldc + j0 + jc;
                    for (int jr = 0; jr < nb; jr += NR) {
                        int cols = Math.min(NR, nb - jr);
                        if (cols <= L) { // a last sliver of at most one vector (N = 259): a quarter of the work
                            kernelNarrow(a, aBase, rs, ks, bp, jr * kc, kc, c, cRow + jr, ldc, acc, rows, cols, tmp);
                        } else {
                            kernel(a, aBase, rs, ks, bp, jr * kc, kc, c, cRow + jr, ldc, acc, rows, cols, tmp);
                        }
                    }
                }
            }
        }
    }

    /** Packs op(B)[p0:p0+kc, j0:j0+nc] as slivers of NR columns, {@code bp[t*NR*kc + p*NR + j]}, zero-padded. */
    private static void packB(boolean transB, float[] b, int bOff, int ldb, int j0, int nc, int p0, int kc,
                              float[] bp) {
        for (int t = 0, jr = 0; jr < nc; t++, jr += NR) {
            int base = t * NR * kc;
            int cols = Math.min(NR, nc - jr);
            if (transB) { // op(B)[p][j] = b[bOff + j*ldb + p]: read rows of W, write interleaved
                packSliverTransposed(b, bOff + (j0 + jr) * ldb + p0, ldb, cols, kc, bp, base);
            } else if (cols == NR) { // op(B) row p: NR contiguous floats
                for (int p = 0; p < kc; p++) {
                    int src = bOff + (p0 + p) * ldb + j0 + jr, dst = base + p * NR;
                    FloatVector.fromArray(S, b, src).intoArray(bp, dst);
                    FloatVector.fromArray(S, b, src + L).intoArray(bp, dst + L);
                    FloatVector.fromArray(S, b, src + 2 * L).intoArray(bp, dst + 2 * L);
                    FloatVector.fromArray(S, b, src + 3 * L).intoArray(bp, dst + 3 * L);
                }
            } else {
                for (int p = 0; p < kc; p++) {
                    int src = bOff + (p0 + p) * ldb + j0 + jr;
                    int dst = base + p * NR;
                    System.arraycopy(b, src, bp, dst, cols);
                    java.util.Arrays.fill(bp, dst + cols, dst + NR, 0f);
                }
            }
        }
    }

    /** Packs {@code rows.rows(j0.., p0..)} as {@link #packB} packs a transposed B: a sliver of rows at a time. */
    private static void packRows(RowSource rows, int j0, int nc, int p0, int kc, float[] bp) {
        Buffers buf = BUFFERS.get();
        if (buf.rows == null) buf.rows = new float[NR * KC];
        float[] dec = buf.rows;
        for (int t = 0, jr = 0; jr < nc; t++, jr += NR) {
            int cols = Math.min(NR, nc - jr), base = t * NR * kc;
            if (L == 16 && cols == NR) {
                // 16 rows × 256 columns at a time (16 KiB), transposed while still in L1
                for (int jb = 0; jb < NR; jb += 16) {
                    for (int pp = 0; pp < kc; pp += ROWS_KC) {
                        int len = Math.min(ROWS_KC, kc - pp);
                        rows.rows(j0 + jr + jb, 16, p0 + pp, len, dec, len);
                        packTransposed16Group(dec, 0, len, len, bp, base + pp * NR + jb);
                    }
                }
            } else {
                rows.rows(j0 + jr, cols, p0, kc, dec, kc);
                packSliverTransposed(dec, 0, kc, cols, kc, bp, base);
            }
        }
    }

    /**
     * {@code bp[base + p*NR + j] = b[src + j*ldb + p]} for j in [0, cols), p in [0, kc), zero for
     * j in [cols, NR): one sliver of a transposed B (rows of W in, interleaved out). A full sliver on
     * 16 lanes goes 16 rows at a time through the in-register transpose, the rows read as 16
     * sequential streams.
     */
    private static void packSliverTransposed(float[] b, int src, int ldb, int cols, int kc, float[] bp, int base) {
        if (L == 16 && cols == NR) {
            for (int jb = 0; jb < NR; jb += 16) packTransposed16Group(b, src + jb * ldb, ldb, kc, bp, base + jb);
            return;
        }
        for (int j = 0; j < cols; j++) {
            int row = src + j * ldb;
            for (int p = 0; p < kc; p++) bp[base + p * NR + j] = b[row + p];
        }
        if (cols < NR) {
            for (int p = 0; p < kc; p++) {
                for (int j = cols; j < NR; j++) bp[base + p * NR + j] = 0f;
            }
        }
    }

    /**
     * 16 rows of b from {@code row}, kc long, into columns [d, d+16) of a sliver ({@code bp[d + p*NR + j]}),
     * 16×16 blocks at a time transposed in registers. AVX-512 only (16 lanes).
     */
    private static void packTransposed16Group(float[] b, int row, int ldb, int kc, float[] bp, int d) {
        int pv = kc & ~15;
        for (int p = 0; p < pv; p += 16) transpose16(b, row + p, ldb, bp, d + p * NR);
        for (int j = 0; j < 16; j++) {
            for (int p = pv; p < kc; p++) bp[d + p * NR + j] = b[row + j * ldb + p];
        }
    }

    /**
     * One 16×16 block: {@code bp[d + q*NR + j] = b[o + j*ldb + q]}, four butterfly stages (lane l of
     * row i swaps with lane l^d of row i^d, d = 8, 4, 2, 1: one rearrange and one blend per row and
     * stage). A method per block on purpose: its invocation count, not a rarely taken loop back
     * edge, gets it compiled, so the first products after start-up are not stuck in the interpreter.
     */
    private static void transpose16(float[] b, int o, int ldb, float[] bp, int d) {
        FloatVector r0 = FloatVector.fromArray(S, b, o);
        FloatVector r1 = FloatVector.fromArray(S, b, o + 1 * ldb);
        FloatVector r2 = FloatVector.fromArray(S, b, o + 2 * ldb);
        FloatVector r3 = FloatVector.fromArray(S, b, o + 3 * ldb);
        FloatVector r4 = FloatVector.fromArray(S, b, o + 4 * ldb);
        FloatVector r5 = FloatVector.fromArray(S, b, o + 5 * ldb);
        FloatVector r6 = FloatVector.fromArray(S, b, o + 6 * ldb);
        FloatVector r7 = FloatVector.fromArray(S, b, o + 7 * ldb);
        FloatVector r8 = FloatVector.fromArray(S, b, o + 8 * ldb);
        FloatVector r9 = FloatVector.fromArray(S, b, o + 9 * ldb);
        FloatVector r10 = FloatVector.fromArray(S, b, o + 10 * ldb);
        FloatVector r11 = FloatVector.fromArray(S, b, o + 11 * ldb);
        FloatVector r12 = FloatVector.fromArray(S, b, o + 12 * ldb);
        FloatVector r13 = FloatVector.fromArray(S, b, o + 13 * ldb);
        FloatVector r14 = FloatVector.fromArray(S, b, o + 14 * ldb);
        FloatVector r15 = FloatVector.fromArray(S, b, o + 15 * ldb);
        FloatVector t;
        t = r0.blend(r8.rearrange(X8), M8); r8 = r0.rearrange(X8).blend(r8, M8); r0 = t;
        t = r1.blend(r9.rearrange(X8), M8); r9 = r1.rearrange(X8).blend(r9, M8); r1 = t;
        t = r2.blend(r10.rearrange(X8), M8); r10 = r2.rearrange(X8).blend(r10, M8); r2 = t;
        t = r3.blend(r11.rearrange(X8), M8); r11 = r3.rearrange(X8).blend(r11, M8); r3 = t;
        t = r4.blend(r12.rearrange(X8), M8); r12 = r4.rearrange(X8).blend(r12, M8); r4 = t;
        t = r5.blend(r13.rearrange(X8), M8); r13 = r5.rearrange(X8).blend(r13, M8); r5 = t;
        t = r6.blend(r14.rearrange(X8), M8); r14 = r6.rearrange(X8).blend(r14, M8); r6 = t;
        t = r7.blend(r15.rearrange(X8), M8); r15 = r7.rearrange(X8).blend(r15, M8); r7 = t;
        t = r0.blend(r4.rearrange(X4), M4); r4 = r0.rearrange(X4).blend(r4, M4); r0 = t;
        t = r1.blend(r5.rearrange(X4), M4); r5 = r1.rearrange(X4).blend(r5, M4); r1 = t;
        t = r2.blend(r6.rearrange(X4), M4); r6 = r2.rearrange(X4).blend(r6, M4); r2 = t;
        t = r3.blend(r7.rearrange(X4), M4); r7 = r3.rearrange(X4).blend(r7, M4); r3 = t;
        t = r8.blend(r12.rearrange(X4), M4); r12 = r8.rearrange(X4).blend(r12, M4); r8 = t;
        t = r9.blend(r13.rearrange(X4), M4); r13 = r9.rearrange(X4).blend(r13, M4); r9 = t;
        t = r10.blend(r14.rearrange(X4), M4); r14 = r10.rearrange(X4).blend(r14, M4); r10 = t;
        t = r11.blend(r15.rearrange(X4), M4); r15 = r11.rearrange(X4).blend(r15, M4); r11 = t;
        t = r0.blend(r2.rearrange(X2), M2); r2 = r0.rearrange(X2).blend(r2, M2); r0 = t;
        t = r1.blend(r3.rearrange(X2), M2); r3 = r1.rearrange(X2).blend(r3, M2); r1 = t;
        t = r4.blend(r6.rearrange(X2), M2); r6 = r4.rearrange(X2).blend(r6, M2); r4 = t;
        t = r5.blend(r7.rearrange(X2), M2); r7 = r5.rearrange(X2).blend(r7, M2); r5 = t;
        t = r8.blend(r10.rearrange(X2), M2); r10 = r8.rearrange(X2).blend(r10, M2); r8 = t;
        t = r9.blend(r11.rearrange(X2), M2); r11 = r9.rearrange(X2).blend(r11, M2); r9 = t;
        t = r12.blend(r14.rearrange(X2), M2); r14 = r12.rearrange(X2).blend(r14, M2); r12 = t;
        t = r13.blend(r15.rearrange(X2), M2); r15 = r13.rearrange(X2).blend(r15, M2); r13 = t;
        t = r0.blend(r1.rearrange(X1), M1); r1 = r0.rearrange(X1).blend(r1, M1); r0 = t;
        t = r2.blend(r3.rearrange(X1), M1); r3 = r2.rearrange(X1).blend(r3, M1); r2 = t;
        t = r4.blend(r5.rearrange(X1), M1); r5 = r4.rearrange(X1).blend(r5, M1); r4 = t;
        t = r6.blend(r7.rearrange(X1), M1); r7 = r6.rearrange(X1).blend(r7, M1); r6 = t;
        t = r8.blend(r9.rearrange(X1), M1); r9 = r8.rearrange(X1).blend(r9, M1); r8 = t;
        t = r10.blend(r11.rearrange(X1), M1); r11 = r10.rearrange(X1).blend(r11, M1); r10 = t;
        t = r12.blend(r13.rearrange(X1), M1); r13 = r12.rearrange(X1).blend(r13, M1); r12 = t;
        t = r14.blend(r15.rearrange(X1), M1); r15 = r14.rearrange(X1).blend(r15, M1); r14 = t;
        r0.intoArray(bp, d + 0 * NR);
        r1.intoArray(bp, d + 1 * NR);
        r2.intoArray(bp, d + 2 * NR);
        r3.intoArray(bp, d + 3 * NR);
        r4.intoArray(bp, d + 4 * NR);
        r5.intoArray(bp, d + 5 * NR);
        r6.intoArray(bp, d + 6 * NR);
        r7.intoArray(bp, d + 7 * NR);
        r8.intoArray(bp, d + 8 * NR);
        r9.intoArray(bp, d + 9 * NR);
        r10.intoArray(bp, d + 10 * NR);
        r11.intoArray(bp, d + 11 * NR);
        r12.intoArray(bp, d + 12 * NR);
        r13.intoArray(bp, d + 13 * NR);
        r14.intoArray(bp, d + 14 * NR);
        r15.intoArray(bp, d + 15 * NR);
    }

    /**
     * The 6×(4 vectors) micro-kernel: {@code C[rows,cols] (+)= A[6,kc] · Bp[kc,NR]}, A read at
     * {@code a[aBase + r*rs + p*ks]} (rows past {@code rows} repeat the last valid row and are not
     * stored), B from one packed sliver ({@code bp[p*NR + j]}). One flat method on purpose:
     * vector-returning helpers that do not inline get boxed by C2.
     */
    private static void kernel(float[] a, int aBase, int rs, int ks, float[] bp, int bBase, int kc,
                               float[] c, int cIdx, int ldc, boolean acc, int rows, int cols, float[] tmp) {
        final int a0 = aBase + Math.min(0, rows - 1) * rs;
        final int a1 = aBase + Math.min(1, rows - 1) * rs;
        final int a2 = aBase + Math.min(2, rows - 1) * rs;
        final int a3 = aBase + Math.min(3, rows - 1) * rs;
        final int a4 = aBase + Math.min(4, rows - 1) * rs;
        final int a5 = aBase + Math.min(5, rows - 1) * rs;
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c02 = FloatVector.zero(S), c03 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S), c12 = FloatVector.zero(S), c13 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c22 = FloatVector.zero(S), c23 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S), c32 = FloatVector.zero(S), c33 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S), c42 = FloatVector.zero(S), c43 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S), c52 = FloatVector.zero(S), c53 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int ao = p * ks, bo = bBase + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bo);
            FloatVector b1 = FloatVector.fromArray(S, bp, bo + L);
            FloatVector b2 = FloatVector.fromArray(S, bp, bo + 2 * L);
            FloatVector b3 = FloatVector.fromArray(S, bp, bo + 3 * L);
            FloatVector av;
            av = FloatVector.broadcast(S, a[a0 + ao]); c00 = av.fma(b0, c00); c01 = av.fma(b1, c01); c02 = av.fma(b2, c02); c03 = av.fma(b3, c03);
            av = FloatVector.broadcast(S, a[a1 + ao]); c10 = av.fma(b0, c10); c11 = av.fma(b1, c11); c12 = av.fma(b2, c12); c13 = av.fma(b3, c13);
            av = FloatVector.broadcast(S, a[a2 + ao]); c20 = av.fma(b0, c20); c21 = av.fma(b1, c21); c22 = av.fma(b2, c22); c23 = av.fma(b3, c23);
            av = FloatVector.broadcast(S, a[a3 + ao]); c30 = av.fma(b0, c30); c31 = av.fma(b1, c31); c32 = av.fma(b2, c32); c33 = av.fma(b3, c33);
            av = FloatVector.broadcast(S, a[a4 + ao]); c40 = av.fma(b0, c40); c41 = av.fma(b1, c41); c42 = av.fma(b2, c42); c43 = av.fma(b3, c43);
            av = FloatVector.broadcast(S, a[a5 + ao]); c50 = av.fma(b0, c50); c51 = av.fma(b1, c51); c52 = av.fma(b2, c52); c53 = av.fma(b3, c53);
        }
        if (rows == MR && cols == NR) {
            if (acc) {
                c00 = c00.add(FloatVector.fromArray(S, c, cIdx + 0 * ldc)); c01 = c01.add(FloatVector.fromArray(S, c, cIdx + 0 * ldc + L)); c02 = c02.add(FloatVector.fromArray(S, c, cIdx + 0 * ldc + 2 * L)); c03 = c03.add(FloatVector.fromArray(S, c, cIdx + 0 * ldc + 3 * L));
                c10 = c10.add(FloatVector.fromArray(S, c, cIdx + 1 * ldc)); c11 = c11.add(FloatVector.fromArray(S, c, cIdx + 1 * ldc + L)); c12 = c12.add(FloatVector.fromArray(S, c, cIdx + 1 * ldc + 2 * L)); c13 = c13.add(FloatVector.fromArray(S, c, cIdx + 1 * ldc + 3 * L));
                c20 = c20.add(FloatVector.fromArray(S, c, cIdx + 2 * ldc)); c21 = c21.add(FloatVector.fromArray(S, c, cIdx + 2 * ldc + L)); c22 = c22.add(FloatVector.fromArray(S, c, cIdx + 2 * ldc + 2 * L)); c23 = c23.add(FloatVector.fromArray(S, c, cIdx + 2 * ldc + 3 * L));
                c30 = c30.add(FloatVector.fromArray(S, c, cIdx + 3 * ldc)); c31 = c31.add(FloatVector.fromArray(S, c, cIdx + 3 * ldc + L)); c32 = c32.add(FloatVector.fromArray(S, c, cIdx + 3 * ldc + 2 * L)); c33 = c33.add(FloatVector.fromArray(S, c, cIdx + 3 * ldc + 3 * L));
                c40 = c40.add(FloatVector.fromArray(S, c, cIdx + 4 * ldc)); c41 = c41.add(FloatVector.fromArray(S, c, cIdx + 4 * ldc + L)); c42 = c42.add(FloatVector.fromArray(S, c, cIdx + 4 * ldc + 2 * L)); c43 = c43.add(FloatVector.fromArray(S, c, cIdx + 4 * ldc + 3 * L));
                c50 = c50.add(FloatVector.fromArray(S, c, cIdx + 5 * ldc)); c51 = c51.add(FloatVector.fromArray(S, c, cIdx + 5 * ldc + L)); c52 = c52.add(FloatVector.fromArray(S, c, cIdx + 5 * ldc + 2 * L)); c53 = c53.add(FloatVector.fromArray(S, c, cIdx + 5 * ldc + 3 * L));
            }
            c00.intoArray(c, cIdx + 0 * ldc); c01.intoArray(c, cIdx + 0 * ldc + L); c02.intoArray(c, cIdx + 0 * ldc + 2 * L); c03.intoArray(c, cIdx + 0 * ldc + 3 * L);
            c10.intoArray(c, cIdx + 1 * ldc); c11.intoArray(c, cIdx + 1 * ldc + L); c12.intoArray(c, cIdx + 1 * ldc + 2 * L); c13.intoArray(c, cIdx + 1 * ldc + 3 * L);
            c20.intoArray(c, cIdx + 2 * ldc); c21.intoArray(c, cIdx + 2 * ldc + L); c22.intoArray(c, cIdx + 2 * ldc + 2 * L); c23.intoArray(c, cIdx + 2 * ldc + 3 * L);
            c30.intoArray(c, cIdx + 3 * ldc); c31.intoArray(c, cIdx + 3 * ldc + L); c32.intoArray(c, cIdx + 3 * ldc + 2 * L); c33.intoArray(c, cIdx + 3 * ldc + 3 * L);
            c40.intoArray(c, cIdx + 4 * ldc); c41.intoArray(c, cIdx + 4 * ldc + L); c42.intoArray(c, cIdx + 4 * ldc + 2 * L); c43.intoArray(c, cIdx + 4 * ldc + 3 * L);
            c50.intoArray(c, cIdx + 5 * ldc); c51.intoArray(c, cIdx + 5 * ldc + L); c52.intoArray(c, cIdx + 5 * ldc + 2 * L); c53.intoArray(c, cIdx + 5 * ldc + 3 * L);
            return;
        }
        // edge tile: spill to tmp[MR*NR], then write the valid part
        c00.intoArray(tmp, 0 * NR); c01.intoArray(tmp, 0 * NR + L); c02.intoArray(tmp, 0 * NR + 2 * L); c03.intoArray(tmp, 0 * NR + 3 * L);
        c10.intoArray(tmp, 1 * NR); c11.intoArray(tmp, 1 * NR + L); c12.intoArray(tmp, 1 * NR + 2 * L); c13.intoArray(tmp, 1 * NR + 3 * L);
        c20.intoArray(tmp, 2 * NR); c21.intoArray(tmp, 2 * NR + L); c22.intoArray(tmp, 2 * NR + 2 * L); c23.intoArray(tmp, 2 * NR + 3 * L);
        c30.intoArray(tmp, 3 * NR); c31.intoArray(tmp, 3 * NR + L); c32.intoArray(tmp, 3 * NR + 2 * L); c33.intoArray(tmp, 3 * NR + 3 * L);
        c40.intoArray(tmp, 4 * NR); c41.intoArray(tmp, 4 * NR + L); c42.intoArray(tmp, 4 * NR + 2 * L); c43.intoArray(tmp, 4 * NR + 3 * L);
        c50.intoArray(tmp, 5 * NR); c51.intoArray(tmp, 5 * NR + L); c52.intoArray(tmp, 5 * NR + 2 * L); c53.intoArray(tmp, 5 * NR + 3 * L);
        storeEdge(tmp, c, cIdx, ldc, acc, rows, cols);
    }

    /** {@link #kernel} for a sliver whose valid columns fit one vector: 6×(1 vector), edge store only. */
    private static void kernelNarrow(float[] a, int aBase, int rs, int ks, float[] bp, int bBase, int kc,
                                     float[] c, int cIdx, int ldc, boolean acc, int rows, int cols, float[] tmp) {
        final int a0 = aBase + Math.min(0, rows - 1) * rs;
        final int a1 = aBase + Math.min(1, rows - 1) * rs;
        final int a2 = aBase + Math.min(2, rows - 1) * rs;
        final int a3 = aBase + Math.min(3, rows - 1) * rs;
        final int a4 = aBase + Math.min(4, rows - 1) * rs;
        final int a5 = aBase + Math.min(5, rows - 1) * rs;
        FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S), c2 = FloatVector.zero(S);
        FloatVector c3 = FloatVector.zero(S), c4 = FloatVector.zero(S), c5 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int ao = p * ks;
            FloatVector b0 = FloatVector.fromArray(S, bp, bBase + p * NR);
            c0 = FloatVector.broadcast(S, a[a0 + ao]).fma(b0, c0);
            c1 = FloatVector.broadcast(S, a[a1 + ao]).fma(b0, c1);
            c2 = FloatVector.broadcast(S, a[a2 + ao]).fma(b0, c2);
            c3 = FloatVector.broadcast(S, a[a3 + ao]).fma(b0, c3);
            c4 = FloatVector.broadcast(S, a[a4 + ao]).fma(b0, c4);
            c5 = FloatVector.broadcast(S, a[a5 + ao]).fma(b0, c5);
        }
        c0.intoArray(tmp, 0 * NR);
        c1.intoArray(tmp, 1 * NR);
        c2.intoArray(tmp, 2 * NR);
        c3.intoArray(tmp, 3 * NR);
        c4.intoArray(tmp, 4 * NR);
        c5.intoArray(tmp, 5 * NR);
        storeEdge(tmp, c, cIdx, ldc, acc, rows, cols);
    }

    /** Writes the valid {@code rows×cols} corner of an edge micro-tile held in {@code tmp[MR*NR]}. */
    private static void storeEdge(float[] tmp, float[] c, int cIdx, int ldc, boolean acc, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            int ci = cIdx + r * ldc;
            for (int j = 0; j < cols; j++) c[ci + j] = acc ? c[ci + j] + tmp[r * NR + j] : tmp[r * NR + j];
        }
    }

    /**
     * {@code out[i*outStride] (+)= rows[i,:] · x[0:k]} for i in [0, count): the matrix-vector product,
     * memory-bound, so it streams four rows at a time against one load of x.
     */
    private static void dotRows(float[] rows, int rOff, int ldr, int count, float[] x, int xOff, int k,
                                float[] out, int oOff, int oStride, boolean acc, ThreadPool pool) {
        int chunks = pool != null ? Math.min(ceilDiv(count, 4), pool.threads() * 8) : 1;
        if (chunks <= 1) {
            dotRowsRange(rows, rOff, ldr, 0, count, x, xOff, k, out, oOff, oStride, acc);
            return;
        }
        int per = roundUp(ceilDiv(count, chunks), 4);
        pool.parallelFor(ceilDiv(count, per), t -> dotRowsRange(rows, rOff, ldr, t * per,
                Math.min(count, (t + 1) * per), x, xOff, k, out, oOff, oStride, acc));
    }

    private static void dotRowsRange(float[] w, int wOff, int ldw, int from, int to, float[] x, int xOff, int k,
                                     float[] out, int oOff, int oStride, boolean acc) {
        int kv = k - k % L;
        int i = from;
        // y[i..i+4) = W[i..i+4, :] · x: four independent accumulators share each load of x
        for (; i + 4 <= to; i += 4) {
            int r0 = wOff + i * ldw, r1 = r0 + ldw, r2 = r1 + ldw, r3 = r2 + ldw;
            FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S);
            FloatVector s2 = FloatVector.zero(S), s3 = FloatVector.zero(S);
            for (int p = 0; p < kv; p += L) {
                FloatVector xv = FloatVector.fromArray(S, x, xOff + p);
                s0 = FloatVector.fromArray(S, w, r0 + p).fma(xv, s0);
                s1 = FloatVector.fromArray(S, w, r1 + p).fma(xv, s1);
                s2 = FloatVector.fromArray(S, w, r2 + p).fma(xv, s2);
                s3 = FloatVector.fromArray(S, w, r3 + p).fma(xv, s3);
            }
            float d0 = LaneSum.of(s0), d1 = LaneSum.of(s1);
            float d2 = LaneSum.of(s2), d3 = LaneSum.of(s3);
            for (int p = kv; p < k; p++) {
                float xp = x[xOff + p];
                d0 += w[r0 + p] * xp;
                d1 += w[r1 + p] * xp;
                d2 += w[r2 + p] * xp;
                d3 += w[r3 + p] * xp;
            }
            int o = oOff + i * oStride;
            if (acc) {
                out[o] += d0; out[o + oStride] += d1; out[o + 2 * oStride] += d2; out[o + 3 * oStride] += d3;
            } else {
                out[o] = d0; out[o + oStride] = d1; out[o + 2 * oStride] = d2; out[o + 3 * oStride] = d3;
            }
        }
        for (; i < to; i++) {
            int r0 = wOff + i * ldw;
            FloatVector s0 = FloatVector.zero(S);
            for (int p = 0; p < kv; p += L) {
                s0 = FloatVector.fromArray(S, w, r0 + p).fma(FloatVector.fromArray(S, x, xOff + p), s0);
            }
            float d0 = LaneSum.of(s0);
            for (int p = kv; p < k; p++) d0 += w[r0 + p] * x[xOff + p];
            int o = oOff + i * oStride;
            out[o] = acc ? out[o] + d0 : d0;
        }
    }

    /** {@code y[0:n] (+)= x[0:k] · B[k,n]}: a sum of scaled rows of B, split over column chunks. */
    private static void rowTimesMatrix(float[] x, int xOff, float[] b, int bOff, int ldb, int n, int k,
                                       float[] y, int yOff, boolean acc, ThreadPool pool) {
        int chunk = 1024; // a chunk of y stays in L1 while all k rows stream past it
        int chunks = ceilDiv(n, chunk);
        java.util.function.IntConsumer task = t -> {
            int j0 = t * chunk, j1 = Math.min(n, j0 + chunk);
            if (!acc) java.util.Arrays.fill(y, yOff + j0, yOff + j1, 0f);
            int jv = j0 + (j1 - j0) - (j1 - j0) % L;
            for (int p = 0; p < k; p++) {
                float xp = x[xOff + p];
                FloatVector xv = FloatVector.broadcast(S, xp);
                int row = bOff + p * ldb;
                int j = j0;
                for (; j < jv; j += L) {
                    FloatVector.fromArray(S, b, row + j).fma(xv, FloatVector.fromArray(S, y, yOff + j))
                            .intoArray(y, yOff + j);
                }
                for (; j < j1; j++) y[yOff + j] += xp * b[row + j];
            }
        };
        if (pool != null && chunks > 1) {
            pool.parallelFor(chunks, task);
        } else {
            for (int t = 0; t < chunks; t++) task.accept(t);
        }
    }

    /** {@code v[p] = a[off + p*stride]} for p in [0, k), in a fresh array (only for strided one-row inputs). */
    private static float[] gatherVector(float[] a, int off, int stride, int k) {
        float[] v = new float[k];
        for (int p = 0; p < k; p++) v[p] = a[off + p * stride];
        return v;
    }

    /** The reference triple loop, for products too small to be worth packing. */
    private static void naive(boolean transA, boolean transB, int m, int n, int k,
                              float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                              float[] c, int cOff, int ldc, boolean accumulate) {
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

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static int roundUp(int a, int b) {
        return ceilDiv(a, b) * b;
    }
}
