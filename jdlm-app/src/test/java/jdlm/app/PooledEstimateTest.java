package jdlm.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;

import jdlm.eval.Estimate;
import org.junit.jupiter.api.Test;

class PooledEstimateTest {

    /** Mean and standard error of values[from, to), as jdlm.eval computes them. */
    private static Estimate of(double[] v, int from, int to) {
        int n = to - from;
        double mean = 0;
        for (int i = from; i < to; i++) mean += v[i];
        mean /= n;
        double var = 0;
        for (int i = from; i < to; i++) var += (v[i] - mean) * (v[i] - mean);
        return new Estimate("m", mean, n > 1 ? Math.sqrt(var / (n - 1) / n) : Double.NaN, n, 10L * n);
    }

    @Test
    void poolingChunksGivesTheMeanAndStandardErrorOfAllValues() {
        double[] v = new SplittableRandom(5).doubles(37, 1, 6).toArray();
        PooledEstimate p = new PooledEstimate();
        p.add(of(v, 0, 16));
        p.add(of(v, 16, 32));
        p.add(of(v, 32, 36));
        p.add(of(v, 36, 37)); // a chunk of one value has no standard error of its own
        Estimate pooled = p.result(), all = of(v, 0, 37);
        assertEquals(all.natsPerToken(), pooled.natsPerToken(), 1e-12);
        assertEquals(all.standardError(), pooled.standardError(), 1e-12);
        assertEquals(37, pooled.samples());
        assertEquals(370, pooled.tokens());
    }
}
