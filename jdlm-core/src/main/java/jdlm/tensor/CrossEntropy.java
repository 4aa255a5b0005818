package jdlm.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Softmax cross-entropy over a vocabulary, per row: {@code loss = logsumexp(logits) − logits[target]}.
 * Rows whose target is negative are ignored (clean positions in masked diffusion, padding).
 */
public final class CrossEntropy {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Float lanes of exp(x − max) ∈ [0,1] are flushed into a double every this many elements. */
    private static final int FLUSH = 1024;
    /** Rows per parallel task. */
    private static final int ROWS_PER_TASK = 4;

    private CrossEntropy() {}

    /**
     * Writes {@code losses[r]} (0 for ignored rows) when losses is non-null and returns Σ losses in double.
     * The exponentials are float (SIMD); the max, the sum and the log are double, so the loss carries
     * an absolute error of about 1e-7, independent of the vocabulary size.
     */
    public static double forward(float[] logits, int rows, int vocab, int[] targets, float[] losses) {
        double[] perRow = new double[rows];
        int tasks = (rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
        ThreadPool.shared().parallelFor(tasks, task -> {
            int end = Math.min(rows, (task + 1) * ROWS_PER_TASK);
            for (int r = task * ROWS_PER_TASK; r < end; r++) {
                int target = targets[r];
                if (target < 0) continue;
                checkTarget(target, vocab, r);
                int off = r * vocab;
                perRow[r] = logSumExp(logits, off, vocab) - logits[off + target];
            }
        });
        double sum = 0;
        for (int r = 0; r < rows; r++) {
            if (losses != null) losses[r] = (float) perRow[r];
            sum += perRow[r];
        }
        return sum;
    }

    /** Accumulates (+=) {@code dLogits[r,:] += scale[r]·(softmax(logits[r,:]) − onehot(target[r]))}; scale null means 1. */
    public static void backward(float[] dLogits, float[] logits, int rows, int vocab, int[] targets, float[] scale) {
        int tasks = (rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
        ThreadPool.shared().parallelFor(tasks, task -> {
            int end = Math.min(rows, (task + 1) * ROWS_PER_TASK);
            for (int r = task * ROWS_PER_TASK; r < end; r++) {
                int target = targets[r];
                if (target < 0) continue;
                checkTarget(target, vocab, r);
                int off = r * vocab;
                float s = scale == null ? 1f : scale[r];
                // p = exp((x − max) − (lse − max)): both differences small, so p keeps float precision
                float max = Softmax.max(logits, off, vocab);
                float logSum = (float) (logSumExp(logits, off, vocab, max) - max);
                FloatVector vmax = FloatVector.broadcast(F, max);
                FloatVector vlog = FloatVector.broadcast(F, logSum);
                FloatVector vs = FloatVector.broadcast(F, s);
                int j = 0;
                for (int bound = F.loopBound(vocab); j < bound; j += F.length()) {
                    FloatVector p = VectorExp.exp(FloatVector.fromArray(F, logits, off + j).sub(vmax).sub(vlog));
                    p.fma(vs, FloatVector.fromArray(F, dLogits, off + j)).intoArray(dLogits, off + j);
                }
                for (; j < vocab; j++) dLogits[off + j] += s * (float) Math.exp((logits[off + j] - max) - logSum);
                dLogits[off + target] -= s;
            }
        });
    }

    /** log Σ exp(x[off..off+n)), max-subtracted, summed in double. */
    static double logSumExp(float[] x, int off, int n) {
        return logSumExp(x, off, n, Softmax.max(x, off, n));
    }

    private static double logSumExp(float[] x, int off, int n, float max) {
        FloatVector vmax = FloatVector.broadcast(F, max);
        double sum = 0;
        int j = 0;
        int bound = F.loopBound(n);
        while (j < bound) {
            int blockEnd = Math.min(bound, j + FLUSH);
            FloatVector acc = FloatVector.zero(F);
            for (; j < blockEnd; j += F.length()) {
                acc = acc.add(VectorExp.exp(FloatVector.fromArray(F, x, off + j).sub(vmax)));
            }
            sum += LaneSum.of(acc);
        }
        for (; j < n; j++) sum += Math.exp((double) x[off + j] - max);
        return max + Math.log(sum);
    }

    private static void checkTarget(int target, int vocab, int row) {
        if (target >= vocab) {
            throw new IllegalArgumentException("target " + target + " at row " + row + " is outside the vocabulary of " + vocab);
        }
    }
}
