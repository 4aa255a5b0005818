package jdlm.model;

import java.util.SplittableRandom;

/** Random models and inputs for the model tests, and the float64 helpers their references need. */
public final class TestModels {
    private TestModels() {}

    /** A model whose every parameter is N(0, 0.5²) — norm gains far from 1, so every path matters. */
    public static Transformer random(ModelConfig c, long seed) {
        float[] p = new float[new ParameterLayout(c).size()];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < p.length; i++) p[i] = (float) (r.nextGaussian() * 0.5);
        return new Transformer(c, p);
    }

    public static int[] tokens(int n, int vocab, long seed) {
        return new SplittableRandom(seed).ints(n, 0, vocab).toArray();
    }

    public static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    /** Σ logits·g: the scalar whose gradient with respect to the logits is g (for finite differences). */
    public static double project(double[][] logits, float[] g) {
        double s = 0;
        int V = logits[0].length;
        for (int t = 0; t < logits.length; t++) for (int j = 0; j < V; j++) s += logits[t][j] * g[t * V + j];
        return s;
    }
}
