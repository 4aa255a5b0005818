package jdlm.tensor;

import static jdlm.tensor.GradientCheck.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Test;

class CrossEntropyTest {
    /** −log softmax(logits[r])[target] in double, 0 for ignored rows. */
    static double[] reference(double[] logits, int rows, int vocab, int[] targets) {
        double[] loss = new double[rows];
        for (int r = 0; r < rows; r++) {
            if (targets[r] < 0) continue;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < vocab; j++) max = Math.max(max, logits[r * vocab + j]);
            double sum = 0;
            for (int j = 0; j < vocab; j++) sum += Math.exp(logits[r * vocab + j] - max);
            loss[r] = max + Math.log(sum) - logits[r * vocab + targets[r]];
        }
        return loss;
    }

    @Test
    void forwardEqualsLogSoftmaxInDouble() {
        Random rnd = new Random(10);
        int rows = 4, vocab = 1037;   // crosses the 1024-element double flush
        float[] logits = randn(rnd, rows * vocab, 4.0);
        for (int j = 0; j < vocab; j++) logits[2 * vocab + j] += 80f;   // a row far from zero
        int[] targets = {5, 1036, 0, 700};
        float[] losses = new float[rows];
        double sum = CrossEntropy.forward(logits, rows, vocab, targets, losses);
        double[] ref = reference(toDouble(logits), rows, vocab, targets);
        double refSum = 0;
        for (int r = 0; r < rows; r++) {
            assertEquals(ref[r], losses[r], 2e-6 * Math.max(1, ref[r]), "row " + r);
            refSum += ref[r];
        }
        assertEquals(refSum, sum, 1e-6 * refSum);
    }

    @Test
    void ignoredRowsContributeNothing() {
        Random rnd = new Random(11);
        int rows = 5, vocab = 40;
        float[] logits = randn(rnd, rows * vocab, 2.0);
        int[] targets = {3, -1, 7, -100, 0};
        float[] losses = new float[rows];
        java.util.Arrays.fill(losses, 9f);
        double sum = CrossEntropy.forward(logits, rows, vocab, targets, losses);
        assertEquals(0f, losses[1]);
        assertEquals(0f, losses[3]);
        assertEquals(losses[0] + losses[2] + losses[4], sum, 1e-5);
        assertTrue(losses[0] > 0 && losses[2] > 0 && losses[4] > 0);

        float[] d0 = randn(rnd, rows * vocab, 1.0), d = d0.clone();
        CrossEntropy.backward(d, logits, rows, vocab, targets, null);
        for (int j = 0; j < vocab; j++) {
            assertEquals(d0[vocab + j], d[vocab + j], "ignored row 1 untouched");
            assertEquals(d0[3 * vocab + j], d[3 * vocab + j], "ignored row 3 untouched");
        }
    }

    @Test
    void backwardMatchesFiniteDifferencesWithScaleAndAccumulates() {
        Random rnd = new Random(12);
        int rows = 3, vocab = 29;
        float[] logits = randn(rnd, rows * vocab, 2.0);
        int[] targets = {4, -1, 28};
        float[] scale = {0.5f, 3f, 2.25f};
        float[] d0 = randn(rnd, rows * vocab, 1.0), d = d0.clone();
        CrossEntropy.backward(d, logits, rows, vocab, targets, scale);
        double[] fd = finiteDifferences(toDouble(logits), x -> {
            double[] l = reference(x, rows, vocab, targets);
            double s = 0;
            for (int r = 0; r < rows; r++) s += scale[r] * l[r];
            return s;
        });
        double err = relativeErrorOfIncrement(d, d0, fd);
        report("CrossEntropy.backward", err);
        assertTrue(err < 1e-4, "" + err);
    }

    @Test
    void gradientRowsSumToZero() {
        Random rnd = new Random(13);
        int rows = 3, vocab = 1000;
        float[] logits = randn(rnd, rows * vocab, 3.0);
        int[] targets = {1, 500, 999};
        float[] scale = {1f, 0.25f, 7f};
        float[] d = new float[rows * vocab];
        CrossEntropy.backward(d, logits, rows, vocab, targets, scale);
        for (int r = 0; r < rows; r++) {
            double sum = 0, target = d[r * vocab + targets[r]];
            for (int j = 0; j < vocab; j++) sum += d[r * vocab + j];
            assertEquals(0, sum, 1e-6 * scale[r], "row " + r);
            assertTrue(target < 0, "the target's gradient is negative");
        }
    }

    @Test
    void targetOutsideVocabularyIsRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> CrossEntropy.forward(new float[10], 1, 10, new int[] {10}, null));
    }
}
