package jdlm.tensor;

import java.util.Random;
import java.util.function.ToDoubleFunction;

/** Test support: random inputs, central finite differences of float64 references, error measures. */
final class GradientCheck {
    private GradientCheck() {}

    static float[] randn(Random rnd, int n, double sigma) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextGaussian() * sigma);
        return x;
    }

    static double[] toDouble(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) d[i] = x[i];
        return d;
    }

    /** Central differences of f at x (x is restored): O(h²) truncation, ~1e-10 relative at h = 1e-5 in double. */
    static double[] finiteDifferences(double[] x, ToDoubleFunction<double[]> f) {
        double h = 1e-5;
        double[] g = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double x0 = x[i];
            x[i] = x0 + h;
            double fp = f.applyAsDouble(x);
            x[i] = x0 - h;
            double fm = f.applyAsDouble(x);
            x[i] = x0;
            g[i] = (fp - fm) / (2 * h);
        }
        return g;
    }

    /** Σ out·g: the random projection that turns a vector output into a scalar loss. */
    static double project(double[] out, float[] g) {
        double s = 0;
        for (int i = 0; i < out.length; i++) s += out[i] * g[i];
        return s;
    }

    /** max |actual − expected| / max |expected|: a relative error that ignores near-zero entries. */
    static double relativeError(float[] actual, double[] expected) {
        double num = 0, den = 0;
        for (int i = 0; i < expected.length; i++) {
            num = Math.max(num, Math.abs(actual[i] - expected[i]));
            den = Math.max(den, Math.abs(expected[i]));
        }
        return num / Math.max(den, 1e-300);
    }

    /** The same, for an accumulated gradient: compares (actual − before) with expected. */
    static double relativeErrorOfIncrement(float[] actual, float[] before, double[] expected) {
        float[] inc = new float[actual.length];
        for (int i = 0; i < actual.length; i++) inc[i] = actual[i] - before[i];
        return relativeError(inc, expected);
    }

    static void report(String what, double err) {
        System.out.printf("float32 relative error %-40s %.2e%n", what, err);
    }
}
