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

    /**
     * The engine's gradient against float64 central differences (h = 1e-5) of {@code loss} at
     * {@code perTensor} random entries of every tensor: the relative error ‖g − fd‖ / ‖fd‖ over them.
     * {@code loss} reads the parameters it is given (they are perturbed in place and restored).
     */
    public static double finiteDifferenceError(Transformer m, float[] grads, java.util.function.ToDoubleFunction<double[]> loss,
                                               int perTensor, SplittableRandom r) {
        double[] p = toDouble(m.parameters());
        double h = 1e-5, errSq = 0, refSq = 0;
        for (ParameterLayout.View v : m.layout().views().values()) {
            for (int k = 0; k < perTensor; k++) {
                int i = v.offset() + r.nextInt(v.size());
                double keep = p[i];
                p[i] = keep + h;
                double up = loss.applyAsDouble(p);
                p[i] = keep - h;
                double down = loss.applyAsDouble(p);
                p[i] = keep;
                double fd = (up - down) / (2 * h);
                errSq += (grads[i] - fd) * (grads[i] - fd);
                refSq += fd * fd;
            }
        }
        if (refSq == 0) throw new AssertionError("every finite difference is 0: the check would prove nothing");
        return Math.sqrt(errSq / refSq);
    }
}
